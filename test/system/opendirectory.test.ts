import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushCache, restartOpendirectoryd, waitUntilAnswering } from '../../agent/src/system/opendirectory.js';
import { FakeMac, fixture } from './fake-mac.js';

describe('opendirectory', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('flushes the cache with dscacheutil -flushcache', async () => {
    mac.install('dscacheutil', {});
    await flushCache();
    expect(mac.calls('dscacheutil')[0]!.args).toEqual(['-flushcache']);
  });

  it('restarts opendirectoryd with killall, and reports not-running on "No matching processes"', async () => {
    mac.install('killall', [{}, fixture('macos-any/killall-no-match')]);
    await expect(restartOpendirectoryd()).resolves.toEqual({ kind: 'killed' });
    await expect(restartOpendirectoryd()).resolves.toEqual({ kind: 'not-running' });
    expect(mac.calls('killall')[0]!.args).toEqual(['opendirectoryd']);
  });

  it('polls dscl until opendirectoryd answers', async () => {
    const down = { stderr: '<dscl_cmd> DS Error: -14009 (eDSUnknownNodeName)\n', exitCode: 185 };
    mac.install('dscl', [down, down, { stdout: 'UniqueID: 0\n' }]);
    const outcome = await waitUntilAnswering({ timeoutMs: 10_000, intervalMs: 10 });
    expect(outcome).toMatchObject({ answering: true, attempts: 3 });
    expect(mac.calls('dscl')[0]!.args).toEqual(['.', '-read', '/Users/root', 'UniqueID']);
  });

  it('gives up after the timeout with the last error', async () => {
    mac.install('dscl', { stderr: '<dscl_cmd> DS Error: -14009 (eDSUnknownNodeName)\n', exitCode: 185 });
    const outcome = await waitUntilAnswering({ timeoutMs: 150, intervalMs: 40 });
    expect(outcome.answering).toBe(false);
    expect(outcome.attempts).toBeGreaterThanOrEqual(2);
    expect(!outcome.answering && outcome.lastError).toMatch(/exited 185/);
  });

  it('fails at once when dscl is missing instead of polling', async () => {
    await expect(waitUntilAnswering({ timeoutMs: 5_000, intervalMs: 10 })).rejects.toMatchObject({ code: 'E_TOOL_MISSING' });
  });
});
