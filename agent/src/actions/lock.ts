// `untether lock` / `unlock` and the server's lock-account / unlock-account: resolve the account (by short name or
// by the cloud identity takeover linked it to), decide (plan/lock.ts), and run the one-value change through the
// transaction layer (snapshot, journal, apply, verify, roll back). Runs under the action lock, held by the caller;
// what happens to a logged-in user's session is lock-session.ts, run after the lock is released.
import type { AccountRef, ErrorCode } from '../../../protocol/src/index.js';
import { EXIT, type ExitCode } from '../cli/exit-codes.js';
import { lastSecureTokenHolder } from '../daemon/command-guard.js';
import { errorMessage } from '../errors.js';
import { firstStandard } from '../inventory/classify.js';
import { readAllProvenance, readProvenance, removeProvenance, retireProvenance, toProvenance, writeProvenance, type ProvenanceFile } from '../lock/provenance.js';
import { accountsLinkedTo, planLock, planUnlock, statusFromFacts, type LockStatus } from '../plan/lock.js';
import type { PlanOperation } from '../plan/operations.js';
import { listCryptoUsers, type CryptoUser } from '../system/diskutil.js';
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { readDirectory, type Directory } from '../txn/account-state.js';
import { differencesFromSnapshot, runAccountChanges, type ChangeOutcome } from '../txn/run.js';
import { latestRestorableSnapshot, loadSnapshot } from '../txn/snapshot.js';

export interface LockRequest {
  verb: 'lock' | 'unlock';
  account: AccountRef;
  /** The server's lock id, or one the CLI made up. */
  lockId: string;
  requestedBy: string;
  reason: string;
  source: 'cli' | 'server';
  dryRun: boolean;
  protectedAccounts: readonly string[];
  now: () => Date;
  /**
   * The directory and the APFS crypto users (null: unreadable), when the caller already read them under the action
   * lock it holds (the daemon, for its command guard); otherwise they are read here.
   */
  facts?: { directory: Directory; cryptoUsers: CryptoUser[] | null };
}

export interface LockReport {
  verb: 'lock' | 'unlock';
  /** The local account, once resolved. */
  user: string | null;
  uid: number | null;
  /** Every name the account logs in with (for the session check). */
  names: string[];
  /** applied: changed and verified; none: nothing to do; refused: a gate said no; rolled-back / failed: the change did not hold. */
  result: 'applied' | 'would-apply' | 'none' | 'refused' | 'rolled-back' | 'failed';
  code?: ErrorCode;
  message: string;
  operations: PlanOperation[];
  /** The status before the change (as the decision saw it). */
  statusBefore: LockStatus | null;
  outcome?: ChangeOutcome;
  /** Unlock: how the record differs from the one before the lock (empty = exactly as before). */
  differencesFromBeforeLock?: string[];
  note?: string;
}

/** Find the account a request names: by any of its short names, or by the identity a takeover linked it to. */
export function resolveAccount(account: AccountRef, users: readonly DirectoryRecord[]): DirectoryRecord | { code: ErrorCode; reason: string } {
  if (account.by === 'user') {
    const wanted = account.user;
    const namesOf = (user: DirectoryRecord): string[] => [user.recordName, ...(standardAttribute(user, 'RecordName') ?? [])];
    const exact = users.find((user) => user.recordName === wanted) ?? users.find((user) => namesOf(user).includes(wanted));
    if (exact !== undefined) return exact;
    // The login window takes a short name in any case, so an admin who types JDoe means jdoe. Only a unique match
    // counts: two accounts that differ only in case must be named exactly.
    const folded = wanted.toLowerCase();
    const matches = users.filter((user) => namesOf(user).some((name) => name.toLowerCase() === folded));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      return { code: 'E_USER_AMBIGUOUS', reason: `"${wanted}" names several accounts when case is ignored (${matches.map((user) => user.recordName).join(', ')}); give the exact short name` };
    }
    return { code: 'E_UNKNOWN_USER', reason: `there is no account "${wanted}" on this Mac` };
  }
  const linked = accountsLinkedTo(account.identity, users);
  if (linked.length === 0) return { code: 'E_IDENTITY_NOT_LINKED', reason: `no account on this Mac is linked to the cloud identity "${account.identity}"` };
  if (linked.length > 1) return { code: 'E_IDENTITY_AMBIGUOUS', reason: `several accounts are linked to "${account.identity}" (${linked.join(', ')}); name one with --user` };
  return users.find((user) => user.recordName === linked[0])!;
}

function refused(request: LockRequest, code: ErrorCode, message: string, record?: DirectoryRecord): LockReport {
  const named = request.account.by === 'user' ? request.account.user : request.account.identity;
  return { verb: request.verb, user: record?.recordName ?? named, uid: null, names: [], result: 'refused', code, message, operations: [], statusBefore: null };
}

/** Decide and (unless dry run) apply a lock or unlock. Never throws for a refusal: the report says it. */
export async function runLockChange(request: LockRequest): Promise<LockReport> {
  const directory = request.facts?.directory ?? (await readDirectory());
  const resolved = resolveAccount(request.account, directory.users);
  if (!('recordName' in resolved)) return refused(request, resolved.code, resolved.reason);
  const record = resolved;
  const user = record.recordName;
  const generatedUid = firstStandard(record, 'GeneratedUID');
  if (generatedUid === null) return refused(request, 'E_UNKNOWN_USER', `"${user}" has no GeneratedUID; Untether does not lock such a record`, record);
  const cryptoUsers = request.verb !== 'lock' ? null : request.facts ? request.facts.cryptoUsers : await listCryptoUsers('/').catch(() => null);
  const provenanceFile = await readProvenance(generatedUid);
  const facts = {
    record,
    users: directory.users,
    groups: directory.groups,
    provenance: toProvenance(provenanceFile),
    tokenHolder: lastSecureTokenHolder(directory.users, cryptoUsers),
    protectedAccounts: request.protectedAccounts,
  };
  const decision = request.verb === 'lock' ? planLock(facts) : planUnlock(facts);
  const uidText = firstStandard(record, 'UniqueID');
  const base = {
    verb: request.verb,
    user,
    uid: uidText !== null && /^\d+$/.test(uidText) ? Number(uidText) : null,
    names: [...(standardAttribute(record, 'RecordName') ?? [user])],
  };
  if (decision.action === 'refuse') return { ...base, result: 'refused', code: decision.code, message: decision.reason, operations: [], statusBefore: null };
  if (decision.action === 'none') {
    // A record of a lock whose value someone removed by hand: the lock is gone, keep the record in the history.
    if (!request.dryRun && request.verb === 'unlock' && provenanceFile && decision.status.kind === 'unlocked') {
      await retireProvenance(provenanceFile, { at: request.now().toISOString(), requestedBy: request.requestedBy, reason: `${request.reason} (the lock value was already gone)`, source: request.source, lockId: request.lockId });
    }
    return { ...base, result: 'none', message: decision.message, operations: [], statusBefore: decision.status };
  }
  const report: LockReport = { ...base, result: request.dryRun ? 'would-apply' : 'applied', message: '', operations: decision.operations, statusBefore: decision.status, ...(decision.note ? { note: decision.note } : {}) };
  if (request.dryRun) {
    report.message = request.verb === 'lock' ? 'would lock (dry run; nothing changed)' : 'would unlock (dry run; nothing changed)';
    return report;
  }
  return request.verb === 'lock' ? applyLock(request, report, generatedUid, directory) : applyUnlock(request, report, provenanceFile!, directory);
}

async function applyLock(request: LockRequest, report: LockReport, generatedUid: string, directory: Directory): Promise<LockReport> {
  const user = report.user!;
  // The record first: a crash after the write still shows the lock as Untether's (a record without its value counts for nothing).
  const provenance: Omit<ProvenanceFile, 'format'> = {
    user,
    generatedUid,
    lockId: request.lockId,
    requestedBy: request.requestedBy,
    reason: request.reason,
    source: request.source,
    lockedAt: request.now().toISOString(),
    snapshotId: 'pending',
  };
  const previous = await readProvenance(generatedUid);
  await writeProvenance(provenance);
  const [outcome] = await runAccountChanges([{ kind: 'lock', user, operations: report.operations }], { now: request.now, directory });
  report.outcome = outcome;
  if (outcome?.outcome === 'committed') {
    await writeProvenance({ ...provenance, snapshotId: outcome.snapshotId });
    report.message = 'locked and verified';
    return report;
  }
  // Not locked: the account is as before, so the record of this lock goes (a stale earlier one stays as it was).
  if (previous) await writeProvenance(previous);
  else await removeProvenance(generatedUid);
  return notCommitted(report, outcome, 'lock rolled back');
}

/** A change that did not hold: rolled back to the snapshot, or failed so that an admin must look. */
function notCommitted(report: LockReport, outcome: Exclude<ChangeOutcome, { outcome: 'committed' }> | undefined, rolledBack: string): LockReport {
  const rolled = outcome?.outcome === 'rolled-back';
  report.result = rolled ? 'rolled-back' : 'failed';
  report.code = rolled ? 'E_ROLLED_BACK' : 'E_NEEDS_ADMIN';
  report.message = `${rolled ? rolledBack : `${report.verb} FAILED`}: ${outcome ? outcome.reason : 'no outcome'}`;
  return report;
}

async function applyUnlock(request: LockRequest, report: LockReport, provenance: ProvenanceFile, directory: Directory): Promise<LockReport> {
  const user = report.user!;
  const [outcome] = await runAccountChanges([{ kind: 'unlock', user, operations: report.operations }], { now: request.now, directory });
  report.outcome = outcome;
  if (outcome?.outcome !== 'committed') return notCommitted(report, outcome, 'unlock rolled back (still locked)');
  // The record must be exactly the one before the lock; anything else changed meanwhile is named, not undone.
  // A lock finished by crash recovery never recorded its snapshot id: its snapshot is the user's newest lock one.
  try {
    const snapshot = provenance.snapshotId !== 'pending' ? await loadSnapshot(provenance.user, provenance.snapshotId) : await latestRestorableSnapshot(provenance.user);
    if (snapshot?.reason === 'lock') report.differencesFromBeforeLock = await differencesFromSnapshot(snapshot);
    else report.differencesFromBeforeLock = ['the snapshot before the lock was not found; the record was not compared'];
  } catch (error) {
    report.differencesFromBeforeLock = [`the snapshot before the lock could not be read: ${errorMessage(error)}`];
  }
  await retireProvenance(provenance, { at: request.now().toISOString(), requestedBy: request.requestedBy, reason: request.reason, source: request.source, lockId: request.lockId });
  const differences = report.differencesFromBeforeLock ?? [];
  report.message = differences.length === 0 ? 'unlocked and verified; the account is exactly as before the lock' : `unlocked; differences from before the lock (made meanwhile, not by the lock): ${differences.join('; ')}`;
  return report;
}

/** The lock status of every person's account (for `untether status` and the inventory). */
export async function lockStatuses(): Promise<Array<{ user: string; status: LockStatus }>> {
  const [directory, provenance] = await Promise.all([readDirectory(), readAllProvenance()]);
  return directory.users
    .filter((record) => !record.recordName.startsWith('_'))
    .map((record) => ({ user: record.recordName, status: statusFromFacts(record, directory.groups, toProvenance(provenance.byGuid.get(firstStandard(record, 'GeneratedUID')?.toUpperCase() ?? ''))) }));
}

/** The exit code of a report, as every CLI command maps outcomes. */
export function exitCodeOf(report: LockReport): ExitCode {
  if (report.result === 'refused') return report.code === 'E_UNKNOWN_USER' || report.code === 'E_IDENTITY_NOT_LINKED' ? EXIT.FAILED : EXIT.REFUSED;
  if (report.result === 'rolled-back' || report.result === 'failed') return EXIT.FAILED;
  return EXIT.OK;
}
