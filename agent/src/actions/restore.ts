// `untether restore`: put an account back exactly from its latest snapshot (for support cases), as a
// transaction of its own (snapshot of the current state first, verify, roll back on failure).
import { EXIT } from '../cli/exit-codes.js';
import { UntetherError } from '../errors.js';
import type { PlanOperation } from '../plan/operations.js';
import { planRestore } from '../plan/restore.js';
import { captureAccount } from '../txn/account-state.js';
import { differencesFromSnapshot, runAccountChanges, type ChangeOutcome } from '../txn/run.js';
import { latestRestorableSnapshot, type AccountSnapshot } from '../txn/snapshot.js';

export interface RestoreReport {
  user: string;
  snapshot: Pick<AccountSnapshot, 'id' | 'reason' | 'takenAt'>;
  operations: PlanOperation[];
  unrestorable: string[];
  outcome?: ChangeOutcome;
  /** After a committed restore: differences left from the snapshot (empty = restored exactly). */
  remaining?: string[];
}

/** Plan (and unless dry-run, run) the restore of one account from its latest snapshot. */
export async function restoreAccount(user: string, options: { dryRun: boolean; now: () => Date }): Promise<RestoreReport> {
  const snapshot = await latestRestorableSnapshot(user);
  if (!snapshot) throw new UntetherError('E_NO_SNAPSHOT', `restoring "${user}": Untether has no snapshot of this account (it never changed it); nothing was changed`, { exitCode: EXIT.REFUSED });
  const current = await captureAccount(user);
  if (current === null) throw new UntetherError('E_UNKNOWN_USER', `restoring "${user}": the account record does not exist; dscl cannot recreate it faithfully`, { exitCode: EXIT.FAILED });
  const { operations, unrestorable } = planRestore(current.state, snapshot.state);
  const report: RestoreReport = { user, snapshot: { id: snapshot.id, reason: snapshot.reason, takenAt: snapshot.takenAt }, operations, unrestorable };
  if (options.dryRun || operations.length === 0) return report;
  const [outcome] = await runAccountChanges([{ kind: 'restore', user, operations }], { now: options.now });
  report.outcome = outcome;
  if (outcome?.outcome === 'committed') report.remaining = await differencesFromSnapshot(snapshot);
  return report;
}
