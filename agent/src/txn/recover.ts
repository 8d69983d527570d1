// Crash recovery: every command that touches accounts, and the daemon at start, first looks for journal
// entries a killed or crashed run left open, and finishes each (when the account is exactly as the plan
// promised) or rolls it back to its snapshot. Nothing is ever left half done.
import { errorMessage } from '../errors.js';
import { nameAfter } from '../plan/operations.js';
import { waitUntilAnswering } from '../system/opendirectory.js';
import { DIRECTORY_POLL_INTERVAL_MS, DIRECTORY_RESTART_TIMEOUT_MS, restartDirectoryService } from './directory-service.js';
import { openEntries, updateEntry, type JournalEntry } from './journal.js';
import { currentAccount, differencesFromSnapshot, homeFolderProblems, rollBackAccount } from './run.js';
import { loadSnapshot, type AccountSnapshot } from './snapshot.js';
import { verifyChange } from './verify.js';

export type RecoveryOutcome =
  | { user: string; entryId: string; outcome: 'completed' | 'rolled-back' }
  | { user: string; entryId: string; outcome: 'failed'; problems: string[] };

const UNKNOWN_UNLOCK = { fileVaultUser: null, cryptoUser: null };

/** Whether the account already is exactly what the entry's plan promised. */
async function fullyApplied(entry: JournalEntry, snapshot: AccountSnapshot): Promise<boolean> {
  if (entry.state === 'rolling-back') return false;
  // A renamed account is found under either name (same GeneratedUID); verification then checks which.
  const current = await currentAccount(snapshot, entry.operations);
  const problems = verifyChange({ kind: entry.kind, snapshot: snapshot.state, operations: entry.operations, after: current?.state ?? null, unlockBefore: UNKNOWN_UNLOCK, unlockAfter: UNKNOWN_UNLOCK });
  if (current !== null && current.state.record.recordName !== nameAfter(entry.user, entry.operations)) problems.push('the rename is not done');
  if (problems.length === 0) problems.push(...(await homeFolderProblems(entry.operations)));
  return problems.length === 0;
}

/** Finish or roll back every open journal entry. Returns what was done; an empty list when nothing was open. */
export async function recoverOpenEntries(now: () => Date): Promise<{ outcomes: RecoveryOutcome[]; unreadable: string[] }> {
  const { entries, unreadable } = await openEntries();
  const outcomes: RecoveryOutcome[] = [];
  // A run killed right after `killall opendirectoryd` leaves it restarting: wait until it answers (one probe
  // when it does) before reading accounts, so recovery decides on what the OS says rather than on a refusal.
  if (entries.length > 0) await waitUntilAnswering({ timeoutMs: DIRECTORY_RESTART_TIMEOUT_MS, intervalMs: DIRECTORY_POLL_INTERVAL_MS });
  const pending: Array<{ entry: JournalEntry; snapshot: AccountSnapshot; complete: boolean; unrestorable: string[] }> = [];
  for (let entry of entries) {
    let snapshot: AccountSnapshot;
    try {
      snapshot = await loadSnapshot(entry.user, entry.snapshotId);
    } catch (error) {
      const problems = [`the snapshot cannot be used: ${errorMessage(error)}; check the account by hand`];
      await updateEntry(entry, { state: 'failed', problems }, now());
      outcomes.push({ user: entry.user, entryId: entry.id, outcome: 'failed', problems });
      continue;
    }
    try {
      if (await fullyApplied(entry, snapshot)) {
        pending.push({ entry, snapshot, complete: true, unrestorable: [] });
      } else {
        entry = await updateEntry(entry, { state: 'rolling-back', problems: [...entry.problems, 'interrupted (the agent stopped mid-change); rolling back'] }, now());
        const { unrestorable } = await rollBackAccount(snapshot, entry.operations);
        pending.push({ entry, snapshot, complete: false, unrestorable });
      }
    } catch (error) {
      // Leave the entry open: the next start tries again.
      outcomes.push({ user: entry.user, entryId: entry.id, outcome: 'failed', problems: [`recovering: ${errorMessage(error)}`] });
    }
  }
  if (pending.length === 0) return { outcomes, unreadable };
  await restartDirectoryService();
  for (const { entry, snapshot, complete, unrestorable } of pending) {
    if (complete) {
      await updateEntry(entry, { state: 'committed' }, now());
      outcomes.push({ user: entry.user, entryId: entry.id, outcome: 'completed' });
      continue;
    }
    const differences = await differencesFromSnapshot(snapshot, entry.operations);
    const problems = [...unrestorable, ...differences];
    if (problems.length === 0) {
      await updateEntry(entry, { state: 'rolled-back' }, now());
      outcomes.push({ user: entry.user, entryId: entry.id, outcome: 'rolled-back' });
    } else {
      await updateEntry(entry, { state: 'failed', problems: [...entry.problems, ...problems] }, now());
      outcomes.push({ user: entry.user, entryId: entry.id, outcome: 'failed', problems });
    }
  }
  return { outcomes, unreadable };
}
