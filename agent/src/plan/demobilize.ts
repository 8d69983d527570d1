// Pure: one account's record and the Mac's facts in, a demobilization plan out (demobilization.md §5a).
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { classifyAccount, firstStandard, integerValue, LOCAL_CACHED_USER, mobileEvidence } from '../inventory/classify.js';
import {
  ALT_SECURITY_IDENTITIES,
  AUTHENTICATION_AUTHORITY,
  CACHED_AD_ATTRIBUTES,
  PASSWORD,
  PASSWORD_PLACEHOLDER,
  PRIMARY_GROUP_ID,
} from './cached-attributes.js';
import type { PlanOperation } from './operations.js';
import { sessionsOf, type SessionSet } from '../system/sessions.js';
import type { DemobilizePolicy } from './policy.js';

export const STAFF_GROUP = 'staff';
export const STAFF_GID = 20;
export const ADMIN_GROUP = 'admin';

/** The local group that stands in for an AD primary group under policy keep-with-alias. */
export function aliasGroupName(gid: number): string {
  return `ad-primary-${gid}`;
}

/** The Mac-wide facts a plan depends on, read once for all accounts. */
export interface DemobilizeFacts {
  /** Every session on the Mac (GUI, fast user switching, terminal, SSH, processes); null when it could not be read. */
  sessions: SessionSet | null;
  fileVault: { state: 'on' | 'off' | 'unknown'; conversion: 'none' | 'encrypting' | 'decrypting' | 'unknown'; autoLogin: boolean | 'unknown' };
  fullDiskAccess: 'granted' | 'denied' | 'unknown';
  /** Every local group, to tell whether a GID resolves and who is a direct member of staff and admin. */
  groups: readonly DirectoryRecord[];
  /** GeneratedUIDs of the volume's SecureToken holders (APFS "Local Open Directory User" crypto users), or null when unknown. */
  secureTokenHolders: readonly string[] | null;
  /** User-level configuration profile identifiers by short name. */
  userProfiles: Readonly<Record<string, readonly string[]>>;
}

/** The account to plan for, with the per-account facts that are not in its record. */
export interface DemobilizeTarget {
  record: DirectoryRecord;
  accountFileExists: boolean;
  /** dseditgroup says the user is an admin (directly or through AD groups that vanish at unbind). */
  effectiveAdmin: boolean;
}

export type GateName =
  | 'excluded'
  | 'not-mobile'
  | 'unreadable-record'
  | 'logged-in'
  | 'filevault-converting'
  | 'secure-token'
  | 'user-profiles'
  | 'full-disk-access'
  | 'filevault-autologin'
  | 'authority-invariant';

export type GateOutcome = 'warn' | 'skip' | 'refuse';

export interface GateResult {
  gate: GateName;
  outcome: GateOutcome;
  message: string;
}

/** convert: run the operations; skip: nothing to do or deferred by policy; refuse: a safety gate said no. */
export interface UserPlan {
  user: string;
  action: 'convert' | 'skip' | 'refuse';
  gates: GateResult[];
  operations: PlanOperation[];
}

const KERBEROS_AUTHORITY = ';Kerberosv5;';
const SHADOW_HASH_AUTHORITY = ';ShadowHash;';
const SECURE_TOKEN_AUTHORITY = ';SecureToken;';

/**
 * An AD Kerberos authority looks like ";Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;". A local
 * account's own Kerberos authority uses the Mac's local KDC realm ("LKDC:SHA1.…") and must stay.
 */
export function isDirectoryKerberosAuthority(value: string): boolean {
  if (!value.startsWith(KERBEROS_AUTHORITY)) return false;
  const realm = value.split(';')[4] ?? '';
  return realm !== '' && !realm.startsWith('LKDC:');
}

function authorityOperations(record: DirectoryRecord): PlanOperation[] {
  const operations: PlanOperation[] = [];
  for (const value of standardAttribute(record, 'AuthenticationAuthority') ?? []) {
    if (value.includes(LOCAL_CACHED_USER)) {
      operations.push({ op: 'delete-value', attribute: AUTHENTICATION_AUTHORITY, value, why: 'the cached AD identity that makes the account mobile' });
    } else if (isDirectoryKerberosAuthority(value)) {
      operations.push({ op: 'delete-value', attribute: AUTHENTICATION_AUTHORITY, value, why: "the AD realm's Kerberos authority" });
    }
  }
  return operations;
}

function directMembers(groups: readonly DirectoryRecord[], name: string): readonly string[] {
  const group = groups.find((candidate) => candidate.recordName === name);
  return group ? (standardAttribute(group, 'GroupMembership') ?? []) : [];
}

function groupOperations(target: DemobilizeTarget, facts: DemobilizeFacts, policy: DemobilizePolicy): PlanOperation[] {
  const { record } = target;
  const name = record.recordName;
  const operations: PlanOperation[] = [];
  const gid = integerValue(firstStandard(record, 'PrimaryGroupID'));
  const gidResolves = gid !== null && facts.groups.some((group) => integerValue(firstStandard(group, 'PrimaryGroupID')) === gid);
  if (!gidResolves) {
    if (policy.primaryGroup === 'staff' || gid === null) {
      operations.push({ op: 'set-attribute', attribute: PRIMARY_GROUP_ID, values: [String(STAFF_GID)], why: `the AD primary group ${gid ?? '(none)'} has no local group; staff makes it resolvable` });
    }
    else {
      operations.push({ op: 'ensure-alias-group', group: aliasGroupName(gid), gid, why: `keeps the AD primary group ${gid} resolvable after unbind (policy primaryGroup=keep-with-alias)` });
    }
  }
  if (!directMembers(facts.groups, STAFF_GROUP).includes(name)) {
    operations.push({ op: 'add-group-member', group: STAFF_GROUP, why: 'local accounts belong to staff; mobile accounts are not members' });
  }
  const directAdmin = directMembers(facts.groups, ADMIN_GROUP).includes(name);
  if (policy.admin === 'revoke' && directAdmin) {
    operations.push({ op: 'remove-group-member', group: ADMIN_GROUP, why: 'policy admin=revoke' });
  } else if (!directAdmin && (policy.admin === 'grant' || (policy.admin === 'preserve' && target.effectiveAdmin))) {
    operations.push({
      op: 'add-group-member',
      group: ADMIN_GROUP,
      why: policy.admin === 'grant' ? 'policy admin=grant' : 'admin today through an AD group, which stops resolving at unbind',
    });
  }
  return operations;
}

/** The operations that turn this mobile account into a local one, in the safe order (authority first, ~/.account last). */
export function demobilizeOperations(target: DemobilizeTarget, facts: DemobilizeFacts, policy: DemobilizePolicy): PlanOperation[] {
  const { record } = target;
  const operations = authorityOperations(record);
  for (const { type, why } of CACHED_AD_ATTRIBUTES) {
    if (record.attributes[type] !== undefined) operations.push({ op: 'delete-attribute', attribute: type, why });
  }
  if (policy.altSecurityIdentities === 'remove' && record.attributes[ALT_SECURITY_IDENTITIES] !== undefined) {
    operations.push({ op: 'delete-attribute', attribute: ALT_SECURITY_IDENTITIES, why: 'policy altSecurityIdentities=remove' });
  }
  const password = standardAttribute(record, 'Password') ?? [];
  if (password.length !== 1 || password[0] !== PASSWORD_PLACEHOLDER) {
    operations.push({ op: 'set-attribute', attribute: PASSWORD, values: [PASSWORD_PLACEHOLDER], why: 'a local account keeps its hash in ShadowHashData; Password must be the placeholder' });
  }
  operations.push(...groupOperations(target, facts, policy));
  // Last, after every attribute write: the writes then form one run that a dscl batch carries (txn/run.ts).
  // Nothing depends on the file going first; a failure anywhere rolls the whole account back to its snapshot.
  if (target.accountFileExists) operations.push({ op: 'remove-account-file', why: 'the external-account cache re-creates the AD identity' });
  return operations;
}

/** Values the plan must never remove: the password hash and SecureToken authorities. */
function removesProtectedAuthority(operations: readonly PlanOperation[]): string | null {
  for (const operation of operations) {
    const touchesAuthority = 'attribute' in operation && operation.attribute === AUTHENTICATION_AUTHORITY;
    if (operation.op === 'delete-attribute' && touchesAuthority) return 'deletes AuthenticationAuthority as a whole';
    if (operation.op === 'set-attribute' && touchesAuthority) return 'rewrites AuthenticationAuthority as a whole';
    if (operation.op === 'delete-value' && touchesAuthority && (operation.value.startsWith(SHADOW_HASH_AUTHORITY) || operation.value.trim() === SECURE_TOKEN_AUTHORITY)) {
      return `removes ${operation.value.split(';')[1]}`;
    }
  }
  return null;
}

function evaluateGates(target: DemobilizeTarget, facts: DemobilizeFacts, policy: DemobilizePolicy, operations: readonly PlanOperation[]): GateResult[] {
  const { record } = target;
  const name = record.recordName;
  const gates: GateResult[] = [];
  const add = (gate: GateName, outcome: GateOutcome, message: string) => gates.push({ gate, outcome, message });

  if (policy.excludeUsers.includes(name)) add('excluded', 'skip', 'listed in the policy excludeUsers');
  if (classifyAccount(name, record) !== 'mobile') {
    add('not-mobile', 'skip', 'not a mobile account (no OriginalNodeName, no LocalCachedUser authority): nothing to do');
    return gates;
  }
  if (integerValue(firstStandard(record, 'UniqueID')) === null || firstStandard(record, 'GeneratedUID') === null) {
    add('unreadable-record', 'refuse', 'the record has no usable UniqueID or GeneratedUID; it cannot be verified after a change');
  }
  // Every session counts (fast user switching, SSH, processes), not only the console; unknown counts as logged in.
  const sessions = facts.sessions === null ? ['sessions could not be read'] : sessionsOf(facts.sessions, { names: standardAttribute(record, 'RecordName') ?? [name], uid: integerValue(firstStandard(record, 'UniqueID')) });
  if (sessions.length > 0) {
    const what = `the user is logged in (${sessions.join('; ')})`;
    if (policy.loggedInUser === 'skip') add('logged-in', 'skip', `${what}; policy loggedInUser=skip waits for logout`);
    else add('logged-in', 'warn', `${what}; converting anyway (policy loggedInUser=allow)`);
  }
  if (facts.fileVault.conversion === 'encrypting' || facts.fileVault.conversion === 'decrypting') {
    add('filevault-converting', 'refuse', `FileVault is ${facts.fileVault.conversion}; account changes wait until it finishes`);
  } else if (facts.fileVault.conversion === 'unknown') {
    add('filevault-converting', 'refuse', 'FileVault status could not be read; account changes wait until it can');
  }
  const invariant = removesProtectedAuthority(operations);
  if (invariant) add('authority-invariant', 'refuse', `the plan ${invariant}; that would drop the password hash or SecureToken`);
  const guid = firstStandard(record, 'GeneratedUID')?.toUpperCase();
  if (facts.secureTokenHolders && guid && facts.secureTokenHolders.length === 1 && facts.secureTokenHolders[0]!.toUpperCase() === guid) {
    add('secure-token', 'warn', 'the only SecureToken holder on this Mac; the plan keeps ;SecureToken; and verify checks it');
  }
  const profiles = facts.userProfiles[name] ?? [];
  if (profiles.length > 0) {
    const message = `has ${profiles.length} user-level configuration profile(s) (${profiles.join(', ')}); a local account loses its MDM user channel`;
    add('user-profiles', policy.userProfiles === 'block' ? 'refuse' : 'warn', message);
  }
  if (operations.some((operation) => operation.op === 'remove-account-file')) {
    if (facts.fullDiskAccess === 'denied') add('full-disk-access', 'refuse', 'removing ~/.account needs Full Disk Access, which the agent does not have');
    else if (facts.fullDiskAccess === 'unknown') add('full-disk-access', 'warn', 'Full Disk Access could not be checked; removing ~/.account may fail (then the account is rolled back)');
  }
  if (facts.fileVault.state === 'on' && facts.fileVault.autoLogin === true) {
    add('filevault-autologin', 'warn', 'FileVault automatic login is on: login-window mechanisms (Jamf Connect DeMobilize) never run on this Mac');
  }
  return gates;
}

/** Plan the demobilization of one account: gates first, then the operations when every gate lets it through. */
export function planDemobilization(target: DemobilizeTarget, facts: DemobilizeFacts, policy: DemobilizePolicy): UserPlan {
  const user = target.record.recordName;
  const evidence = mobileEvidence(target.record);
  const isMobile = evidence.originalNodeName !== null || evidence.localCachedUser !== null;
  const operations = isMobile ? demobilizeOperations(target, facts, policy) : [];
  const gates = evaluateGates(target, facts, policy, operations);
  const action = gates.some((gate) => gate.outcome === 'refuse') ? 'refuse' : gates.some((gate) => gate.outcome === 'skip') ? 'skip' : 'convert';
  // Operations stay in a skipped or refused plan so a dry run shows what would happen; only "convert" runs them.
  return { user, action, gates, operations };
}
