// Pure: an account as it is now and as its snapshot recorded it in, the operations that put it back out.
// Rollback after a failed step, crash recovery and `untether restore` all use this one function.
import { UntetherError } from '../errors.js';
import { isAttributeType, type DirectoryRecord } from '../system/directory-record.js';
import { AUTHENTICATION_AUTHORITY } from './cached-attributes.js';
import { applyToAttributes, HOME_DIRECTORY, type PlanOperation } from './operations.js';

/** What a snapshot keeps of one account besides nothing else: its record, direct group memberships and ~/.account. */
export interface AccountState {
  record: DirectoryRecord;
  groups: Readonly<Record<string, boolean>>;
  accountFile: { contentBase64: string; mode: number } | null;
  /** Every local group that lists the account by short name (absent in snapshots taken before 0.1.0). */
  memberOf?: string[];
}

// Maintained by Open Directory itself: never compared, never written.
const COMPUTED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'dsAttrTypeStandard:AppleMetaNodeLocation',
  'dsAttrTypeStandard:RecordType',
  'dsAttrTypeNative:record_daemon_version',
]);

// Binary or password material: dscl cannot write them back faithfully, and Untether never changes them.
// If one differs from its snapshot, restore says so instead of writing a wrong value.
const NOT_WRITABLE_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['dsAttrTypeNative:ShadowHashData', 'the password hash changed; the user needs a password reset'],
  ['dsAttrTypeNative:KerberosKeys', 'the Kerberos keys changed; they are regenerated at the next password change'],
  ['dsAttrTypeNative:HeimdalSRPKey', 'the SRP key changed; it is regenerated at the next password change'],
  ['dsAttrTypeStandard:JPEGPhoto', 'the account picture changed'],
  ['dsAttrTypeNative:LinkedIdentity', 'the linked identity changed'],
]);

const PROTECTED_AUTHORITY = /^;(ShadowHash|SecureToken);/;

/** Whether Untether compares this attribute when checking a record against its snapshot. */
export function isComparedAttribute(type: string): boolean {
  return !COMPUTED_ATTRIBUTES.has(type);
}

function sameValues(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((value, index) => value === b[index]);
}

function authorityOperations(current: readonly string[], snapshot: readonly string[], unrestorable: string[]): PlanOperation[] {
  const operations: PlanOperation[] = [];
  const missing = snapshot.filter((value) => !current.includes(value));
  for (const value of current.filter((candidate) => !snapshot.includes(candidate))) {
    if (PROTECTED_AUTHORITY.test(value)) unrestorable.push(`AuthenticationAuthority value "${value}" is not in the snapshot; left in place (removing it would drop the password hash or SecureToken)`);
    else operations.push({ op: 'delete-value', attribute: AUTHENTICATION_AUTHORITY, value, why: 'not in the snapshot' });
  }
  // Appended, never rewritten whole: rewriting AuthenticationAuthority drops the password hash on current macOS.
  if (missing.length > 0) operations.push({ op: 'append-values', attribute: AUTHENTICATION_AUTHORITY, values: missing, why: 'in the snapshot' });
  return operations;
}

/** Where things are on disk, which the record alone does not say (read by the caller). */
export interface RestoreFacts {
  /** Where the snapshot's home folder is now, when it is not at the snapshot's NFSHomeDirectory (a rename moved it). */
  homeFolderAt?: string | null;
}

/** An attribute known only by a bare name: its type (standard or native) is unknown, so it is never written. */
function untypedAttribute(name: string): UntetherError {
  return new UntetherError(
    'E_UNTYPED_ATTRIBUTE',
    `restoring: attribute "${name}" has no type (dsAttrTypeStandard: or dsAttrTypeNative:); a record read without types is never written back, because dscl would resolve the bare name to whichever type its standard list says. Nothing was changed`,
  );
}

/** The attribute names of a record that are not full type names (a record read without types). */
export function untypedAttributes(record: DirectoryRecord): string[] {
  return Object.keys(record.attributes).filter((name) => !isAttributeType(name));
}

/**
 * The operations that make `current` equal to `snapshot`, and what cannot be put back (with why). A renamed
 * account is renamed back first (everything after addresses it by its snapshot name), then its home folder
 * is moved back, then groups, files and attributes follow as for any account.
 */
export function planRestore(current: AccountState, snapshot: AccountState, facts: RestoreFacts = {}): { operations: PlanOperation[]; unrestorable: string[] } {
  const untyped = [...untypedAttributes(snapshot.record), ...untypedAttributes(current.record)];
  if (untyped.length > 0) throw untypedAttribute(untyped[0]!);
  const unrestorable: string[] = [];
  const renameOps: PlanOperation[] = [];
  if (current.record.recordName !== snapshot.record.recordName) {
    renameOps.push({ op: 'rename-record', from: current.record.recordName, to: snapshot.record.recordName, why: 'the name in the snapshot' });
  }
  const snapshotHome = snapshot.record.attributes[HOME_DIRECTORY]?.[0];
  if (facts.homeFolderAt && snapshotHome !== undefined && facts.homeFolderAt !== snapshotHome) {
    renameOps.push({ op: 'move-home', from: facts.homeFolderAt, to: snapshotHome, why: 'the home folder in the snapshot' });
  }
  if (current.record.recordName !== snapshot.record.recordName) {
    // Groups list the account by its current name; they go back to the snapshot's name with it.
    for (const group of current.memberOf ?? []) {
      renameOps.push({ op: 'rename-group-member', group, from: current.record.recordName, to: snapshot.record.recordName, why: 'the name in the snapshot' });
    }
  }
  const renamed: DirectoryRecord = { recordName: snapshot.record.recordName, attributes: applyToAttributes(current.record.attributes, renameOps) };
  const groupOps: PlanOperation[] = [];
  for (const [group, wasMember] of Object.entries(snapshot.groups)) {
    const isMember = current.groups[group] ?? false;
    if (wasMember && !isMember) groupOps.push({ op: 'add-group-member', group, why: 'a member in the snapshot' });
    if (!wasMember && isMember) groupOps.push({ op: 'remove-group-member', group, why: 'not a member in the snapshot' });
  }
  const fileOps: PlanOperation[] = [];
  if (snapshot.accountFile && !current.accountFile) {
    fileOps.push({ op: 'restore-account-file', contentBase64: snapshot.accountFile.contentBase64, mode: snapshot.accountFile.mode, why: 'present in the snapshot' });
  } else if (!snapshot.accountFile && current.accountFile) {
    fileOps.push({ op: 'remove-account-file', why: 'absent in the snapshot' });
  }

  const attributeOps: PlanOperation[] = [];
  let authorityOps: PlanOperation[] = [];
  const types = new Set([...Object.keys(renamed.attributes), ...Object.keys(snapshot.record.attributes)]);
  for (const type of [...types].sort()) {
    if (!isComparedAttribute(type)) continue;
    const before = snapshot.record.attributes[type];
    const now = renamed.attributes[type];
    if (type === AUTHENTICATION_AUTHORITY) {
      authorityOps = authorityOperations(now ?? [], before ?? [], unrestorable);
      continue;
    }
    if (sameValues(before, now) || (before === undefined && now === undefined)) continue;
    const notWritable = NOT_WRITABLE_ATTRIBUTES.get(type);
    if (notWritable) {
      unrestorable.push(`${type.replace(/^dsAttrType\w+:/, '')}: ${notWritable}`);
      continue;
    }
    const attribute = type;
    if (!isAttributeType(attribute)) throw untypedAttribute(type);
    if (before === undefined) attributeOps.push({ op: 'delete-attribute', attribute, why: 'absent in the snapshot' });
    else attributeOps.push({ op: 'set-attribute', attribute, values: [...before], why: 'as in the snapshot' });
  }
  // The reverse of the conversion's order: the name and home folder, groups and files, then attributes, the authority last.
  return { operations: [...renameOps, ...groupOps, ...fileOps, ...attributeOps, ...authorityOps], unrestorable };
}

/** Differences between a record and its snapshot, one line each; AuthenticationAuthority compared as a set. */
export function recordDifferences(current: DirectoryRecord, snapshot: DirectoryRecord): string[] {
  const differences: string[] = [];
  const types = new Set([...Object.keys(current.attributes), ...Object.keys(snapshot.attributes)]);
  for (const type of [...types].sort()) {
    if (!isComparedAttribute(type)) continue;
    const now = current.attributes[type];
    const before = snapshot.attributes[type];
    const equal =
      type === AUTHENTICATION_AUTHORITY
        ? now !== undefined && before !== undefined && now.length === before.length && [...now].sort().every((value, index) => value === [...before].sort()[index])
        : sameValues(now, before) || (now === undefined && before === undefined);
    if (!equal) differences.push(`${type}: ${before === undefined ? 'absent' : JSON.stringify(before)} expected, ${now === undefined ? 'absent' : JSON.stringify(now)} found`);
  }
  return differences;
}
