// Pure: is the account, re-read from the OS after the change, exactly what the plan promised, and did
// it keep everything a conversion must never lose? Each problem is one readable line.
import { LOCAL_CACHED_USER } from '../inventory/classify.js';
import { applyToAttributes, type PlanOperation } from '../plan/operations.js';
import { isComparedAttribute, type AccountState } from '../plan/restore.js';
import type { DirectoryRecord } from '../system/dscl.js';
import { AUTHENTICATION_AUTHORITY, GENERATED_UID, HOME, SHADOW_HASH_DATA, UNIQUE_ID } from '../plan/cached-attributes.js';

/** Whether the user could unlock FileVault / held a SecureToken, before and after (null = could not be read). */
export interface UnlockFacts {
  fileVaultUser: boolean | null;
  cryptoUser: boolean | null;
}

const NEVER_CHANGED = [UNIQUE_ID, GENERATED_UID, HOME, SHADOW_HASH_DATA] as const;
const PROTECTED_AUTHORITY = /^;(ShadowHash|SecureToken);/;

function same(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function show(values: readonly string[] | undefined): string {
  if (values === undefined) return 'absent';
  const text = JSON.stringify(values);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Group memberships after the plan's group operations. */
export function expectedGroups(snapshot: AccountState, operations: readonly PlanOperation[]): Record<string, boolean> {
  const groups: Record<string, boolean> = { ...snapshot.groups };
  for (const operation of operations) {
    if (operation.op === 'add-group-member') groups[operation.group] = true;
    if (operation.op === 'remove-group-member') groups[operation.group] = false;
  }
  return groups;
}

/** Whether ~/.account should exist after the plan. */
export function expectedAccountFile(snapshot: AccountState, operations: readonly PlanOperation[]): boolean {
  let present = snapshot.accountFile !== null;
  for (const operation of operations) {
    if (operation.op === 'remove-account-file') present = false;
    if (operation.op === 'restore-account-file') present = true;
  }
  return present;
}

/** Every way `after` differs from what the plan promised, plus the invariants of any account change. */
export function verifyChange(input: {
  kind: 'demobilize' | 'takeover' | 'restore' | 'lock' | 'unlock';
  snapshot: AccountState;
  operations: readonly PlanOperation[];
  after: AccountState | null;
  unlockBefore: UnlockFacts;
  unlockAfter: UnlockFacts;
  /** Every local group after the change, to check alias groups (omitted: not checked). */
  groupsAfter?: readonly DirectoryRecord[];
}): string[] {
  const { snapshot, operations, after } = input;
  if (after === null) return ['the account record is gone'];
  const problems: string[] = [];
  const expected = applyToAttributes(snapshot.record.attributes, operations);
  const actual = after.record.attributes;
  for (const type of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    if (!isComparedAttribute(type)) continue;
    if (!same(expected[type], actual[type])) problems.push(`${type}: expected ${show(expected[type])}, found ${show(actual[type])}`);
  }
  // A rename moves the home: NFSHomeDirectory then is whatever the plan set it to (compared above).
  const renames = operations.some((operation) => operation.op === 'rename-record');
  for (const type of NEVER_CHANGED) {
    if (renames && type === HOME) continue;
    if (!same(snapshot.record.attributes[type], actual[type])) problems.push(`${type} changed; a conversion never changes it`);
  }
  const protectedBefore = (snapshot.record.attributes[AUTHENTICATION_AUTHORITY] ?? []).filter((value) => PROTECTED_AUTHORITY.test(value));
  const authorityAfter = actual[AUTHENTICATION_AUTHORITY] ?? [];
  for (const value of protectedBefore) {
    if (!authorityAfter.includes(value)) problems.push(`AuthenticationAuthority lost "${value}"`);
  }
  if (input.kind === 'demobilize') {
    if (actual['dsAttrTypeStandard:OriginalNodeName'] !== undefined) problems.push('OriginalNodeName is still present');
    if (authorityAfter.some((value) => value.includes(LOCAL_CACHED_USER))) problems.push('AuthenticationAuthority still holds a ;LocalCachedUser; value');
  }
  const groups = expectedGroups(snapshot, operations);
  for (const [group, member] of Object.entries(groups)) {
    if ((after.groups[group] ?? false) !== member) problems.push(`group ${group}: expected ${member ? 'a member' : 'not a member'}`);
  }
  if (input.groupsAfter) {
    for (const operation of operations) {
      if (operation.op === 'rename-group-member') {
        const members = input.groupsAfter.find((candidate) => candidate.recordName === operation.group)?.attributes['dsAttrTypeStandard:GroupMembership'] ?? [];
        if (!members.includes(operation.to) || members.includes(operation.from)) problems.push(`group ${operation.group}: expected member ${operation.to} in place of ${operation.from}`);
        continue;
      }
      if (operation.op !== 'ensure-alias-group') continue;
      const group = input.groupsAfter.find((candidate) => candidate.recordName === operation.group);
      const gid = group?.attributes['dsAttrTypeStandard:PrimaryGroupID']?.[0];
      if (gid !== String(operation.gid)) problems.push(`alias group ${operation.group}: expected GID ${operation.gid}, found ${group ? (gid ?? 'none') : 'no group'}`);
    }
  }
  const filePresent = expectedAccountFile(snapshot, operations);
  if ((after.accountFile !== null) !== filePresent) problems.push(`~/.account: expected ${filePresent ? 'present' : 'absent'}`);
  const { unlockBefore: before, unlockAfter: afterUnlock } = input;
  // A lock may take FileVault unlock away on Apple silicon (account-lock-and-psso.md A.2) and an unlock may give it
  // back: for those kinds only the SecureToken (crypto user) must stay. Whether fdesetup list shows it is UNCONFIRMED.
  const fileVaultMayChange = input.kind === 'lock' || input.kind === 'unlock';
  if (!fileVaultMayChange && before.fileVaultUser !== null && afterUnlock.fileVaultUser !== null && before.fileVaultUser !== afterUnlock.fileVaultUser) {
    problems.push(`FileVault unlock ${before.fileVaultUser ? 'lost' : 'gained'} (fdesetup list)`);
  }
  if (before.cryptoUser !== null && afterUnlock.cryptoUser !== null && before.cryptoUser !== afterUnlock.cryptoUser) {
    problems.push(`SecureToken ${before.cryptoUser ? 'lost' : 'gained'} (APFS crypto users)`);
  }
  return problems;
}
