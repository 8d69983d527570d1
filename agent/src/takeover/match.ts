// Matching mappings to local accounts, pure. Rules (demobilization.md §4: JumpCloud, Jamf Connect and
// XCreds all match by short name, case-insensitively):
// - a mapping names its local account explicitly, or the account whose name (or alias) equals the cloud
//   user or the cloud user's short name (the part before "@");
// - each local account is claimed at most once and each cloud user at most once: duplicates are
//   conflicts naming both rows, and refuse the whole run;
// - only a person's local account qualifies: never a system, hidden or mobile account (demobilize first);
// - the cloud short name must not be another local account's name, or the IdP login would pick that one.
import { classifyAccount, integerValue, firstStandard, isHidden } from '../inventory/classify.js';
import type { AccountKind } from '../inventory/model.js';
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { describeSource, type Mapping } from './mapping.js';

/** A local user record as takeover sees it. */
export interface LocalAccount {
  /** The primary short name (first RecordName). */
  name: string;
  /** Every RecordName value, the primary first. */
  names: string[];
  kind: AccountKind;
  hidden: boolean;
  uid: number | null;
  record: DirectoryRecord;
}

/** The local accounts of a `dscl -readall /Users` listing. */
export function localAccountsFrom(records: readonly DirectoryRecord[]): LocalAccount[] {
  return records.map((record) => {
    const names = [...(standardAttribute(record, 'RecordName') ?? [])];
    if (!names.includes(record.recordName)) names.unshift(record.recordName);
    return {
      name: record.recordName,
      names,
      kind: classifyAccount(record.recordName, record),
      hidden: isHidden(record),
      uid: integerValue(firstStandard(record, 'UniqueID')),
      record,
    };
  });
}

/** The cloud user's short name: the part before "@", lower-cased (as XCreds and Jamf Connect derive it). */
export function cloudShortName(cloudUser: string): string {
  return cloudUser.split('@', 1)[0]!.toLowerCase();
}

/** How a mapping found its account. */
export type MatchedBy = 'local-user' | 'cloud-user' | 'cloud-short-name';

export interface Matched {
  mapping: Mapping;
  account: LocalAccount;
  matchedBy: MatchedBy;
}

export interface Refused {
  mapping: Mapping;
  /** The account, when one was found but may not be taken over. */
  account: LocalAccount | null;
  reason: string;
}

/** The matching of all mappings; when `conflicts` is not empty the run must not change anything. */
export interface MatchResult {
  matched: Matched[];
  refused: Refused[];
  conflicts: string[];
}

function byName(accounts: readonly LocalAccount[], name: string): LocalAccount | undefined {
  const wanted = name.toLowerCase();
  return accounts.find((account) => account.names.some((candidate) => candidate.toLowerCase() === wanted));
}

function findAccount(mapping: Mapping, accounts: readonly LocalAccount[]): { account: LocalAccount; matchedBy: MatchedBy } | { reason: string } {
  if (mapping.localUser !== null) {
    const account = byName(accounts, mapping.localUser);
    return account ? { account, matchedBy: 'local-user' } : { reason: `no local account is named "${mapping.localUser}"` };
  }
  const exact = byName(accounts, mapping.cloudUser);
  if (exact) return { account: exact, matchedBy: 'cloud-user' };
  const short = byName(accounts, cloudShortName(mapping.cloudUser));
  if (short) return { account: short, matchedBy: 'cloud-short-name' };
  return { reason: `no local account is named "${mapping.cloudUser}" or "${cloudShortName(mapping.cloudUser)}"; give local_user to name the account` };
}

/** Why an account may not be taken over, or undefined when it may. */
export function ineligibility(account: LocalAccount): string | undefined {
  switch (account.kind) {
    case 'mobile':
      return `"${account.name}" is an Active Directory mobile account; demobilize it first (untether demobilize --user ${account.name})`;
    case 'system':
      return `"${account.name}" is a system account`;
    case 'unknown':
      return `"${account.name}" has no usable UniqueID`;
    case 'local':
      return account.hidden ? `"${account.name}" is a hidden account` : undefined;
    default: {
      const unreachable: never = account.kind;
      return String(unreachable);
    }
  }
}

function rowsText(mappings: readonly Mapping[]): string {
  const labels = mappings.map((mapping) => `${describeSource(mapping.source)} (${mapping.localUser ?? '-'} → ${mapping.cloudUser})`);
  return labels.length === 2 ? `${labels[0]} and ${labels[1]}` : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/** Match every mapping to an account, find duplicates, and refuse accounts that may not be taken over. */
export function matchMappings(mappings: readonly Mapping[], accounts: readonly LocalAccount[]): MatchResult {
  const found = mappings.map((mapping) => ({ mapping, result: findAccount(mapping, accounts) }));
  const conflicts: string[] = [];
  const conflicted = new Set<Mapping>();

  const byCloud = new Map<string, Mapping[]>();
  for (const { mapping } of found) byCloud.set(mapping.cloudUser.toLowerCase(), [...(byCloud.get(mapping.cloudUser.toLowerCase()) ?? []), mapping]);
  for (const [cloud, group] of byCloud) {
    if (group.length < 2) continue;
    conflicts.push(`cloud user "${cloud}" is mapped more than once: ${rowsText(group)}`);
    group.forEach((mapping) => conflicted.add(mapping));
  }
  const byAccount = new Map<LocalAccount, Mapping[]>();
  for (const { mapping, result } of found) if ('account' in result) byAccount.set(result.account, [...(byAccount.get(result.account) ?? []), mapping]);
  for (const [account, group] of byAccount) {
    if (group.length < 2) continue;
    conflicts.push(`local account "${account.name}" is claimed more than once: ${rowsText(group)}`);
    group.forEach((mapping) => conflicted.add(mapping));
  }

  const matched: Matched[] = [];
  const refused: Refused[] = [];
  for (const { mapping, result } of found) {
    if (!('account' in result)) {
      refused.push({ mapping, account: null, reason: result.reason });
      continue;
    }
    const { account } = result;
    if (conflicted.has(mapping)) {
      refused.push({ mapping, account, reason: 'part of a conflict (see above)' });
      continue;
    }
    const why = ineligibility(account);
    if (why !== undefined) {
      refused.push({ mapping, account, reason: why });
      continue;
    }
    const other = byName(accounts, cloudShortName(mapping.cloudUser)) ?? byName(accounts, mapping.cloudUser);
    if (other !== undefined && other !== account) {
      refused.push({
        mapping,
        account,
        reason: `the cloud user's name "${cloudShortName(mapping.cloudUser)}" is another local account ("${other.name}"); the identity provider's login would use that account instead`,
      });
      continue;
    }
    matched.push({ mapping, account, matchedBy: result.matchedBy });
  }
  return { matched, refused, conflicts };
}
