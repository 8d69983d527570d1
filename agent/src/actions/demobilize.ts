// Demobilization end to end: read the Mac's facts once, plan every requested account (pure), and run
// the accounts that pass their gates through the transaction layer.
import { errorMessage, UntetherError } from '../errors.js';
import { EXIT } from '../cli/exit-codes.js';
import { firstStandard, isMobileAccount } from '../inventory/classify.js';
import { ADMIN_GROUP, planDemobilization, type DemobilizeFacts, type UserPlan } from '../plan/demobilize.js';
import type { DemobilizePolicy } from '../plan/policy.js';
import { readSessions } from '../system/sessions.js';
import { readBoolDefault } from '../system/defaults.js';
import { checkMember } from '../system/dseditgroup.js';
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { status as fileVaultStatus } from '../system/fdesetup.js';
import { accountFileExists } from '../system/files.js';
import { probeFullDiskAccess } from '../system/full-disk-access.js';
import { installedProfiles } from '../system/profiles.js';
import { recordAccountEvent } from '../notify/ledger.js';
import { readDirectory } from '../txn/account-state.js';
import { runAccountChanges, type ChangeOutcome, type TransactionEvent } from '../txn/run.js';
import { readUnlockSnapshot, type UnlockSnapshot } from '../txn/unlock.js';

export interface DemobilizeRequest {
  users: readonly string[] | 'all';
  dryRun: boolean;
  policy: DemobilizePolicy;
  now: () => Date;
  onEvent?: (event: TransactionEvent) => void;
}

export interface AccountResult {
  plan: UserPlan;
  /** Present when the plan ran (not for dry runs, skips and refusals). */
  outcome?: ChangeOutcome;
}

export interface DemobilizeReport {
  dryRun: boolean;
  accounts: AccountResult[];
  /** Facts that could not be read; the plans treat them as unknown (the safe side). */
  warnings: string[];
}

async function settle<T>(what: string, read: Promise<T>, warnings: string[]): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    warnings.push(`${what}: ${errorMessage(error)}`);
    return undefined;
  }
}

/**
 * Read what every plan needs, once: directory, sessions, FileVault, tokens, profiles, Full Disk Access.
 * `directory` is the users-and-groups read already under way (the admin checks start from it).
 */
async function readFacts(
  directoryRead: Promise<{ users: DirectoryRecord[]; groups: DirectoryRecord[] }>,
  warnings: string[],
): Promise<{ facts: DemobilizeFacts; users: DirectoryRecord[]; groups: DirectoryRecord[]; unlock: UnlockSnapshot }> {
  const [directory, sessions, fileVault, autoLoginManaged, autoLoginLocal, unlock, profiles, fullDiskAccess] = await Promise.all([
    directoryRead,
    settle('reading who is logged in', readSessions(), warnings),
    settle('reading FileVault status', fileVaultStatus(), warnings),
    settle('reading DisableFDEAutoLogin (profile)', readBoolDefault('/Library/Managed Preferences/com.apple.loginwindow', 'DisableFDEAutoLogin'), warnings),
    settle('reading DisableFDEAutoLogin', readBoolDefault('/Library/Preferences/com.apple.loginwindow', 'DisableFDEAutoLogin'), warnings),
    readUnlockSnapshot(),
    settle('listing configuration profiles', installedProfiles(), warnings),
    probeFullDiskAccess(),
  ]);
  const conversion = fileVault === undefined ? 'unknown' : fileVault.encryptionInProgress ? 'encrypting' : fileVault.decryptionInProgress ? 'decrypting' : 'none';
  const autoLogin = fileVault?.on ? !(autoLoginManaged ?? autoLoginLocal ?? false) : false;
  return {
    facts: {
      sessions: sessions ?? null,
      fileVault: { state: fileVault === undefined ? 'unknown' : fileVault.on ? 'on' : 'off', conversion, autoLogin },
      fullDiskAccess,
      groups: directory.groups,
      secureTokenHolders: unlock.crypto ? [...unlock.crypto] : null,
      userProfiles: profiles?.byUser ?? {},
    },
    users: directory.users,
    groups: directory.groups,
    unlock,
  };
}

/** Check the requested names exist before anything else happens; an unknown name changes nothing. */
function selectRecords(users: readonly DirectoryRecord[], requested: readonly string[] | 'all'): DirectoryRecord[] {
  if (requested === 'all') return [...users];
  const missing = requested.filter((name) => !users.some((record) => record.recordName === name));
  if (missing.length > 0) {
    throw new UntetherError('E_UNKNOWN_USER', `no local account named ${missing.map((name) => `"${name}"`).join(', ')}; nothing was changed`, { exitCode: EXIT.USAGE });
  }
  return requested.map((name) => users.find((record) => record.recordName === name)!);
}

/** dseditgroup checks at once while the admin memberships are read (each is one short process). */
const MEMBERSHIP_CHECKS_AT_ONCE = 4;

/**
 * Whether a user is in the local admin group, decided from records already read; undefined when only
 * opendirectoryd can tell. Membership is the primary group, GroupMembership (short name), GroupMembers
 * (GeneratedUID) or a nested group; nested groups are where AD groups sit ("Allow administration by"), and
 * they stop resolving at unbind, so a group with any NestedGroups is left to dseditgroup.
 */
export function directAdminMembership(record: DirectoryRecord, groups: readonly DirectoryRecord[]): boolean | undefined {
  const admin = groups.find((group) => group.recordName === ADMIN_GROUP);
  if (admin === undefined || (standardAttribute(admin, 'NestedGroups') ?? []).length > 0) return undefined;
  const guid = firstStandard(record, 'GeneratedUID')?.toUpperCase();
  const adminGid = firstStandard(admin, 'PrimaryGroupID');
  return (
    (adminGid !== null && firstStandard(record, 'PrimaryGroupID') === adminGid) ||
    (standardAttribute(admin, 'GroupMembership') ?? []).some((name) => (standardAttribute(record, 'RecordName') ?? [record.recordName]).includes(name)) ||
    (guid !== undefined && (standardAttribute(admin, 'GroupMembers') ?? []).some((member) => member.toUpperCase() === guid))
  );
}

/**
 * Which requested mobile accounts are admins today, AD groups included. Without nested groups in admin the
 * records already read decide; otherwise dseditgroup resolves them (AD admin groups stop resolving at unbind),
 * a few at a time, started as soon as the records are read.
 */
async function readEffectiveAdmins(
  directoryRead: Promise<{ users: DirectoryRecord[]; groups: DirectoryRecord[] }>,
  request: DemobilizeRequest,
): Promise<Map<string, boolean>> {
  const admins = new Map<string, boolean>();
  if (request.policy.admin !== 'preserve') return admins;
  let candidates: DirectoryRecord[];
  let groups: DirectoryRecord[];
  try {
    const directory = await directoryRead;
    candidates = selectRecords(directory.users, request.users).filter(isMobileAccount);
    groups = directory.groups;
  } catch {
    return admins; // demobilize() reports the unknown names (and a failed read) itself
  }
  const unresolved: DirectoryRecord[] = [];
  for (const record of candidates) {
    const known = directAdminMembership(record, groups);
    if (known === undefined) unresolved.push(record);
    else admins.set(record.recordName, known);
  }
  for (let start = 0; start < unresolved.length; start += MEMBERSHIP_CHECKS_AT_ONCE) {
    await Promise.all(
      unresolved.slice(start, start + MEMBERSHIP_CHECKS_AT_ONCE).map(async (record) => {
        admins.set(record.recordName, (await checkMember(record.recordName, ADMIN_GROUP).catch(() => 'not-member')) === 'member');
      }),
    );
  }
  return admins;
}

/** Plan (and unless dry-run, convert) the requested accounts. */
export async function demobilize(request: DemobilizeRequest): Promise<DemobilizeReport> {
  const warnings: string[] = [];
  const directoryRead = readDirectory();
  const [{ facts, users, groups, unlock }, effectiveAdmins] = await Promise.all([readFacts(directoryRead, warnings), readEffectiveAdmins(directoryRead, request)]);
  const candidates = selectRecords(users, request.users);
  const plans: UserPlan[] = [];
  for (const record of candidates) {
    const home = firstStandard(record, 'NFSHomeDirectory');
    const mobile = isMobileAccount(record);
    const effectiveAdmin = mobile && (effectiveAdmins.get(record.recordName) ?? false);
    const accountFile = mobile && home ? await accountFileExists(home).catch(() => false) : false;
    plans.push(planDemobilization({ record, accountFileExists: accountFile, effectiveAdmin }, facts, request.policy));
  }
  // With --all, accounts that are not mobile are simply not part of the job.
  const relevant = request.users === 'all' ? plans.filter((plan) => !plan.gates.some((gate) => gate.gate === 'not-mobile')) : plans;
  const accounts: AccountResult[] = relevant.map((plan) => ({ plan }));
  const toConvert = relevant.filter((plan) => plan.action === 'convert' && plan.operations.length > 0);
  if (request.dryRun || toConvert.length === 0) return { dryRun: request.dryRun, accounts, warnings };

  const outcomes = await runAccountChanges(
    toConvert.map((plan) => ({ kind: 'demobilize' as const, user: plan.user, operations: plan.operations })),
    { now: request.now, onEvent: request.onEvent, directory: { users, groups }, unlockBefore: unlock },
  );
  for (const outcome of outcomes) {
    const account = accounts.find((candidate) => candidate.plan.user === outcome.user);
    if (account) account.outcome = outcome;
    // The user is told at their next login what happened (and that the password is the same).
    if (outcome.outcome === 'committed') {
      await recordAccountEvent({ id: `${outcome.snapshotId}:demobilized`, user: outcome.user, kind: 'demobilized', at: request.now().toISOString() }, request.now()).catch((error: unknown) =>
        warnings.push(`recording the login notice for ${outcome.user}: ${errorMessage(error)}`),
      );
    }
  }
  return { dryRun: false, accounts, warnings };
}
