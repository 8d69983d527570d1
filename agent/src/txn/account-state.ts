// One account's whole state (record, direct group memberships, ~/.account) for snapshots, verification
// and restore. Batches read every user and group with one dscl call each; single-account paths
// (rollback, recovery, restore) read just that account.
import { firstStandard, integerValue } from '../inventory/classify.js';
import type { AccountState } from '../plan/restore.js';
import { readAllRecords, readAllUsersAndGroups, readRecord, standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { homeFolderState, readAccountFileForSnapshot } from '../system/files.js';

/** Groups whose direct membership every snapshot records, whatever the plan touches. */
export const TRACKED_GROUPS = ['staff', 'admin'] as const;

/** ~/.account's owner, kept beside AccountState so a restore puts the file back exactly. */
export interface AccountFileOwner {
  uid: number;
  gid: number;
}

export interface CapturedAccount {
  state: AccountState;
  accountFileOwner: AccountFileOwner | null;
}

/** Whether a group record lists the user directly (GroupMembership short names). */
export function isDirectMember(group: DirectoryRecord | undefined, user: string): boolean {
  return group !== undefined && (standardAttribute(group, 'GroupMembership') ?? []).includes(user);
}

/** The record's UniqueID as a number; null when it has none or it is not a whole number. */
export function accountUid(record: DirectoryRecord): number | null {
  return integerValue(firstStandard(record, 'UniqueID'));
}

/** The account's state from records already read, plus its ~/.account file. */
export async function accountFromRecords(record: DirectoryRecord, groups: readonly DirectoryRecord[]): Promise<CapturedAccount> {
  const user = record.recordName;
  const memberships: Record<string, boolean> = {};
  for (const name of TRACKED_GROUPS) memberships[name] = isDirectMember(groups.find((group) => group.recordName === name), user);
  const home = firstStandard(record, 'NFSHomeDirectory');
  const file = home ? await readAccountFileForSnapshot(home, accountUid(record)) : undefined;
  const memberOf = groups.filter((group) => isDirectMember(group, user)).map((group) => group.recordName).sort();
  return {
    state: { record, groups: memberships, accountFile: file ? { contentBase64: file.content.toString('base64'), mode: file.mode } : null, memberOf },
    accountFileOwner: file ? { uid: file.uid, gid: file.gid } : null,
  };
}

/** Read one account's state now (two dscl reads: the record and every group); null when the record does not exist. */
export async function captureAccount(user: string): Promise<CapturedAccount | null> {
  const lookup = await readRecord(`/Users/${user}`);
  if (lookup.kind === 'not-found') return null;
  const groups = await readAllRecords('/Groups');
  return accountFromRecords(lookup.record, groups.records);
}

/** Every user and group record of the local node, as one batch read them. */
export interface Directory {
  users: DirectoryRecord[];
  groups: DirectoryRecord[];
}

/** Every user and group record with one dscl process, for a batch. Unreadable records are refused by name later. */
export async function readDirectory(): Promise<Directory> {
  const { users, groups } = await readAllUsersAndGroups();
  return { users: users.records, groups: groups.records };
}

/**
 * Find an account that may have been renamed: by each name in turn (the snapshot's first), accepting a record
 * only when its GeneratedUID is the expected one; else by GeneratedUID among all users. Null when it is gone.
 */
export async function locateAccount(names: readonly string[], generatedUid: string | null | undefined): Promise<CapturedAccount | null> {
  const wanted = generatedUid?.toUpperCase();
  const matches = (record: DirectoryRecord) => wanted === undefined || firstStandard(record, 'GeneratedUID')?.toUpperCase() === wanted;
  for (const name of new Set(names)) {
    const captured = await captureAccount(name);
    if (captured !== null && matches(captured.state.record)) return captured;
  }
  if (wanted === undefined) return null;
  const { users, groups } = await readDirectory();
  const record = users.find(matches);
  return record ? accountFromRecords(record, groups) : null;
}

/**
 * Where a home folder that should be at `home` is now: null when it is there (or when it is nowhere to be
 * found), else the first candidate that is a real directory (a rename moved it there).
 */
export async function findMovedHome(home: string | null | undefined, candidates: readonly (string | null | undefined)[]): Promise<string | null> {
  if (!home || !home.startsWith('/')) return null;
  if ((await homeFolderState(home)) === 'directory') return null;
  for (const candidate of new Set(candidates)) {
    if (!candidate || candidate === home || !candidate.startsWith('/')) continue;
    if ((await homeFolderState(candidate)) === 'directory') return candidate;
  }
  return null;
}
