// opendirectoryd's cache and process: after editing records the agent flushes the cache, restarts the
// daemon, and waits until it answers again (polling, never a fixed sleep).
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemToolError } from './errors.js';
import { runTool, runToolChecked } from './run.js';

/** Flush the directory service cache (`dscacheutil -flushcache`; silent, exit 0). */
export async function flushCache(): Promise<void> {
  await runToolChecked('dscacheutil', ['-flushcache']);
}

/** What restarting opendirectoryd did: launchd restarts it on demand after the kill. */
export type RestartOutcome = { kind: 'killed' } | { kind: 'not-running' };

// Sample (`killall opendirectoryd` as root): silent, exit 0; no such process ⇒ stderr
// `No matching processes belonging to you were found`, exit 1.
/** Kill opendirectoryd so launchd starts a fresh one that rereads the on-disk records. */
export async function restartOpendirectoryd(): Promise<RestartOutcome> {
  const result = await runTool('killall', ['opendirectoryd']);
  if (!result.failed) return { kind: 'killed' };
  if (result.exitCode === 1 && /No matching processes/.test(result.stderr)) return { kind: 'not-running' };
  throw SystemToolError.fromResult(result);
}

/** How the wait for opendirectoryd ended. */
export type WaitOutcome =
  | { answering: true; attempts: number; waitedMs: number }
  | { answering: false; attempts: number; waitedMs: number; lastError: string };

/** Poll a cheap dscl read until opendirectoryd answers, up to timeoutMs. */
export async function waitUntilAnswering(options: { timeoutMs: number; intervalMs: number }): Promise<WaitOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let attempts = 0;
  let lastError = '';
  for (;;) {
    attempts += 1;
    const remaining = options.timeoutMs - elapsed();
    // root always exists on the local node; reading one attribute is the cheapest real round trip.
    const result = await runTool('dscl', ['.', '-read', '/Users/root', 'UniqueID'], {
      timeoutMs: Math.max(1_000, remaining),
    });
    if (!result.failed && /^UniqueID: 0$/m.test(result.stdout)) return { answering: true, attempts, waitedMs: elapsed() };
    if (result.exitCode === 127 && result.stderr.startsWith('missing tool')) throw SystemToolError.fromResult(result);
    lastError = result.failed ? SystemToolError.fromResult(result).message : `unexpected answer: ${result.stdout.slice(0, 200)}`;
    if (elapsed() + options.intervalMs >= options.timeoutMs) {
      return { answering: false, attempts, waitedMs: elapsed(), lastError };
    }
    await sleep(options.intervalMs);
  }
}
