// Group membership as opendirectoryd answers it for `id` and `dseditgroup -o checkmember`: primary group,
// GroupMembership short names, GroupMembers GUIDs, nested groups, and the implicit groups every local
// user belongs to (everyone 12, localaccounts 61).
import { firstValue, stringValues } from './records.js';
import { listRecords, primaryName, type DirRecord } from './store.js';

export const EVERYONE_GID = 12;
export const LOCAL_ACCOUNTS_GID = 61;

export interface GroupInfo {
  name: string;
  gid: number;
  guid: string | undefined;
  users: string[];
  members: string[];
  nested: string[];
}

export interface UserInfo {
  names: string[];
  uid: number;
  gid: number;
  guid: string | undefined;
}

export function toUserInfo(record: DirRecord): UserInfo {
  return {
    names: stringValues(record, 'name'),
    uid: Number(firstValue(record, 'uid') ?? NaN),
    gid: Number(firstValue(record, 'gid') ?? NaN),
    guid: firstValue(record, 'generateduid')?.toUpperCase(),
  };
}

export function toGroupInfo(record: DirRecord): GroupInfo {
  return {
    name: primaryName(record),
    gid: Number(firstValue(record, 'gid') ?? NaN),
    guid: firstValue(record, 'generateduid')?.toUpperCase(),
    users: stringValues(record, 'users'),
    members: stringValues(record, 'groupmembers').map((guid) => guid.toUpperCase()),
    nested: stringValues(record, 'nestedgroups').map((guid) => guid.toUpperCase()),
  };
}

export function loadGroups(root: string): GroupInfo[] {
  return listRecords(root, 'groups').map((stored) => toGroupInfo(stored.record));
}

/** Whether `user` is a member of `group`, following nested groups (cycle-safe). */
export function isMember(user: UserInfo, group: GroupInfo, groups: readonly GroupInfo[], seen = new Set<GroupInfo>()): boolean {
  if (seen.has(group)) return false;
  seen.add(group);
  if (group.gid === EVERYONE_GID || group.gid === LOCAL_ACCOUNTS_GID || group.gid === user.gid) return true;
  if (group.users.some((name) => user.names.includes(name))) return true;
  if (user.guid !== undefined && group.members.includes(user.guid)) return true;
  return group.nested.some((guid) => {
    const nested = groups.find((candidate) => candidate.guid === guid);
    return nested !== undefined && isMember(user, nested, groups, seen);
  });
}

/** A 32-bit id as `id` prints it (nobody's -2 is 4294967294). */
export function unsigned32(value: number): number {
  return value < 0 ? value + 2 ** 32 : value;
}

/**
 * The gids `id` lists for a user: primary first, then everyone and localaccounts, then the other groups
 * in ascending gid order (real `id` output order is not fully reproduced).
 */
export function groupIdsOf(user: UserInfo, groups: readonly GroupInfo[]): number[] {
  const ids = [user.gid];
  for (const gid of [EVERYONE_GID, LOCAL_ACCOUNTS_GID]) if (!ids.includes(gid)) ids.push(gid);
  const others = groups
    .filter((group) => !ids.includes(group.gid) && isMember(user, group, groups))
    .map((group) => group.gid)
    .sort((a, b) => a - b);
  return [...ids, ...others];
}
