// `untether restore`: put an account back exactly from its latest snapshot (for support cases), as a
// transaction of its own (snapshot of the current state first, verify, roll back on failure).
import { EXIT } from '../cli/exit-codes.js';
import type { PlanOperation } from '../plan/operations.js';
import { planRestore } from '../plan/restore.js';
import { firstStandard } from '../inventory/classify.js';
import { errorMessage, UntetherError } from '../errors.js';
import { standardAttribute } from '../system/dscl.js';
import { readSessions, sessionsOf } from '../system/sessions.js';
import { accountUid, captureAccount, findMovedHome, locateAccount, type CapturedAccount } from '../txn/account-state.js';
import { differencesFromSnapshot, runAccountChanges, type ChangeOutcome } from '../txn/run.js';
import { latestRestorableSnapshot, latestRestorableSnapshotOf, type AccountSnapshot } from '../txn/snapshot.js';

export interface RestoreReport {
  user: string;
  snapshot: Pick<AccountSnapshot, 'id' | 'reason' | 'takenAt'>;
  operations: PlanOperation[];
  unrestorable: string[];
  outcome?: ChangeOutcome;
  /** After a committed restore: differences left from the snapshot (empty = restored exactly). */
  remaining?: string[];
}

/** The snapshot to restore: the user's own, or (for an account renamed since) the newest one of the same GeneratedUID. */
async function snapshotFor(user: string): Promise<AccountSnapshot | undefined> {
  const own = await latestRestorableSnapshot(user);
  if (own) return own;
  const account = await captureAccount(user);
  const guid = account ? firstStandard(account.state.record, 'GeneratedUID') : undefined;
  return guid ? latestRestorableSnapshotOf(guid) : undefined;
}

/**
 * A restore rewrites the account and ~/.account in the user's home: never while the user has any session
 * (console, fast user switching, terminal, SSH, processes), or they could race root in their home. Sessions
 * that cannot be read count as logged in.
 */
async function refuseWhileLoggedIn(user: string, current: CapturedAccount): Promise<void> {
  const record = current.state.record;
  let sessions: string[];
  try {
    sessions = sessionsOf(await readSessions(), { names: standardAttribute(record, 'RecordName') ?? [record.recordName], uid: accountUid(record) });
  } catch (error) {
    sessions = [`sessions could not be read: ${errorMessage(error)}`];
  }
  if (sessions.length > 0) {
    throw new UntetherError('E_LOGGED_IN', `restoring "${user}": the user is logged in (${sessions.join('; ')}); restore once they are logged out; nothing was changed`, { exitCode: EXIT.REFUSED });
  }
}

/**
 * Plan (and unless dry-run, run) the restore of one account from its latest snapshot. A renamed account is
 * restored by its old name (the snapshot's) or its new one; either way it is renamed back.
 */
export async function restoreAccount(user: string, options: { dryRun: boolean; now: () => Date }): Promise<RestoreReport> {
  const snapshot = await snapshotFor(user);
  if (!snapshot) throw new UntetherError('E_NO_SNAPSHOT', `restoring "${user}": Untether has no snapshot of this account (it never changed it); nothing was changed`, { exitCode: EXIT.REFUSED });
  const current = await locateAccount([user, snapshot.user], firstStandard(snapshot.state.record, 'GeneratedUID'));
  if (current === null) throw new UntetherError('E_UNKNOWN_USER', `restoring "${user}": the account record does not exist; dscl cannot recreate it faithfully`, { exitCode: EXIT.FAILED });
  const snapshotHome = firstStandard(snapshot.state.record, 'NFSHomeDirectory');
  const homeFolderAt = await findMovedHome(snapshotHome, [firstStandard(current.state.record, 'NFSHomeDirectory')]);
  const { operations, unrestorable } = planRestore(current.state, snapshot.state, { homeFolderAt });
  const report: RestoreReport = { user, snapshot: { id: snapshot.id, reason: snapshot.reason, takenAt: snapshot.takenAt }, operations, unrestorable };
  if (options.dryRun || operations.length === 0) return report;
  await refuseWhileLoggedIn(user, current);
  const [outcome] = await runAccountChanges([{ kind: 'restore', user: current.state.record.recordName, operations }], { now: options.now });
  report.outcome = outcome;
  if (outcome?.outcome === 'committed') report.remaining = await differencesFromSnapshot(snapshot, operations);
  return report;
}
