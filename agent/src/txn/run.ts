// The transaction runner for account changes (demobilization, takeover, restore). Snapshot and journal
// every account first; then apply, the attribute writes of all accounts through shared dscl batches; then one
// opendirectoryd restart for the batch; then verify by re-reading from the OS. Any failure rolls that account
// back to its snapshot (one write at a time, as always); the rest go on.
import { errorMessage } from '../errors.js';
import { firstStandard } from '../inventory/classify.js';
import { HOME_DIRECTORY, nameAfter, type PlanOperation } from '../plan/operations.js';
import { planRestore, recordDifferences } from '../plan/restore.js';
import { runWrites, type DirectoryRecord, type DsclWrite } from '../system/dscl.js';
import { homeFolderState } from '../system/files.js';
import { accountFromRecords, accountUid, findMovedHome, locateAccount, readDirectory, type CapturedAccount } from './account-state.js';
import { applyOperation, dsclWritesFor, targetAfter, type OperationTarget } from './apply.js';
import { restartDirectoryService } from './directory-service.js';
import { openEntry, updateEntry, type JournalEntry } from './journal.js';
import { saveSnapshot, type AccountSnapshot } from './snapshot.js';
import { readUnlockSnapshot, unlockFactsFor, type UnlockSnapshot } from './unlock.js';
import { verifyChange } from './verify.js';

export interface AccountChange {
  kind: 'demobilize' | 'takeover' | 'restore' | 'lock' | 'unlock';
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

/** The names an account may have while a plan runs or is undone: the snapshot's, then each rename's target. */
function namesDuring(user: string, operations: readonly PlanOperation[]): string[] {
  return [user, ...operations.flatMap((operation) => (operation.op === 'rename-record' ? [operation.from, operation.to] : []))];
}

/** The account of a snapshot as it is now, under its snapshot name or any name the plan gave it (same GeneratedUID). */
export async function currentAccount(snapshot: AccountSnapshot, operations: readonly PlanOperation[] = []): Promise<CapturedAccount | null> {
  return locateAccount(namesDuring(snapshot.user, operations), firstStandard(snapshot.state.record, 'GeneratedUID'));
}

/** Problems with the home folders a plan moved: each move's target must be a real directory and its source gone. */
export async function homeFolderProblems(operations: readonly PlanOperation[]): Promise<string[]> {
  const moves = operations.filter((operation) => operation.op === 'move-home');
  const last = moves.at(-1);
  if (last === undefined) return [];
  const problems: string[] = [];
  if ((await homeFolderState(last.to)) !== 'directory') problems.push(`home folder: expected a directory at ${last.to}`);
  if ((await homeFolderState(moves[0]!.from)) !== 'missing') problems.push(`home folder: ${moves[0]!.from} still exists`);
  return problems;
}

/**
 * Apply the restore operations that bring the account back to its snapshot (no restart, no verify). `operations`
 * are the plan being undone: a renamed account is found under its new name and renamed back first.
 */
export async function rollBackAccount(snapshot: AccountSnapshot, operations: readonly PlanOperation[] = []): Promise<{ unrestorable: string[] }> {
  const current = await currentAccount(snapshot, operations);
  if (current === null) return { unrestorable: ['the account record is gone; it cannot be restored with dscl'] };
  const snapshotHome = firstStandard(snapshot.state.record, 'NFSHomeDirectory');
  const moved = operations.flatMap((operation) => (operation.op === 'move-home' ? [operation.to] : []));
  const homeFolderAt = await findMovedHome(snapshotHome, [firstStandard(current.state.record, 'NFSHomeDirectory'), ...moved]);
  const { operations: restore, unrestorable } = planRestore(current.state, snapshot.state, { homeFolderAt });
  let target: OperationTarget = { user: current.state.record.recordName, home: snapshotHome, uid: accountUid(current.state.record), accountFileOwner: snapshot.accountFileOwner };
  for (const operation of restore) {
    await applyOperation(target, operation);
    target = targetAfter(target, operation);
  }
  return { unrestorable };
}

/** Differences between the account now and its snapshot; empty means restored. `operations`: the plan undone. */
export async function differencesFromSnapshot(snapshot: AccountSnapshot, operations: readonly PlanOperation[] = []): Promise<string[]> {
  const current = await currentAccount(snapshot, operations);
  if (current === null) return ['the account record is gone'];
  const problems = recordDifferences(current.state.record, snapshot.state.record);
  if (current.state.record.recordName !== snapshot.state.record.recordName) problems.unshift(`the account is named "${current.state.record.recordName}", "${snapshot.state.record.recordName}" expected`);
  for (const [group, member] of Object.entries(snapshot.state.groups)) {
    if ((current.state.groups[group] ?? false) !== member) problems.push(`group ${group}: expected ${member ? 'a member' : 'not a member'}`);
  }
  if ((current.state.accountFile === null) !== (snapshot.state.accountFile === null)) {
    problems.push(`~/.account: expected ${snapshot.state.accountFile ? 'present' : 'absent'}`);
  }
  if (snapshot.state.memberOf && current.state.memberOf && snapshot.state.memberOf.join('\n') !== current.state.memberOf.join('\n')) {
    problems.push(`groups listing the account: expected ${snapshot.state.memberOf.join(', ') || 'none'}, found ${current.state.memberOf.join(', ') || 'none'}`);
  }
  const snapshotHome = snapshot.state.record.attributes[HOME_DIRECTORY]?.[0];
  if (snapshotHome !== undefined && operations.some((operation) => operation.op === 'move-home') && (await homeFolderState(snapshotHome)) !== 'directory') {
    problems.push(`home folder: expected a directory at ${snapshotHome}`);
  }
  return problems;
}

/** An account whose plan is being applied: where it is in its operations and what the next ones act on. */
interface Applying {
  flight: InFlight;
  target: OperationTarget;
  /** Index of the next operation to apply. */
  next: number;
  /** What dscl batches said while this account's writes were in them (quoted when verification fails). */
  batchProblems: string[];
}

/** Run a batch of account changes transactionally; returns one outcome per change, in order. */
export async function runAccountChanges(changes: readonly AccountChange[], options: RunOptions): Promise<ChangeOutcome[]> {
  const emit = options.onEvent ?? (() => undefined);
  const outcomes = new Map<string, ChangeOutcome>();
  const directory = options.directory ?? (await readDirectory());
  const unlockBefore = options.unlockBefore ?? (await readUnlockSnapshot());
  const applied: Applying[] = [];
  const rollingBack: Array<InFlight & { reason: string; unrestorable: string[] }> = [];

  const startRollback = async (flight: InFlight, reason: string, problems: string[]) => {
    flight.entry = await updateEntry(flight.entry, { state: 'rolling-back', problems }, options.now());
    try {
      const { unrestorable } = await rollBackAccount(flight.snapshot, flight.change.operations);
      rollingBack.push({ ...flight, reason, unrestorable });
    } catch (error) {
      // The journal stays in rolling-back: the next start of the agent tries again.
      const detail = `rolling back: ${errorMessage(error)}`;
      emit({ type: 'rollback-failed', user: flight.change.user, problems: [...problems, detail] });
      outcomes.set(flight.change.user, { user: flight.change.user, outcome: 'failed', snapshotId: flight.snapshot.id, reason, problems: [...problems, detail] });
    }
  };

  // Phase 1a: a snapshot and a journal entry for every account before the first write to any of them.
  const active: Applying[] = [];
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
    const target: OperationTarget = {
      user: change.user,
      home: firstStandard(record, 'NFSHomeDirectory'),
      uid: accountUid(record),
      accountFileOwner: captured.accountFileOwner,
      generatedUid: firstStandard(record, 'GeneratedUID'),
    };
    active.push({ flight, target, next: 0, batchProblems: [] });
  }

  // Phase 1b: apply in rounds. In each round every account first runs the operations that are not attribute
  // writes (files, home folders, group creation) up to its next attribute write, one by one as before (a
  // failure rolls that account back at once); then the next run of attribute writes of EVERY account goes
  // through one dscl batch. The batch decides nothing: verification re-reads every account afterwards.
  while (active.length > 0) {
    const batch: DsclWrite[] = [];
    const inBatch: Array<{ account: Applying; from: number; to: number }> = [];
    for (const account of [...active]) {
      const { change } = account.flight;
      let failure: string | null = null;
      while (account.next < change.operations.length && dsclWritesFor(account.target, change.operations[account.next]!) === undefined) {
        const index = account.next;
        const operation = change.operations[index]!;
        try {
          await applyOperation(account.target, operation);
          account.target = targetAfter(account.target, operation);
          account.next += 1;
          account.flight.entry = await updateEntry(account.flight.entry, { stepsDone: account.next }, options.now());
          emit({ type: 'step-applied', user: change.user, index, operation });
        } catch (error) {
          failure = `step ${index + 1} of ${change.operations.length} failed: ${errorMessage(error)}`;
          emit({ type: 'step-failed', user: change.user, index, operation, error: errorMessage(error) });
          break;
        }
      }
      if (failure !== null) {
        active.splice(active.indexOf(account), 1);
        await startRollback(account.flight, failure, [...account.batchProblems, failure]);
        continue;
      }
      const from = account.next;
      for (;;) {
        const operation = change.operations[account.next];
        const writes = operation === undefined ? undefined : dsclWritesFor(account.target, operation);
        if (operation === undefined || writes === undefined) break;
        batch.push(...writes);
        account.target = targetAfter(account.target, operation);
        account.next += 1;
      }
      if (account.next > from) inBatch.push({ account, from, to: account.next });
    }
    if (batch.length > 0) {
      const report = await runWrites(batch);
      for (const { account, from, to } of inBatch) {
        account.batchProblems.push(...report.problems);
        account.flight.entry = await updateEntry(account.flight.entry, { stepsDone: to }, options.now());
        for (let index = from; index < to; index += 1) emit({ type: 'step-applied', user: account.flight.change.user, index, operation: account.flight.change.operations[index]! });
      }
    }
    for (const account of [...active]) {
      if (account.next < account.flight.change.operations.length) continue;
      active.splice(active.indexOf(account), 1);
      account.flight.entry = await updateEntry(account.flight.entry, { state: 'applied' }, options.now());
      applied.push(account);
    }
  }

  // Phase 2: one restart for the whole batch; the first read that answers after it is the verification read.
  // The FileVault and SecureToken lists are read while opendirectoryd comes back; a list that could not be
  // read then (but could before) is read again once it answers, so nothing goes unchecked.
  let after: { users: DirectoryRecord[]; groups: DirectoryRecord[] } | null = null;
  let unlockAfter: UnlockSnapshot | null = null;
  if (applied.length > 0 || rollingBack.length > 0) {
    try {
      const restart = await restartDirectoryService(applied.length > 0 ? readDirectory : undefined, applied.length > 0 ? readUnlockSnapshot : async () => null);
      emit({ type: 'directory-restarted', waitedMs: restart.waitedMs });
      after = restart.directory ?? null;
      unlockAfter = restart.meanwhile;
    } catch (error) {
      for (const account of applied.splice(0)) await startRollback(account.flight, errorMessage(error), [...account.batchProblems, errorMessage(error)]);
    }
  }
  if (applied.length > 0) {
    after ??= await readDirectory();
    if (unlockAfter === null || (unlockAfter.fileVault === null && unlockBefore.fileVault !== null) || (unlockAfter.crypto === null && unlockBefore.crypto !== null)) {
      unlockAfter = await readUnlockSnapshot();
    }
    let rolledBackNow = false;
    for (const { flight, batchProblems } of applied) {
      const user = flight.change.user;
      // A renamed account is verified under its new name.
      const finalName = nameAfter(user, flight.change.operations);
      const record = after.users.find((candidate) => candidate.recordName === finalName);
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
      if (captured !== null) problems.push(...(await homeFolderProblems(flight.change.operations)));
      if (problems.length === 0) {
        flight.entry = await updateEntry(flight.entry, { state: 'committed' }, options.now());
        emit({ type: 'verified', user });
        outcomes.set(user, { user, outcome: 'committed', snapshotId: flight.snapshot.id });
      } else {
        // What dscl printed while the writes ran says why; verification alone decided.
        problems.push(...new Set(batchProblems));
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
      differences = await differencesFromSnapshot(flight.snapshot, flight.change.operations);
    } catch (error) {
      // Could not even read the account back: keep the journal open so the next start retries the rollback.
      const detail = `re-reading the account after rollback: ${errorMessage(error)}; the next start of the agent retries`;
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

