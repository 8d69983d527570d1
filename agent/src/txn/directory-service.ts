// After account writes, opendirectoryd is restarted once per batch and the agent waits until it answers
// again: polling, never the fixed `sleep 20` of the common scripts. When the caller is about to re-read
// every record anyway (verification), that read is the probe: the first one that answers is the one used.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, UntetherError } from '../errors.js';
import { firstStandard } from '../inventory/classify.js';
import type { DirectoryRecord } from '../system/dscl.js';
import { isSystemToolError } from '../system/errors.js';
import { flushCache, restartOpendirectoryd, waitUntilAnswering } from '../system/opendirectory.js';

/** How long opendirectoryd may take to come back before the batch is treated as failed. */
export const DIRECTORY_RESTART_TIMEOUT_MS = 60_000;
/** Between two probes while waiting; each probe is one short dscl read (or the verification read). */
export const DIRECTORY_POLL_INTERVAL_MS = 100;

/** Every user and group, as the verification read returns them. */
export interface DirectoryRead {
  users: DirectoryRecord[];
  groups: DirectoryRecord[];
}

export interface RestartOutcome {
  waitedMs: number;
  attempts: number;
  /** The read that answered, when one was given to probe with. */
  directory?: DirectoryRead;
}

function notAnswering(waitedMs: number, lastError: string): UntetherError {
  return new UntetherError('E_DIRECTORY_NOT_ANSWERING', `restarting opendirectoryd: no answer after ${waitedMs} ms: ${lastError}`);
}

/**
 * Flush, restart opendirectoryd and wait until it answers; throws when it does not come back in time. With
 * `read`, each probe is that read, and it counts as an answer only when it lists root with UniqueID 0 (the
 * same proof the single-record probe asks for); the answering read is returned.
 */
export async function restartDirectoryService(read?: () => Promise<DirectoryRead>): Promise<RestartOutcome>;
/**
 * The same, and `meanwhile` runs right after the kill, before the first probe: work that does not need
 * opendirectoryd fills the time it takes to come back (its result is returned; its failure is the caller's).
 */
export async function restartDirectoryService<T>(read: (() => Promise<DirectoryRead>) | undefined, meanwhile: () => Promise<T>): Promise<RestartOutcome & { meanwhile: T }>;
export async function restartDirectoryService<T>(read?: () => Promise<DirectoryRead>, meanwhile?: () => Promise<T>): Promise<RestartOutcome & { meanwhile?: T }> {
  await flushCache();
  await restartOpendirectoryd();
  const during = meanwhile ? { meanwhile: await meanwhile() } : {};
  const outcome = await waitForAnswer(read);
  return { ...outcome, ...during };
}

async function waitForAnswer(read: (() => Promise<DirectoryRead>) | undefined): Promise<RestartOutcome> {
  if (read === undefined) {
    const wait = await waitUntilAnswering({ timeoutMs: DIRECTORY_RESTART_TIMEOUT_MS, intervalMs: DIRECTORY_POLL_INTERVAL_MS });
    if (!wait.answering) throw notAnswering(wait.waitedMs, wait.lastError);
    return { waitedMs: wait.waitedMs, attempts: wait.attempts };
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let lastError: string;
    try {
      const directory = await read();
      const root = directory.users.find((record) => record.recordName === 'root');
      if (root !== undefined && firstStandard(root, 'UniqueID') === '0') return { waitedMs: elapsed(), attempts, directory };
      lastError = 'the read did not list root with UniqueID 0';
    } catch (error) {
      if (isSystemToolError(error) && (error.code === 'E_TOOL_MISSING' || error.code === 'E_TOOL_UNTRUSTED')) throw error;
      lastError = errorMessage(error);
    }
    if (elapsed() + DIRECTORY_POLL_INTERVAL_MS >= DIRECTORY_RESTART_TIMEOUT_MS) throw notAnswering(elapsed(), lastError);
    await sleep(DIRECTORY_POLL_INTERVAL_MS);
  }
}
