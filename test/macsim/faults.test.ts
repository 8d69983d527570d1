// Fault injection: the Nth write of a tool fails, hangs, or kills its caller before or after the write.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runFile, toXmlPlist } from './src/index.js';
import { tempMac } from './support.js';

/** Run a tool from an intermediate node process, as the agent does; reports whether that "caller" survived. */
async function runFromCaller(file: string, args: string[]): Promise<{ callerSignal: NodeJS.Signals | null; stdout: string }> {
  const script = `const r = require('node:child_process').spawnSync(${JSON.stringify(file)}, ${JSON.stringify(args)}, { env: { PATH: '/usr/bin:/bin' } });
process.stdout.write('caller survived, tool exit ' + r.status);`;
  const result = await runFile(process.execPath, ['-e', script], { timeoutMs: 20_000 });
  return { callerSignal: result.signal, stdout: result.stdout };
}

describe('fail', () => {
  it('fails the Nth dscl write with a DS error, changes nothing, and fires once', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: 'dscl', write: 2, mode: 'fail' });
    await mac.run('dscl', ['.', '-read', '/Users/jdoe', 'UniqueID']); // reads do not count
    expect(await mac.run('dscl', ['.', '-create', '/Users/jdoe', 'JobTitle', 'one'])).toMatchObject({ exitCode: 0 });
    const failed = await mac.run('dscl', ['.', '-delete', '/Users/jdoe', 'OriginalNodeName']);
    expect(failed).toMatchObject({
      stdout: '',
      stderr: '<main> attribute status: eDSPermissionError\n<dscl_cmd> DS Error: -14120 (eDSPermissionError)\n',
      exitCode: 40,
    });
    expect(mac.readUser('jdoe')?.original_node_name).toEqual(['/Active Directory/CORP/corp.example.com']);
    expect(mac.faults()).toEqual([]);
    expect(await mac.run('dscl', ['.', '-delete', '/Users/jdoe', 'OriginalNodeName'])).toMatchObject({ exitCode: 0 });
    expect(mac.calls().find((call) => call.fault)?.fault).toMatchObject({ mode: 'fail' });
  });

  it('reports the DS error the fault names, and can apply to any tool', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: '*', write: 1, mode: 'fail', dsError: 'eDSRecordNotFound' });
    expect(await mac.run('dscl', ['.', '-create', '/Users/jdoe', 'JobTitle', 'x'])).toMatchObject({
      stderr: '<main> attribute status: eDSRecordNotFound\n<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)\n',
      exitCode: 56,
    });
    mac.injectFault({ tool: 'security', write: 1, mode: 'fail' });
    const input = toXmlPlist(mac.readAuthRight('system.login.console')!);
    expect(await mac.run('security', ['authorizationdb', 'write', 'system.login.console'], { input })).toMatchObject({ stderr: 'NO (-60008)\n', exitCode: 255 });
  });

  it('keeps failing every write from the Nth on when persistent', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: 'dseditgroup', write: 1, mode: 'fail', persistent: true });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(await mac.run('dseditgroup', ['-o', 'edit', '-a', 'jdoe', '-t', 'user', 'staff'])).toMatchObject({ exitCode: 200 });
    }
    expect(mac.readGroup('staff')?.users).toEqual(['root']);
  });
});

describe('hang', () => {
  it('hangs until the caller times out, and changes nothing', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: 'dsconfigad', write: 1, mode: 'hang' });
    const child = spawn(mac.toolPath('dsconfigad'), ['-remove', '-force', '-u', 'none', '-p', 'none'], { env: { PATH: '/usr/bin:/bin' } });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    for (let waited = 0; !mac.calls().some((call) => call.fault?.mode === 'hang'); waited += 20) {
      if (waited > 15_000) throw new Error('the fake never reached its hang');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.exitCode).toBeNull(); // still hanging
    child.kill('SIGKILL'); // what the caller's timeout does
    expect(await closed).toBe('SIGKILL');
    expect(mac.readState().adBinding).not.toBeNull();
    expect(mac.calls().at(-1)).toMatchObject({ tool: 'dsconfigad', exitCode: null, fault: { mode: 'hang' } });
  });
});

describe('kill-caller', () => {
  it('kills the process that ran the tool before the write is applied', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: 'dscl', write: 1, mode: 'kill-caller' });
    const outcome = await runFromCaller(mac.toolPath('dscl'), ['.', '-delete', '/Users/jdoe', 'OriginalNodeName']);
    expect(outcome).toEqual({ callerSignal: 'SIGKILL', stdout: '' });
    expect(mac.readUser('jdoe')?.original_node_name).toBeDefined();
    expect(mac.calls().at(-1)).toMatchObject({ exitCode: null, fault: { mode: 'kill-caller', afterWrite: false } });
  });

  it('with --after-write, applies the write and then kills the caller', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.injectFault({ tool: 'dscl', write: 1, mode: 'kill-caller', afterWrite: true });
    const outcome = await runFromCaller(mac.toolPath('dscl'), ['.', '-delete', '/Users/jdoe', 'OriginalNodeName']);
    expect(outcome.callerSignal).toBe('SIGKILL');
    expect(mac.readUser('jdoe')?.original_node_name).toBeUndefined();
    expect(mac.calls().at(-1)).toMatchObject({ exitCode: 0, fault: { mode: 'kill-caller', afterWrite: true } });
  });

  it('leaves a caller alone when no fault is armed', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const outcome = await runFromCaller(mac.toolPath('dscl'), ['.', '-create', '/Users/jdoe', 'JobTitle', 'x']);
    expect(outcome).toEqual({ callerSignal: null, stdout: 'caller survived, tool exit 0' });
  });
});

it('rejects nonsense fault specs', () => {
  const mac = tempMac({ scenario: 'local-only' });
  expect(() => mac.injectFault({ tool: 'dscl', write: 0, mode: 'fail' })).toThrow(/positive integer/);
  expect(() => mac.injectFault({ tool: 'dscl', write: 1, mode: 'fail', afterWrite: true })).toThrow(/kill-caller/);
  expect(() => mac.injectFault({ tool: 'dsc1' as 'dscl', write: 1, mode: 'fail' })).toThrow(/unknown tool "dsc1"/);
});
