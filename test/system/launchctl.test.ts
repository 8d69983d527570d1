import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asUser, bootout, bootstrap, enable, kickstart, parseLaunchctlFailure, parseLaunchctlPrint, print } from '../../agent/src/system/launchctl.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture } from './fake-mac.js';

const PRINT = [
  'system/com.example.untether = {',
  '\tactive count = 1',
  '\tpath = /Library/LaunchDaemons/com.example.untether.plist',
  '\ttype = LaunchDaemon',
  '\tstate = running',
  '\tprogram = /usr/local/untether/bin/untether',
  '\targuments = {',
  '\t\t/usr/local/untether/bin/untether',
  '\t\tstate = not-a-top-level-field',
  '\t}',
  '\tpid = 1234',
  '\tlast exit code = (never exited)',
  '}',
  '',
].join('\n');

describe('parseLaunchctlFailure', () => {
  it.each([
    ['macos-any/launchctl-bootstrap-failed-5', { kind: 'errno', verb: 'Bootstrap', errno: 5, message: 'Input/output error' }],
    ['macos-any/launchctl-bootstrap-failed-5-nonroot', { kind: 'errno', verb: 'Bootstrap', errno: 5, message: 'Input/output error' }],
    ['macos-any/launchctl-bootout-failed-3', { kind: 'errno', verb: 'Boot-out', errno: 3, message: 'No such process' }],
    ['macos-any/launchctl-kickstart-not-found', { kind: 'service-not-found', label: 'org.nixos.darwin-store', domain: 'system' }],
  ])('reads %s and its exit code is the errno', (name, expected) => {
    const captured = fixture(name);
    const failure = parseLaunchctlFailure(captured.stderr);
    expect(failure).toEqual(expected);
    if (failure?.kind === 'errno') expect(captured.exitCode).toBe(failure.errno);
  });

  it('reads a missing gui domain, and nothing from unrelated text', () => {
    expect(parseLaunchctlFailure('Could not find domain for user gui: 501\n')).toEqual({ kind: 'domain-not-found', domain: 'user gui: 501' });
    expect(parseLaunchctlFailure('hello\n')).toBeUndefined();
  });
});

describe('parseLaunchctlPrint', () => {
  it('reads top-level scalar fields and skips nested blocks', () => {
    const job = parseLaunchctlPrint(PRINT);
    expect(job).toMatchObject({
      target: 'system/com.example.untether',
      state: 'running',
      pid: 1234,
      lastExitCode: '(never exited)',
      path: '/Library/LaunchDaemons/com.example.untether.plist',
    });
    expect(job.properties.type).toBe('LaunchDaemon');
    expect(Object.keys(job.properties)).not.toContain('arguments');
  });

  it('refuses output without the header or the closing brace', () => {
    expect(() => parseLaunchctlPrint('nope\n')).toThrow(UnexpectedOutputError);
    expect(() => parseLaunchctlPrint('system/x = {\n\tstate = running\n')).toThrow(/closing/);
  });
});

describe('launchctl tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('bootstraps a daemon, and reports errno 5 as a typed failure', async () => {
    mac.install('launchctl', [{}, fixture('macos-any/launchctl-bootstrap-failed-5')]);
    await expect(bootstrap('system', '/Library/LaunchDaemons/com.example.untether.plist')).resolves.toEqual({ kind: 'loaded' });
    await expect(bootstrap('system', '/Library/LaunchDaemons/com.example.untether.plist')).resolves.toEqual({
      kind: 'failed',
      errno: 5,
      message: 'Input/output error',
    });
    expect(mac.calls('launchctl')[0]!.args).toEqual(['bootstrap', 'system', '/Library/LaunchDaemons/com.example.untether.plist']);
  });

  it('boots out a daemon and treats "No such process" as not loaded', async () => {
    mac.install('launchctl', [{}, fixture('macos-any/launchctl-bootout-failed-3'), { stderr: 'Boot-out failed: 36: Operation now in progress\n', exitCode: 36 }]);
    await expect(bootout('system/com.example.untether')).resolves.toEqual({ kind: 'unloaded' });
    await expect(bootout('system/com.example.untether')).resolves.toEqual({ kind: 'not-loaded' });
    await expect(bootout('system/com.example.untether')).resolves.toEqual({ kind: 'failed', errno: 36, message: 'Operation now in progress' });
  });

  it('prints a job, and answers not-found for exit 113', async () => {
    mac.install('launchctl', [{ stdout: PRINT }, fixture('macos-any/launchctl-kickstart-not-found')]);
    const found = await print('system/com.example.untether');
    expect(found.kind === 'found' && found.job.state).toBe('running');
    await expect(print('system/org.nixos.darwin-store')).resolves.toEqual({ kind: 'not-found' });
  });

  it('kickstarts with -k, enables, and refuses malformed targets', async () => {
    mac.install('launchctl', [{}, fixture('macos-any/launchctl-kickstart-not-found'), {}]);
    await expect(kickstart('system/com.example.untether', { kill: true })).resolves.toEqual({ kind: 'started' });
    await expect(kickstart('system/org.nixos.darwin-store')).resolves.toEqual({ kind: 'not-found' });
    await enable('system/com.example.untether');
    await expect(bootout('com.example.untether')).rejects.toThrow(TypeError);
    expect(mac.calls('launchctl').map((call) => call.args)).toEqual([
      ['kickstart', '-k', 'system/com.example.untether'],
      ['kickstart', 'system/org.nixos.darwin-store'],
      ['enable', 'system/com.example.untether'],
    ]);
  });

  it('runs osascript in a user session as that user: launchctl asuser, then sudo -n -u #uid with the absolute Mac path', async () => {
    mac.install('launchctl', { stdout: 'button returned:OK\n' });
    const result = await asUser(501, 'osascript', ['-e', 'display dialog "Hi"']);
    expect(result.failed).toBe(false);
    expect(mac.calls('launchctl')[0]!.args).toEqual(['asuser', '501', '/usr/bin/sudo', '-n', '-u', '#501', '--', '/usr/bin/osascript', '-e', 'display dialog "Hi"']);
    await expect(asUser(0, 'osascript', [])).rejects.toThrow(TypeError);
  });
});
