// The transaction runner for account changes (demobilization, takeover, restore). For each account:
// snapshot → journal → apply, step by step; then one opendirectoryd restart for the batch; then verify
// by re-reading from the OS. Any failure rolls that account back to its snapshot; the rest go on.
import { firstStandard } from '../inventory/classify.js';
import type { PlanOperation } from '../plan/operations.js';
import { planRestore, recordDifferences } from '../plan/restore.js';
import type { DirectoryRecord } from '../system/dscl.js';
import { accountFromRecords, captureAccount, readDirectory } from './account-state.js';
import { applyOperation } from './apply.js';
import { restartDirectoryService } from './directory-service.js';
import { openEntry, updateEntry, type JournalEntry } from './journal.js';
import { saveSnapshot, type AccountSnapshot } from './snapshot.js';
import { readUnlockSnapshot, unlockFactsFor, type UnlockSnapshot } from './unlock.js';
import { verifyChange } from './verify.js';

export interface AccountChange {
  kind: 'demobilize' | 'takeover' | 'restore';
  user: string;
  operations: PlanOperation[];
}

export type ChangeOutcome =
  /** Applied and verified. */
  | { user: string; outcome: 'committed'; snapshotId: string }
  /** Something failed; the account is back exactly as its snapshot (AuthenticationAuthority compared as a set). */
  | { user: string; outcome: 'rolled-back'; snapshotId: string; reason: string; problems: string[] }
  /** Something failed and the rollback could not prove the snapshot state: needs an admin (journal and snapshot kept). */
  | { user: string; outcome: 'failed'; snapshotId: string | null; reason: string; problems: string[] };

export type TransactionEvent =
  | { type: 'snapshot-saved'; user: string; snapshotId: string }
  | { type: 'step-applied'; user: string; index: number; operation: PlanOperation }
  | { type: 'step-failed'; user: string; index: number; operation: PlanOperation; error: string }
  | { type: 'directory-restarted'; waitedMs: number }
  | { type: 'verified'; user: string }
  | { type: 'verify-failed'; user: string; problems: string[] }
  | { type: 'rolled-back'; user: string; reason: string }
  | { type: 'rollback-failed'; user: string; problems: string[] };

export interface RunOptions {
  now: () => Date;
  onEvent?: (event: TransactionEvent) => void;
  /** User and group records already read by the caller for this batch (saves two dscl calls). */
  directory?: { users: readonly DirectoryRecord[]; groups: readonly DirectoryRecord[] };
  /** FileVault and SecureToken lists already read by the caller for this batch. */
  unlockBefore?: UnlockSnapshot;
}

interface InFlight {
  change: AccountChange;
  snapshot: AccountSnapshot;
  entry: JournalEntry;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Apply the restore operations that bring the account back to its snapshot (no restart, no verify). */
export async function rollBackAccount(snapshot: AccountSnapshot): Promise<{ unrestorable: string[] }> {
  const current = await captureAccount(snapshot.user);
  if (current === null) return { unrestorable: ['the account record is gone; it cannot be restored with dscl'] };
  const { operations, unrestorable } = planRestore(current.state, snapshot.state);
  const target = { user: snapshot.user, home: firstStandard(snapshot.state.record, 'NFSHomeDirectory'), accountFileOwner: snapshot.accountFileOwner };
  for (const operation of operations) await applyOperation(target, operation);
  return { unrestorable };
}

/** Differences between the account now and its snapshot; empty means restored. */
export async function differencesFromSnapshot(snapshot: AccountSnapshot): Promise<string[]> {
  const current = await captureAccount(snapshot.user);
  if (current === null) return ['the account record is gone'];
  const problems = recordDifferences(current.state.record, snapshot.state.record);
  for (const [group, member] of Object.entries(snapshot.state.groups)) {
    if ((current.state.groups[group] ?? false) !== member) problems.push(`group ${group}: expected ${member ? 'a member' : 'not a member'}`);
  }
  if ((current.state.accountFile === null) !== (snapshot.state.accountFile === null)) {
    problems.push(`~/.account: expected ${snapshot.state.accountFile ? 'present' : 'absent'}`);
  }
  return problems;
}

/** Run a batch of account changes transactionally; returns one outcome per change, in order. */
export async function runAccountChanges(changes: readonly AccountChange[], options: RunOptions): Promise<ChangeOutcome[]> {
  const emit = options.onEvent ?? (() => undefined);
  const outcomes = new Map<string, ChangeOutcome>();
  const directory = options.directory ?? (await readDirectory());
  const unlockBefore = options.unlockBefore ?? (await readUnlockSnapshot());
  const applied: InFlight[] = [];
  const rollingBack: Array<InFlight & { reason: string; unrestorable: string[] }> = [];

  const startRollback = async (flight: InFlight, reason: string, problems: string[]) => {
    flight.entry = await updateEntry(flight.entry, { state: 'rolling-back', problems }, options.now());
    try {
      const { unrestorable } = await rollBackAccount(flight.snapshot);
      rollingBack.push({ ...flight, reason, unrestorable });
    } catch (error) {
      // The journal stays in rolling-back: the next start of the agent tries again.
      const detail = `rolling back: ${message(error)}`;
      emit({ type: 'rollback-failed', user: flight.change.user, problems: [...problems, detail] });
      outcomes.set(flight.change.user, { user: flight.change.user, outcome: 'failed', snapshotId: flight.snapshot.id, reason, problems: [...problems, detail] });
    }
  };

  // Phase 1: snapshot, journal and apply each account; a failed step rolls that account back at once.
  for (const change of changes) {
    const record = directory.users.find((candidate) => candidate.recordName === change.user);
    if (!record) {
      outcomes.set(change.user, { user: change.user, outcome: 'failed', snapshotId: null, reason: 'the account record was not found', problems: [] });
      continue;
    }
    const captured = await accountFromRecords(record, directory.groups);
    const snapshot = await saveSnapshot(change.user, change.kind, captured.state, captured.accountFileOwner, options.now());
    emit({ type: 'snapshot-saved', user: change.user, snapshotId: snapshot.id });
    const flight: InFlight = { change, snapshot, entry: await openEntry({ kind: change.kind, user: change.user, snapshotId: snapshot.id, operations: change.operations }, options.now()) };
    const target = { user: change.user, home: firstStandard(record, 'NFSHomeDirectory'), accountFileOwner: captured.accountFileOwner };
    let failure: string | null = null;
    for (const [index, operation] of change.operations.entries()) {
      try {
        await applyOperation(target, operation);
        flight.entry = await updateEntry(flight.entry, { stepsDone: index + 1 }, options.now());
        emit({ type: 'step-applied', user: change.user, index, operation });
      } catch (error) {
        failure = `step ${index + 1} of ${change.operations.length} failed: ${message(error)}`;
        emit({ type: 'step-failed', user: change.user, index, operation, error: message(error) });
        break;
      }
    }
    if (failure === null) {
      flight.entry = await updateEntry(flight.entry, { state: 'applied' }, options.now());
      applied.push(flight);
    } else {
      await startRollback(flight, failure, [failure]);
    }
  }

  // Phase 2: one restart for the whole batch, then verify every applied account against its plan.
  if (applied.length > 0 || rollingBack.length > 0) {
    try {
      const restart = await restartDirectoryService();
      emit({ type: 'directory-restarted', waitedMs: restart.waitedMs });
    } catch (error) {
      for (const flight of applied.splice(0)) await startRollback(flight, message(error), [message(error)]);
    }
  }
  if (applied.length > 0) {
    const after = await readDirectory();
    const unlockAfter = await readUnlockSnapshot();
    let rolledBackNow = false;
    for (const flight of applied) {
      const user = flight.change.user;
      const record = after.users.find((candidate) => candidate.recordName === user);
      const captured = record ? await accountFromRecords(record, after.groups) : null;
      const snapshotRecord = flight.snapshot.state.record as DirectoryRecord;
      const problems = verifyChange({
        kind: flight.change.kind,
        snapshot: flight.snapshot.state,
        operations: flight.change.operations,
        after: captured?.state ?? null,
        unlockBefore: unlockFactsFor(snapshotRecord, unlockBefore),
        unlockAfter: record ? unlockFactsFor(record, unlockAfter) : { fileVaultUser: null, cryptoUser: null },
        groupsAfter: after.groups,
      });
      if (problems.length === 0) {
        flight.entry = await updateEntry(flight.entry, { state: 'committed' }, options.now());
        emit({ type: 'verified', user });
        outcomes.set(user, { user, outcome: 'committed', snapshotId: flight.snapshot.id });
      } else {
        emit({ type: 'verify-failed', user, problems });
        await startRollback(flight, 'verification failed', problems);
        rolledBackNow = true;
      }
    }
    if (rolledBackNow) {
      const restart = await restartDirectoryService().catch(() => null);
      if (restart) emit({ type: 'directory-restarted', waitedMs: restart.waitedMs });
    }
  }

  // Phase 3: prove every rolled-back account equals its snapshot again.
  for (const flight of rollingBack) {
    const user = flight.change.user;
    let differences: string[];
    try {
      differences = await differencesFromSnapshot(flight.snapshot);
    } catch (error) {
      // Could not even read the account back: keep the journal open so the next start retries the rollback.
      const detail = `re-reading the account after rollback: ${message(error)}; the next start of the agent retries`;
      emit({ type: 'rollback-failed', user, problems: [detail] });
      outcomes.set(user, { user, outcome: 'failed', snapshotId: flight.snapshot.id, reason: flight.reason, problems: [...flight.entry.problems, detail] });
      continue;
    }
    const problems = [...flight.entry.problems, ...flight.unrestorable, ...differences];
    if (differences.length === 0 && flight.unrestorable.length === 0) {
      await updateEntry(flight.entry, { state: 'rolled-back', problems }, options.now());
      emit({ type: 'rolled-back', user, reason: flight.reason });
      outcomes.set(user, { user, outcome: 'rolled-back', snapshotId: flight.snapshot.id, reason: flight.reason, problems: flight.entry.problems });
    } else {
      await updateEntry(flight.entry, { state: 'failed', problems }, options.now());
      emit({ type: 'rollback-failed', user, problems });
      outcomes.set(user, { user, outcome: 'failed', snapshotId: flight.snapshot.id, reason: flight.reason, problems });
    }
  }
  return changes.map((change) => outcomes.get(change.user)!);
}

