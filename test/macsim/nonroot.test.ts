// Fakes run as a non-root uid (the agent as 65534): reads work, writes fail the way macOS refuses them.
import { beforeAll, describe, expect, it } from 'vitest';
import { toXmlPlist, type SimulatedMac } from './src/index.js';
import { NOBODY, fixture, isRoot, tempMac } from './support.js';

describe.skipIf(!isRoot)('as uid 65534', () => {
  let mac: SimulatedMac;
  const run = (tool: Parameters<SimulatedMac['run']>[0], args: string[], input?: string) => mac.run(tool, args, { ...NOBODY, ...(input === undefined ? {} : { input }) });

  beforeAll(() => {
    mac = tempMac({ scenario: 'ad-bound', authchanger: true });
  });

  it('reads records but never sees ShadowHashData', async () => {
    const full = await run('dscl', ['.', '-read', '/Users/jdoe']);
    expect(full.exitCode).toBe(0);
    expect(full.stdout).toContain('RecordName: jdoe\n');
    expect(full.stdout).not.toContain('ShadowHashData');
    expect(await run('dscl', ['.', '-read', '/Users/jdoe', 'ShadowHashData'])).toMatchObject({ stdout: 'No such key: ShadowHashData\n', exitCode: 0 });
  });

  it('refuses dscl writes with the captured eDSPermissionError pair, exit 40', async () => {
    expect(await run('dscl', ['.', '-create', '/Users/nylas'])).toMatchObject(fixture('any', 'dscl-create-permission-denied'));
    expect(await run('dscl', ['.', '-delete', '/Users/jdoe'])).toMatchObject(fixture('13', 'dscl-delete-record-permission-denied'));
    expect(mac.readUser('jdoe')).toBeDefined();
  });

  it('refuses authorizationdb writes with NO (-60005) but reads with YES (0)', async () => {
    const input = toXmlPlist(mac.readAuthRight('system.login.console')!);
    expect(await run('security', ['authorizationdb', 'write', 'system.login.console'], input)).toMatchObject({ stderr: 'NO (-60005)\n', exitCode: 255 });
    expect(await run('security', ['authorizationdb', 'read', 'system.login.console'])).toMatchObject({ stderr: 'YES (0)\n', exitCode: 0 });
  });

  it('prints authchanger\'s "Not Running as root" line for writes, while -print works', async () => {
    expect(await run('authchanger', ['-reset'])).toMatchObject(fixture('any', 'authchanger-reset-not-root'));
    expect((await run('authchanger', ['-print'])).stdout).toMatch(/^Entry: system\.login\.console\n/);
  });

  it('cannot kill root processes or bootstrap system jobs', async () => {
    expect(await run('killall', ['opendirectoryd'])).toMatchObject(fixture('any', 'killall-no-match'));
    const plist = '/Library/LaunchDaemons/com.untether.agent.plist';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(mac.path(plist), toXmlPlist({ Label: 'com.untether.agent', ProgramArguments: ['/usr/local/bin/untether'] }));
    expect(await run('launchctl', ['bootstrap', 'system', plist])).toMatchObject(fixture('any', 'launchctl-bootstrap-failed-5-nonroot'));
  });

  it('refuses the other writes and root-only reads', async () => {
    expect(await run('fdesetup', ['list'])).toMatchObject({ stdout: '', exitCode: 1 });
    expect(await run('dseditgroup', ['-o', 'edit', '-a', 'jdoe', '-t', 'user', 'admin'])).toMatchObject({ stderr: 'Username and password must be provided.\n', exitCode: 64 });
    expect(await run('dsconfigad', ['-remove', '-force', '-u', 'x', '-p', 'y'])).toMatchObject({ exitCode: 1 });
    expect(await run('defaults', ['write', '/Library/Preferences/com.apple.loginwindow', 'DisableFDEAutoLogin', '-bool', 'NO'])).toMatchObject({
      stderr: 'Could not write domain /Library/Preferences/com.apple.loginwindow; exiting\n',
      exitCode: 1,
    });
    expect(mac.readState().adBinding).not.toBeNull();
  });

  it('still answers the read-only tools', async () => {
    expect((await run('sysadminctl', ['-secureTokenStatus', 'jdoe'])).stderr).toContain('Secure token is ENABLED for user John Doe');
    expect((await run('scutil', [], 'show State:/Users/ConsoleUser\n')).stdout).toContain('  Name : jdoe\n');
    expect(await run('stat', ['-f%Su', '/dev/console'])).toMatchObject({ stdout: 'jdoe\n', exitCode: 0 });
    expect(await run('fdesetup', ['isactive'])).toMatchObject({ stdout: 'true\n', exitCode: 0 });
  });

  it('records its calls with the uid it ran as', () => {
    const calls = mac.calls();
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.every((call) => call.uid === 65534)).toBe(true);
    expect(calls.filter((call) => call.isWrite).every((call) => call.exitCode !== 0)).toBe(true);
  });
});
