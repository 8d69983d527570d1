// One Untether action at a time on a Mac: the CLI and the daemon share this lock, and whoever takes it
// first finishes or rolls back what an interrupted run left in the journal.
import { acquireLock, type LockOwner } from '../system/datastore.js';
import { recoverOpenEntries, type RecoveryOutcome } from './recover.js';

export type ExclusiveResult<T> = { ran: true; value: T } | { ran: false; owner: LockOwner | undefined };

/** Take the lock, recover the journal (reported through onRecovered), run `work`, release. */
export async function runExclusive<T>(
  command: string,
  now: () => Date,
  work: () => Promise<T>,
  onRecovered: (recovery: { outcomes: RecoveryOutcome[]; unreadable: string[] }) => void = () => undefined,
): Promise<ExclusiveResult<T>> {
  const lock = await acquireLock(command, now());
  if (!lock.acquired) return { ran: false, owner: lock.owner };
  try {
    onRecovered(await recoverOpenEntries(now));
    return { ran: true, value: await work() };
  } finally {
    await lock.release();
  }
}
