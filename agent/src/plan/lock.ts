// Pure: whether an account's logins are disabled (and by whom), and the plan that locks or unlocks it, or the
// refusal with its code. The mechanism (docs/decisions/2026-12-03-account-lock.md): a lock appends the one
// AuthenticationAuthority value ";DisabledUser;"; an unlock deletes exactly that value. The list is never rewritten
// whole (that can drop ShadowHash and with it the password hash).
import type { ErrorCode } from '../../../protocol/src/index.js';
import { classifyAccount, firstStandard, integerValue, isAdmin } from '../inventory/classify.js';
import { isProtected } from '../link/policy.js';
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { TAKEOVER_ATTRIBUTES } from '../takeover/plan.js';
import { AUTHENTICATION_AUTHORITY } from './cached-attributes.js';
import type { PlanOperation } from './operations.js';

/** The value a lock appends (Chef's mac_user and JumpCloud's form; account-lock-and-psso.md A.2). */
export const DISABLED_USER_AUTHORITY = ';DisabledUser;';
/** The group pwpolicy -disableuser is said to add a disabled account to (A.1, one of three candidate places). */
export const ACCESS_DISABLED_GROUP = 'com.apple.access_disabled';

/** What Untether knows about a lock it placed: who asked, why, when, from where. */
export interface LockProvenance {
  lockId: string;
  requestedBy: string;
  reason: string;
  source: 'cli' | 'server';
  lockedAt: string;
}

/** Whether logins of an account are disabled, and by what. */
export interface DisabledState {
  /** AuthenticationAuthority values holding "DisabledUser" in any form (";DisabledUser;", bare "DisabledUser", ...). */
  authorities: string[];
  /** Member of com.apple.access_disabled (by short name or GeneratedUID); null when the group could not be read. */
  inDisabledGroup: boolean | null;
}

/** How an account stands, as `untether status` and the inventory say it. */
export type LockStatus =
  | { kind: 'unlocked' }
  /** Untether's value is in place and Untether recorded the lock; `alsoForeign`: another mechanism disables it too. */
  | { kind: 'locked-by-untether'; provenance: LockProvenance; alsoForeign: boolean }
  /** Disabled, not by an Untether lock (pwpolicy, an admin, another tool); `how` says where it was seen. */
  | { kind: 'locked-foreign'; how: string[] };

/** Read the disabled markers of a record: every AA value containing DisabledUser, and the access_disabled group. */
export function disabledState(record: DirectoryRecord, disabledGroup: DirectoryRecord | null | undefined): DisabledState {
  const authorities = (record.attributes[AUTHENTICATION_AUTHORITY] ?? []).filter((value) => /DisabledUser/i.test(value));
  const inDisabledGroup = disabledGroup === undefined ? null : disabledGroup === null ? false : isAdmin(record.recordName, firstStandard(record, 'GeneratedUID'), disabledGroup);
  return { authorities, inDisabledGroup };
}

/** Whether any marker disables the account (unknown group membership counts only when the AA says so). */
export function isDisabled(state: DisabledState): boolean {
  return state.authorities.length > 0 || state.inDisabledGroup === true;
}

/**
 * The account's lock status. Untether's lock is its exact value plus its provenance record; anything else that
 * disables the account is foreign. A provenance record whose value is gone (removed by hand) counts for nothing.
 */
export function lockStatus(state: DisabledState, provenance: LockProvenance | null): LockStatus {
  const ours = provenance !== null && state.authorities.includes(DISABLED_USER_AUTHORITY);
  const foreign = foreignMarkers(state, ours);
  if (ours) return { kind: 'locked-by-untether', provenance, alsoForeign: foreign.length > 0 };
  return foreign.length > 0 ? { kind: 'locked-foreign', how: foreign } : { kind: 'unlocked' };
}

function foreignMarkers(state: DisabledState, oursPresent: boolean): string[] {
  const how: string[] = [];
  let ownSkipped = false;
  for (const value of state.authorities) {
    // Untether's one value is ours; a second identical value (the local node's duplicate behaviour is unconfirmed) is not.
    if (oursPresent && value === DISABLED_USER_AUTHORITY && !ownSkipped) {
      ownSkipped = true;
      continue;
    }
    how.push(`AuthenticationAuthority "${value}"`);
  }
  if (state.inDisabledGroup === true) how.push(`member of ${ACCESS_DISABLED_GROUP}`);
  return how;
}

/** The local accounts linked to a cloud identity by takeover (any provider's link attribute), case-insensitively. */
export function accountsLinkedTo(identity: string, users: readonly DirectoryRecord[]): string[] {
  const wanted = identity.toLowerCase();
  const attributes = [
    TAKEOVER_ATTRIBUTES.jamfConnect.networkUser,
    TAKEOVER_ATTRIBUTES.jamfConnect.azureUser,
    TAKEOVER_ATTRIBUTES.jamfConnect.oktaUser,
    TAKEOVER_ATTRIBUTES.xcreds.fullUsername,
    TAKEOVER_ATTRIBUTES.xcreds.username,
    TAKEOVER_ATTRIBUTES.generic.username,
  ];
  return users
    .filter((user) => attributes.some((attribute) => (user.attributes[attribute] ?? []).some((value) => value.toLowerCase() === wanted)))
    .map((user) => user.recordName);
}

/** The cloud identity an account is linked to by takeover, or null. */
export function linkedIdentityOf(record: DirectoryRecord): string | null {
  const attributes = [TAKEOVER_ATTRIBUTES.generic.username, TAKEOVER_ATTRIBUTES.xcreds.fullUsername, TAKEOVER_ATTRIBUTES.jamfConnect.networkUser, TAKEOVER_ATTRIBUTES.xcreds.username];
  for (const attribute of attributes) {
    const value = record.attributes[attribute]?.[0];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

/** Everything a lock or unlock decision needs, read by the caller. */
export interface LockFacts {
  /** The account to lock or unlock. */
  record: DirectoryRecord;
  /** Every user record (to count the admins still able to log in). */
  users: readonly DirectoryRecord[];
  /** Every group record (admin, com.apple.access_disabled). */
  groups: readonly DirectoryRecord[];
  /** Untether's provenance record for this account, if it locked it. */
  provenance: LockProvenance | null;
  /** The only SecureToken holder, or null (several, none, or unreadable). */
  tokenHolder: string | null;
  protectedAccounts: readonly string[];
}

export type LockDecision =
  | { action: 'apply'; operations: PlanOperation[]; status: LockStatus; note: string | null }
  | { action: 'none'; status: LockStatus; message: string }
  | { action: 'refuse'; code: ErrorCode; reason: string };

function groupNamed(groups: readonly DirectoryRecord[], name: string): DirectoryRecord | null {
  return groups.find((group) => group.recordName === name) ?? null;
}

/** The status of an account from the facts (the shape `untether status` and the inventory report). */
export function statusFromFacts(record: DirectoryRecord, groups: readonly DirectoryRecord[], provenance: LockProvenance | null): LockStatus {
  return lockStatus(disabledState(record, groupNamed(groups, ACCESS_DISABLED_GROUP)), provenance);
}

/** Admins (uid 500 and up) other than `user` whose logins are not disabled. */
function otherUsableAdmins(user: string, facts: LockFacts): string[] {
  const admin = groupNamed(facts.groups, 'admin');
  const disabledGroup = groupNamed(facts.groups, ACCESS_DISABLED_GROUP);
  return facts.users
    .filter((candidate) => candidate.recordName !== user)
    .filter((candidate) => (integerValue(firstStandard(candidate, 'UniqueID')) ?? -1) >= 500)
    .filter((candidate) => isAdmin(candidate.recordName, firstStandard(candidate, 'GeneratedUID'), admin))
    .filter((candidate) => !isDisabled(disabledState(candidate, disabledGroup)))
    .map((candidate) => candidate.recordName);
}

/**
 * Plan a lock. Refused: system accounts, protected accounts, the last SecureToken holder, the only admin who can
 * still log in. Already locked by Untether: nothing to do. Disabled by something else: Untether's value is added
 * too (so the lock holds when the other mechanism is lifted), unless that exact value is already there.
 */
export function planLock(facts: LockFacts): LockDecision {
  const { record } = facts;
  const user = record.recordName;
  if (classifyAccount(user, record) === 'system' || (integerValue(firstStandard(record, 'UniqueID')) ?? -1) < 500) {
    return { action: 'refuse', code: 'E_LOCK_SYSTEM_ACCOUNT', reason: `"${user}" is a system account; Untether locks only people's accounts` };
  }
  const names = standardAttribute(record, 'RecordName') ?? [user];
  if (names.some((name) => isProtected(name, facts.protectedAccounts))) {
    return { action: 'refuse', code: 'E_ACCOUNT_PROTECTED', reason: `"${user}" is protected by the configuration (commandPolicy.protectedAccounts)` };
  }
  if (facts.tokenHolder !== null && isProtected(user, [facts.tokenHolder])) {
    return { action: 'refuse', code: 'E_ACCOUNT_PROTECTED', reason: `"${user}" holds the last SecureToken on this Mac; locking it could leave no one able to unlock FileVault or grant tokens` };
  }
  const status = statusFromFacts(record, facts.groups, facts.provenance);
  if (status.kind === 'locked-by-untether') {
    return { action: 'none', status, message: `already locked by Untether (lock ${status.provenance.lockId}, requested by ${status.provenance.requestedBy} at ${status.provenance.lockedAt})` };
  }
  const admin = groupNamed(facts.groups, 'admin');
  if (isAdmin(user, firstStandard(record, 'GeneratedUID'), admin) && otherUsableAdmins(user, facts).length === 0) {
    return { action: 'refuse', code: 'E_LOCK_LAST_ADMIN', reason: `"${user}" is the only administrator who can log in; locking it would leave no one to administer this Mac` };
  }
  const authorities = record.attributes[AUTHENTICATION_AUTHORITY] ?? [];
  if (authorities.includes(DISABLED_USER_AUTHORITY)) {
    // The exact value is already there, put by someone else: a second identical value cannot be told apart.
    return { action: 'none', status, message: `already disabled, not by Untether (${status.kind === 'locked-foreign' ? status.how.join(', ') : 'DisabledUser'}); nothing changed, and an Untether unlock will not lift it` };
  }
  const operation: PlanOperation = { op: 'append-values', attribute: AUTHENTICATION_AUTHORITY, values: [DISABLED_USER_AUTHORITY], why: 'disables logins; hash, SecureToken and home stay' };
  const note = status.kind === 'locked-foreign' ? `also disabled by something else (${status.how.join(', ')}); Untether adds its own lock beside it` : null;
  return { action: 'apply', operations: [operation], status, note };
}

/**
 * Plan an unlock: delete exactly Untether's value. Not locked: nothing to do. Disabled by something else only:
 * refused (Untether lifts only its own locks).
 */
export function planUnlock(facts: LockFacts): LockDecision {
  const status = statusFromFacts(facts.record, facts.groups, facts.provenance);
  if (status.kind === 'unlocked') return { action: 'none', status, message: 'not locked; nothing to do' };
  if (status.kind === 'locked-foreign') {
    return { action: 'refuse', code: 'E_LOCK_NOT_OURS', reason: `"${facts.record.recordName}" is disabled, but not by Untether (${status.how.join(', ')}); Untether lifts only its own locks` };
  }
  const operation: PlanOperation = { op: 'delete-value', attribute: AUTHENTICATION_AUTHORITY, value: DISABLED_USER_AUTHORITY, why: `lifts Untether's lock ${status.provenance.lockId}` };
  const note = status.alsoForeign ? 'the account stays disabled by something else (not Untether)' : null;
  return { action: 'apply', operations: [operation], status, note };
}
