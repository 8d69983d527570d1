// Whether a simulated account's logins are disabled, by every mechanism account-lock-and-psso.md A.1/A.2 lists:
// an AuthenticationAuthority value holding "DisabledUser" in any form (";DisabledUser;", bare "DisabledUser"), or
// membership of com.apple.access_disabled (by short name or GeneratedUID). dscl -authonly, pwpolicy
// -authentication-allowed and the harness's logins all ask this one function, so they always agree.
import { firstValue, stringValues } from './records.js';
import { findRecord, type DirRecord } from './store.js';

export const ACCESS_DISABLED_GROUP = 'com.apple.access_disabled';

/** Why the account is disabled (one phrase), or undefined when it may log in. */
export function disabledReason(root: string, record: DirRecord): string | undefined {
  const authority = stringValues(record, 'authentication_authority').find((value) => value.includes('DisabledUser'));
  if (authority !== undefined) return `AuthenticationAuthority holds "${authority}"`;
  const group = findRecord(root, 'groups', ACCESS_DISABLED_GROUP)?.record;
  if (!group) return undefined;
  const names = stringValues(record, 'name');
  const guid = firstValue(record, 'generateduid')?.toUpperCase();
  if (stringValues(group, 'users').some((member) => names.includes(member))) return `member of ${ACCESS_DISABLED_GROUP}`;
  if (guid !== undefined && stringValues(group, 'groupmembers').some((member) => member.toUpperCase() === guid)) return `member of ${ACCESS_DISABLED_GROUP}`;
  return undefined;
}
