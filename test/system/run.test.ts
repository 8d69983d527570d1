import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemToolError } from '../../agent/src/system/errors.js';
import { runTool, runToolChecked } from '../../agent/src/system/run.js';
import { parseToolOutput, UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture } from './fake-mac.js';

// These lists are a contract with the journal, the logs and the server: change them on purpose only.
const TOOL_RESULT_KEYS = ['tool', 'args', 'exitCode', 'signal', 'stdout', 'stderr', 'durationMs', 'timedOut', 'failed'];
const SYSTEM_TOOL_ERROR_KEYS = ['code', 'tool', 'args', 'exitCode', 'signal', 'stdout', 'stderr', 'timedOut', 'dsError', 'shortMessage', 'name'];

describe('the tool result and error shapes', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('pins the exact key list of ToolResult, for success, failure and a missing tool', async () => {
    mac.install('dscl', [{ stdout: 'ok\n' }, fixture('macos-any/dscl-read-record-not-found')]);
    expect(Object.keys(await runTool('dscl', ['.', '-read', '/Users/root']))).toEqual(TOOL_RESULT_KEYS);
    expect(Object.keys(await runTool('dscl', ['.', '-read', '/Users/games9']))).toEqual(TOOL_RESULT_KEYS);
    expect(Object.keys(await runTool('fdesetup', ['status']))).toEqual(TOOL_RESULT_KEYS);
  });

  it("pins the exact public fields of SystemToolError", async () => {
    mac.installFixture('dscl', 'macos-any/dscl-read-record-not-found');
    const error = await runToolChecked('dscl', ['.', '-read', '/Users/games9']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemToolError);
    expect(Object.keys(error as object)).toEqual(SYSTEM_TOOL_ERROR_KEYS);
    expect(error).toMatchObject({
      code: 'E_TOOL_FAILED',
      tool: 'dscl',
      args: ['.', '-read', '/Users/games9'],
      exitCode: 56,
      dsError: { status: -14136, name: 'eDSRecordNotFound' },
      shortMessage: 'running dscl . -read /Users/games9: exited 56',
    });
  });

  it('keeps the parser error as the cause of a badOutput error', async () => {
    mac.install('sw_vers', { stdout: 'nonsense\n' });
    const result = await runTool('sw_vers', []);
    const error = (() => {
      try {
        return parseToolOutput(result, () => {
          throw new UnexpectedOutputError('no version');
        });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toMatchObject({ code: 'E_TOOL_OUTPUT', shortMessage: 'parsing output of sw_vers: stdout: no version' });
    expect((error as Error).cause).toBeInstanceOf(UnexpectedOutputError);
  });

  it('fails with E_TOOL_MISSING when the system root has no such tool', async () => {
    const error = await runToolChecked('security', ['authorizationdb', 'read', 'system.login.console']).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_TOOL_MISSING', exitCode: 127 });
  });

  it('times out a hanging tool', async () => {
    mac.install('dscl', {});
    // Replace the fake with one that sleeps.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(mac.path('/usr/bin/dscl'), '#!/bin/sh\nsleep 5\n');
    const error = await runToolChecked('dscl', ['.', '-list', '/Users'], { timeoutMs: 200 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_TOOL_TIMEOUT', timedOut: true });
  });
});
