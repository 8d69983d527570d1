// Pure: mappings and local accounts in, a takeover plan out, expressed in the same PlanOperation list the
// transaction layer runs for demobilization (snapshot, apply, verify, roll back; `untether restore`).
// Per provider, the attributes that product reads to recognise an existing account as its user's:
// - jamf-connect: NetworkUser + OIDCProvider (+ AzureUser / OktaUser for those IdPs), as Jamf Connect
//   writes them when it migrates a local account (jamf/jamfconnect scripts, demobilization.md §2.7);
// - xcreds: _xcreds_oidc_username, _xcreds_oidc_full_username, and _xcreds_oidc_iss + _xcreds_oidc_sub
//   when known (XCreds finds a user by iss+sub first, then by short name; §4);
// - generic: Untether's own io.untether.cloud.* native attributes.
// An account already linked to another identity is refused, never overwritten; the same link again is
// "unchanged" (idempotent).
import { HOME_DIRECTORY, RECORD_NAME, planOperationSchema, type PlanOperation } from '../plan/operations.js';
import { nativeType, standardAttribute, standardType, type AttributeType, type DirectoryRecord } from '../system/dscl.js';
import { firstStandard, integerValue } from '../inventory/classify.js';
import { sessionsOf, type SessionSet } from '../system/sessions.js';
import { cloudShortName, matchMappings, type LocalAccount, type MatchedBy } from './match.js';
import { describeSource, type Mapping, type TakeoverProvider } from './mapping.js';
import type { JamfConnectIdp } from './idps.js';

export { JAMF_CONNECT_IDPS, jamfConnectIdpSchema, type JamfConnectIdp } from './idps.js';

/** The attributes per provider, by full type name. */
export const TAKEOVER_ATTRIBUTES = {
  jamfConnect: {
    networkUser: standardType('NetworkUser'),
    oidcProvider: standardType('OIDCProvider'),
    azureUser: standardType('AzureUser'),
    oktaUser: standardType('OktaUser'),
  },
  xcreds: {
    username: nativeType('_xcreds_oidc_username'),
    fullUsername: nativeType('_xcreds_oidc_full_username'),
    issuer: nativeType('_xcreds_oidc_iss'),
    subject: nativeType('_xcreds_oidc_sub'),
  },
  generic: {
    username: nativeType('io.untether.cloud.username'),
    issuer: nativeType('io.untether.cloud.issuer'),
    subject: nativeType('io.untether.cloud.subject'),
  },
  recordName: standardType('RecordName'),
} as const;

/** Choices that apply to every mapping of a run (a CSV row's provider overrides `provider`). */
export interface TakeoverOptions {
  provider: TakeoverProvider;
  /** Jamf Connect only: the OIDCProvider value; required when a mapping's provider is jamf-connect. */
  idp: JamfConnectIdp | null;
  /** Add the cloud short name as a RecordName alias (with jamf-connect also the full name, as Jamf Connect does). */
  alias: boolean;
  /** Every session on the Mac, or why it could not be read: an account with any session is not written. */
  sessions: SessionSet | { unknown: string };
  /** Rename the account to the cloud short name (RecordName and home folder); needs `renameFacts`. */
  rename?: boolean;
  renameFacts?: RenameFacts;
}

/** What a rename must know about the Mac besides the accounts (read by the caller; the planner stays pure). */
export interface RenameFacts {
  /** Every local group record (a new name must not be a group's, and memberships by name would be lost). */
  groups: readonly DirectoryRecord[];
  /** The state of home folders by Mac path: the current ones and the /Users/<new name> targets. */
  homeFolders: ReadonlyMap<string, 'directory' | 'missing' | 'other'>;
}

/** The home folder a rename moves to. */
export function renamedHome(name: string): string {
  return `/Users/${name}`;
}

/** Why a name cannot be an account's short name, or undefined (the checks of `untether --user`). */
export function shortNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  if (name.startsWith('-')) return 'starts with "-"';
  if (/\s/.test(name)) return 'contains a space';
  if (/[/:\u0000-\u001f\u007f]/.test(name)) return 'contains "/", ":" or a control character';
  if (name === '.' || name === '..') return 'is not a name';
  return undefined;
}

/** One mapping's outcome: link (operations to run), unchanged (already linked this way) or refuse (reason). */
export interface AccountTakeover {
  source: string;
  user: string | null;
  cloudUser: string;
  provider: TakeoverProvider;
  matchedBy: MatchedBy | null;
  action: 'link' | 'unchanged' | 'refuse';
  reason: string | null;
  operations: PlanOperation[];
}

/** The whole plan; when `conflicts` is not empty nothing may run. */
export interface TakeoverPlan {
  accounts: AccountTakeover[];
  conflicts: string[];
}

interface DesiredAttribute {
  attribute: AttributeType;
  value: string;
  why: string;
  /** User names compare case-insensitively (as the IdPs and Open Directory do); issuers and subjects exactly. */
  name?: boolean;
}

/** The attributes a provider reads, with the values this mapping gives them. */
export function providerAttributes(mapping: Mapping, provider: TakeoverProvider, idp: JamfConnectIdp | null): DesiredAttribute[] {
  const short = cloudShortName(mapping.cloudUser);
  switch (provider) {
    case 'jamf-connect': {
      if (idp === null) throw new TypeError('jamf-connect takeover: no OIDCProvider value (idp) given');
      const a = TAKEOVER_ATTRIBUTES.jamfConnect;
      const list: DesiredAttribute[] = [
        { attribute: a.networkUser, value: mapping.cloudUser, why: 'Jamf Connect: the network user this account belongs to', name: true },
        { attribute: a.oidcProvider, value: idp, why: 'Jamf Connect: the identity provider; without it the account counts as unmigrated' },
      ];
      if (idp === 'Azure') list.push({ attribute: a.azureUser, value: mapping.cloudUser, why: 'Jamf Connect: the Entra ID (Azure) user', name: true });
      if (idp === 'Okta') list.push({ attribute: a.oktaUser, value: mapping.cloudUser, why: 'Jamf Connect: the Okta user', name: true });
      return list;
    }
    case 'xcreds': {
      const a = TAKEOVER_ATTRIBUTES.xcreds;
      const list: DesiredAttribute[] = [
        { attribute: a.username, value: short, why: "XCreds: the cloud user's short name", name: true },
        { attribute: a.fullUsername, value: mapping.cloudUser, why: "XCreds: the cloud user's full name", name: true },
      ];
      // XCreds looks a user up by the issuer and subject together; one without the other matches nothing.
      if (mapping.issuer !== null && mapping.subject !== null) {
        list.push({ attribute: a.issuer, value: mapping.issuer, why: 'XCreds: the OIDC issuer (matched with the subject)' });
        list.push({ attribute: a.subject, value: mapping.subject, why: 'XCreds: the stable OIDC subject' });
      }
      return list;
    }
    case 'generic': {
      const a = TAKEOVER_ATTRIBUTES.generic;
      const list: DesiredAttribute[] = [{ attribute: a.username, value: mapping.cloudUser, why: 'Untether: the cloud user this account belongs to', name: true }];
      if (mapping.issuer !== null) list.push({ attribute: a.issuer, value: mapping.issuer, why: 'Untether: the identity provider (OIDC issuer)' });
      if (mapping.subject !== null) list.push({ attribute: a.subject, value: mapping.subject, why: 'Untether: the stable subject at that issuer' });
      return list;
    }
    default: {
      const unreachable: never = provider;
      throw new TypeError(`takeover: unknown provider ${String(unreachable)}`);
    }
  }
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The operations for one matched account, or why it is refused (linked to someone else). */
function accountOperations(mapping: Mapping, account: LocalAccount, provider: TakeoverProvider, options: TakeoverOptions): { operations: PlanOperation[] } | { refuse: string } {
  const operations: PlanOperation[] = [];
  for (const { attribute, value, why, name: isName } of providerAttributes(mapping, provider, options.idp)) {
    const existing = account.record.attributes[attribute];
    const same = (candidate: string) => (isName ? sameIgnoringCase(candidate, value) : candidate === value);
    if (existing === undefined || existing.length === 0) {
      operations.push({ op: 'set-attribute', attribute, values: [value], why });
    } else if (!(existing.length === 1 && same(existing[0]!))) {
      const name = attribute.replace(/^dsAttrType(Standard|Native):/, '');
      return { refuse: `"${account.name}" is already linked: ${name} is ${JSON.stringify(existing.join(', ')).slice(0, 120)}, not "${value}"; unlink it first (untether restore) or fix the mapping` };
    }
  }
  const renameTo = options.rename ? cloudShortName(mapping.cloudUser) : null;
  const renaming = renameTo !== null && !sameIgnoringCase(renameTo, account.name);
  if (options.alias) {
    // A rename makes the short name the account's own name: no alias of it then.
    const aliases = [...(renaming ? [] : [cloudShortName(mapping.cloudUser)]), ...(provider === 'jamf-connect' && mapping.cloudUser.includes('@') ? [mapping.cloudUser] : [])];
    const missing = aliases.filter((alias) => !account.names.some((name) => sameIgnoringCase(name, alias)));
    if (missing.length > 0) {
      operations.push({ op: 'append-values', attribute: TAKEOVER_ATTRIBUTES.recordName, values: missing, why: 'the cloud name as an alias, so the account answers to it at the login window' });
    }
  }
  if (renaming) {
    const rename = renameOperations(account, renameTo, options.renameFacts);
    if ('refuse' in rename) return rename;
    operations.push(...rename.operations);
  }
  return { operations };
}

/**
 * The operations that rename an account to `to` (link attributes come first, then these): drop `to` where
 * it already is an alias, rename the record, move the home folder, point NFSHomeDirectory at it. Or why not.
 */
export function renameOperations(account: LocalAccount, to: string, facts: RenameFacts | undefined): { operations: PlanOperation[] } | { refuse: string } {
  const refuse = (why: string) => ({ refuse: `cannot rename "${account.name}" to "${to}": ${why}` });
  if (facts === undefined) return refuse('the facts a rename needs were not read');
  const problem = shortNameProblem(to) ?? shortNameProblem(account.name);
  if (problem !== undefined) return refuse(`the name ${problem}`);
  const group = facts.groups.find((candidate) => [candidate.recordName, ...(standardAttribute(candidate, 'RecordName') ?? [])].some((name) => sameIgnoringCase(name, to)));
  if (group !== undefined) return refuse(`"${to}" is the name of the group "${group.recordName}"`);
  const memberOf = facts.groups.filter((candidate) => (standardAttribute(candidate, 'GroupMembership') ?? []).includes(account.name)).map((candidate) => candidate.recordName);
  const listsTarget = facts.groups.find((candidate) => (standardAttribute(candidate, 'GroupMembership') ?? []).includes(to));
  if (listsTarget !== undefined) return refuse(`the group "${listsTarget.recordName}" already lists "${to}" as a member`);
  const homes = standardAttribute(account.record, 'NFSHomeDirectory') ?? [];
  const from = renamedHome(account.name);
  if (homes.length !== 1 || homes[0] !== from) return refuse(`its home is ${homes.length === 0 ? 'not set' : JSON.stringify(homes.join(', '))}, not ${from}; only a home in /Users/<name> is renamed`);
  const target = renamedHome(to);
  const targetState = facts.homeFolders.get(target);
  if (targetState !== 'missing') return refuse(targetState === undefined ? `could not check ${target}` : `${target} already exists`);
  const sourceState = facts.homeFolders.get(from);
  if (sourceState === undefined || sourceState === 'other') return refuse(`${from} is ${sourceState === undefined ? 'unchecked' : 'not a directory (a symbolic link or a file)'}`);
  const operations: PlanOperation[] = [];
  // `to` as an alias already (an earlier --alias): dropped first, or the record would list it twice.
  for (const alias of account.names.filter((name) => name !== account.name && sameIgnoringCase(name, to))) {
    operations.push({ op: 'delete-value', attribute: RECORD_NAME, value: alias, why: 'becomes the account name' });
  }
  operations.push({ op: 'rename-record', from: account.name, to, why: 'the cloud short name, so the IdP login is this account' });
  // Groups list members by short name (staff and admin for every converted account): the name follows.
  for (const group of memberOf) operations.push({ op: 'rename-group-member', group, from: account.name, to, why: 'keeps the group membership under the new name' });
  if (sourceState === 'directory') operations.push({ op: 'move-home', from, to: target, why: 'the home folder follows the name' });
  operations.push({ op: 'set-attribute', attribute: HOME_DIRECTORY, values: [target], why: 'the home folder follows the name' });
  for (const operation of operations) {
    if (!planOperationSchema.safeParse(operation).success) return refuse('the names cannot be journaled');
  }
  return { operations };
}

/** Why an account with sessions is not written (undefined when it has none): takeover writes wait for logout. */
function loggedInRefusal(account: LocalAccount, sessions: TakeoverOptions['sessions']): string | undefined {
  if ('unknown' in sessions) return `could not tell whether "${account.name}" is logged in (${sessions.unknown}); takeover writes need the user logged out`;
  const found = sessionsOf(sessions, { names: account.names, uid: integerValue(firstStandard(account.record, 'UniqueID')) });
  return found.length === 0 ? undefined : `"${account.name}" is logged in (${found.join('; ')}); takeover writes wait until the user is logged out`;
}

/**
 * Plan a takeover: match (see match.ts), then per account the attribute operations its provider needs.
 * Refused mappings keep their reason; conflicts refuse the whole run.
 */
export function planTakeover(mappings: readonly Mapping[], accounts: readonly LocalAccount[], options: TakeoverOptions): TakeoverPlan {
  const { matched, refused, conflicts } = matchMappings(mappings, accounts);
  const outcome = new Map<Mapping, AccountTakeover>();
  for (const { mapping, account, reason } of refused) {
    outcome.set(mapping, { source: describeSource(mapping.source), user: account?.name ?? mapping.localUser, cloudUser: mapping.cloudUser, provider: mapping.provider ?? options.provider, matchedBy: null, action: 'refuse', reason, operations: [] });
  }
  for (const { mapping, account, matchedBy } of matched) {
    const provider = mapping.provider ?? options.provider;
    const base = { source: describeSource(mapping.source), user: account.name, cloudUser: mapping.cloudUser, provider, matchedBy };
    if (provider === 'jamf-connect' && options.idp === null) {
      outcome.set(mapping, { ...base, action: 'refuse', reason: 'Jamf Connect needs the identity provider: give --idp (Azure, Okta, OneLogin, GoogleID or Custom)', operations: [] });
      continue;
    }
    const result = accountOperations(mapping, account, provider, options);
    const loggedIn = 'refuse' in result || result.operations.length === 0 ? undefined : loggedInRefusal(account, options.sessions);
    if ('refuse' in result) outcome.set(mapping, { ...base, action: 'refuse', reason: result.refuse, operations: [] });
    else if (loggedIn !== undefined) outcome.set(mapping, { ...base, action: 'refuse', reason: loggedIn, operations: [] });
    else outcome.set(mapping, { ...base, action: result.operations.length === 0 ? 'unchanged' : 'link', reason: null, operations: result.operations });
  }
  return { accounts: mappings.map((mapping) => outcome.get(mapping)!), conflicts };
}
