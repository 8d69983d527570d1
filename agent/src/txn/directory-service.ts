// After account writes, opendirectoryd is restarted once per batch and the agent waits until it answers
// again: polling, never the fixed `sleep 20` of the common scripts.
import { UntetherError } from '../errors.js';
import { flushCache, restartOpendirectoryd, waitUntilAnswering } from '../system/opendirectory.js';

/** How long opendirectoryd may take to come back before the batch is treated as failed. */
export const DIRECTORY_RESTART_TIMEOUT_MS = 60_000;
/** Between two probes while waiting; each probe is one short dscl read. */
export const DIRECTORY_POLL_INTERVAL_MS = 100;

/** Flush, restart opendirectoryd and wait until it answers; throws when it does not come back in time. */
export async function restartDirectoryService(): Promise<{ waitedMs: number; attempts: number }> {
  await flushCache();
  await restartOpendirectoryd();
  const wait = await waitUntilAnswering({ timeoutMs: DIRECTORY_RESTART_TIMEOUT_MS, intervalMs: DIRECTORY_POLL_INTERVAL_MS });
  if (!wait.answering) {
    throw new UntetherError('E_DIRECTORY_NOT_ANSWERING', `restarting opendirectoryd: no answer after ${wait.waitedMs} ms: ${wait.lastError}`);
  }
  return { waitedMs: wait.waitedMs, attempts: wait.attempts };
}
