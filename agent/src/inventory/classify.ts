// Pure classification of directory records: no I/O, testable with plain values.
import { nativeAttribute, standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import type { AccountKind, MobileEvidence } from './model.js';

/** The minimum of a dscl record this module reads: attributes keyed by full type name, as `dscl -plist` gives them. */
export type AttributeBag = Pick<DirectoryRecord, 'attributes'>;

function standardValues(record: AttributeBag, name: string): readonly string[] {
  return standardAttribute(record as DirectoryRecord, name) ?? [];
}

function nativeValues(record: AttributeBag, name: string): readonly string[] {
  return nativeAttribute(record as DirectoryRecord, name) ?? [];
}

/** The first value of a standard attribute, or null. */
export function firstStandard(record: AttributeBag, name: string): string | null {
  return standardValues(record, name)[0] ?? null;
}

/** Parse a dscl number attribute; a missing or non-integer value is null, never NaN or 0. */
export function integerValue(value: string | null): number | null {
  if (value === null || !/^-?\d+$/.test(value.trim())) return null;
  const parsed = Number(value.trim());
  return Number.isSafeInteger(parsed) ? parsed : null;
}

export const LOCAL_CACHED_USER = ';LocalCachedUser;';

/** The facts that make an account mobile: OriginalNodeName and a `;LocalCachedUser;` authority. */
export function mobileEvidence(record: AttributeBag): MobileEvidence {
  const originalNodeName = standardValues(record, 'OriginalNodeName').find((value) => value.length > 0) ?? null;
  const localCachedUser =
    standardValues(record, 'AuthenticationAuthority').find((value) => value.includes(LOCAL_CACHED_USER)) ?? null;
  return { originalNodeName, localCachedUser };
}

/** Whether the account is an AD mobile account (a local record caching a network identity). */
export function isMobileAccount(record: AttributeBag): boolean {
  const evidence = mobileEvidence(record);
  return evidence.originalNodeName !== null || evidence.localCachedUser !== null;
}

// Accounts that exist on every Mac; the UID rule catches them too, the names make intent plain.
const SYSTEM_ACCOUNT_NAMES = new Set(['root', 'daemon', 'nobody']);

/** First UID macOS gives a person's account; below it are system accounts. */
export const FIRST_PERSON_UID = 500;

/** Mobile, local (a person's account), system (root, daemons, `_` accounts) or unknown (no usable UID). */
export function classifyAccount(recordName: string, record: AttributeBag): AccountKind {
  if (isMobileAccount(record)) return 'mobile';
  const uid = integerValue(firstStandard(record, 'UniqueID'));
  if (SYSTEM_ACCOUNT_NAMES.has(recordName) || recordName.startsWith('_')) return 'system';
  if (uid === null) return 'unknown';
  return uid < FIRST_PERSON_UID ? 'system' : 'local';
}

/** Whether the record is hidden from the login window and System Settings. */
export function isHidden(record: AttributeBag): boolean {
  const value = nativeValues(record, 'IsHidden')[0] ?? standardValues(record, 'IsHidden')[0];
  return value !== undefined && ['1', 'yes', 'true'].includes(value.trim().toLowerCase());
}

/** Whether the admin group lists the user by short name or by GeneratedUID. */
export function isAdmin(recordName: string, generatedUid: string | null, adminGroup: AttributeBag | null): boolean {
  if (!adminGroup) return false;
  if (standardValues(adminGroup, 'GroupMembership').includes(recordName)) return true;
  if (generatedUid === null) return false;
  const wanted = generatedUid.toUpperCase();
  return standardValues(adminGroup, 'GroupMembers').some((member) => member.toUpperCase() === wanted);
}
