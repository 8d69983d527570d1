// Pure: the facts a scan read in, the Mac's inventory out. No I/O, no clock (the time is a fact).
import { disabledState, isDisabled, linkedIdentityOf } from '../plan/lock.js';
import { standardAttribute, type DirectoryRecord } from '../system/dscl.js';
import { classifyLoginWindow, hasDemobilizeMechanism, sameChain } from '../loginwindow/chain.js';
import { classifyAccount, firstStandard, integerValue, isAdmin, isHidden, mobileEvidence } from './classify.js';
import { sessionsOf } from '../system/sessions.js';
import type { Fact, ScanFacts } from './facts.js';
import type { FileVaultState, LoginWindowState, MacInventory, MdmState, TokenState, UserInventory } from './model.js';

const SECURE_TOKEN_AUTHORITY = ';SecureToken;';
const OPEN_DIRECTORY_CRYPTO_USER = 'Local Open Directory User';

function valueOr<T, D>(fact: Fact<T>, fallback: D): T | D {
  return fact.ok ? fact.value : fallback;
}

function secureTokenOf(record: DirectoryRecord, generatedUid: string | null, facts: ScanFacts): TokenState {
  // On APFS a SecureToken holder is exactly a crypto user of the volume; the authority marker is the fallback.
  if (facts.cryptoUsers.ok && generatedUid !== null) {
    const wanted = generatedUid.toUpperCase();
    const holder = facts.cryptoUsers.value.some((user) => user.type === OPEN_DIRECTORY_CRYPTO_USER && user.uuid.toUpperCase() === wanted);
    return holder ? 'enabled' : 'disabled';
  }
  const marked = (standardAttribute(record, 'AuthenticationAuthority') ?? []).some((value) => value.trim() === SECURE_TOKEN_AUTHORITY);
  return marked ? 'enabled' : 'unknown';
}

function fileVaultOf(name: string, generatedUid: string | null, facts: ScanFacts): boolean | null {
  if (facts.fileVault.ok && !facts.fileVault.value.on) return false;
  if (!facts.fileVaultUsers.ok) return null;
  const wanted = generatedUid?.toUpperCase();
  return facts.fileVaultUsers.value.some((user) => user.name === name || (wanted !== undefined && user.uuid.toUpperCase() === wanted));
}

/** Whether logins are disabled; unknown only when the group could not be read and the record shows nothing. */
function lockedOf(record: DirectoryRecord, facts: ScanFacts): boolean | null {
  const lookup = facts.disabledGroup.ok ? facts.disabledGroup.value : undefined;
  const state = disabledState(record, lookup === undefined ? undefined : lookup.kind === 'found' ? lookup.record : null);
  if (isDisabled(state)) return true;
  return state.inDisabledGroup === null ? null : false;
}

function userInventory(record: DirectoryRecord, facts: ScanFacts, adminGroup: DirectoryRecord | null, consoleName: string | null): UserInventory {
  const name = record.recordName;
  const generatedUid = firstStandard(record, 'GeneratedUID');
  const profiles = valueOr(facts.profiles, undefined)?.byUser[name] ?? [];
  return {
    name,
    realName: firstStandard(record, 'RealName'),
    kind: classifyAccount(name, record),
    uid: integerValue(firstStandard(record, 'UniqueID')),
    primaryGroupId: integerValue(firstStandard(record, 'PrimaryGroupID')),
    generatedUid,
    home: firstStandard(record, 'NFSHomeDirectory'),
    shell: firstStandard(record, 'UserShell'),
    hidden: isHidden(record),
    admin: isAdmin(name, generatedUid, adminGroup),
    secureToken: secureTokenOf(record, generatedUid, facts),
    fileVault: fileVaultOf(name, generatedUid, facts),
    profiles: [...profiles],
    // Any session counts (fast user switching, terminal, SSH, processes); the console alone when sessions are unreadable.
    loggedIn: facts.sessions.ok
      ? sessionsOf(facts.sessions.value, { names: standardAttribute(record, 'RecordName') ?? [name], uid: integerValue(firstStandard(record, 'UniqueID')) }).length > 0
      : consoleName === name,
    mobile: mobileEvidence(record),
    linkedIdentity: linkedIdentityOf(record),
    locked: lockedOf(record, facts),
  };
}

function fileVaultState(facts: ScanFacts): FileVaultState {
  if (!facts.fileVault.ok) return { state: 'unknown', conversion: 'unknown', autoLogin: 'unknown' };
  const status = facts.fileVault.value;
  const conversion = status.encryptionInProgress ? 'encrypting' : status.decryptionInProgress ? 'decrypting' : 'none';
  let autoLogin: boolean | 'unknown' = false;
  if (status.on) {
    // FileVault logs the unlocking user straight in unless DisableFDEAutoLogin is set; a profile wins over the local file.
    if (!facts.disableFdeAutoLogin.ok) autoLogin = 'unknown';
    else autoLogin = !(facts.disableFdeAutoLogin.value.managed ?? facts.disableFdeAutoLogin.value.local ?? false);
  }
  return { state: status.on ? 'on' : 'off', conversion, autoLogin };
}

function loginWindowState(facts: ScanFacts): LoginWindowState {
  if (!facts.loginChain.ok) {
    return { kind: 'unknown', demobilizeMechanism: false, isOsDefault: null, mechanisms: [], error: facts.loginChain.error };
  }
  const mechanisms = [...(facts.loginChain.value.mechanisms ?? [])];
  return {
    kind: classifyLoginWindow(mechanisms),
    demobilizeMechanism: hasDemobilizeMechanism(mechanisms),
    isOsDefault: facts.defaultLoginChain.ok ? sameChain(mechanisms, facts.defaultLoginChain.value) : null,
    mechanisms,
  };
}

function mdmState(facts: ScanFacts): MdmState {
  if (!facts.enrollment.ok) return { enrolled: 'unknown', dep: 'unknown', userApproved: 'unknown' };
  const { mdm, dep } = facts.enrollment.value;
  return { enrolled: mdm !== 'no', dep, userApproved: mdm === 'user-approved' };
}

/**
 * Order short names case-insensitively by code unit, then exactly. Not localeCompare: a collator makes V8 load ICU's
 * collation data, about 3 MiB of resident memory the idle daemon would keep for one sort (bench:daemon).
 */
export function compareNamesIgnoringCase(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  if (left !== right) return left < right ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Build the Mac's inventory from what the scan read. */
export function buildInventory(facts: ScanFacts): MacInventory {
  const console = valueOr(facts.consoleUser, undefined);
  const consoleName = console?.kind === 'user' ? console.name : null;
  const adminLookup = valueOr(facts.adminGroup, undefined);
  const adminGroup = adminLookup?.kind === 'found' ? adminLookup.record : null;
  const users = facts.users.records
    .map((record) => userInventory(record, facts, adminGroup, consoleName))
    .sort((a, b) => compareNamesIgnoringCase(a.name, b.name));
  const summary = { mobile: 0, local: 0, system: 0, unknown: 0 };
  for (const user of users) summary[user.kind] += 1;

  const warnings = Object.values(facts)
    .filter((fact): fact is { ok: false; error: string } => typeof fact === 'object' && fact !== null && 'ok' in fact && fact.ok === false)
    .map((fact) => fact.error);
  for (const unreadable of facts.users.unreadable) {
    warnings.push(`reading user record ${unreadable.recordName ?? `#${unreadable.index}`}: ${unreadable.reason}`);
  }

  const binding = valueOr(facts.binding, undefined);
  const macOS = valueOr(facts.macOS, undefined);
  return {
    schemaVersion: 1,
    collectedAt: facts.collectedAt.toISOString(),
    agentVersion: facts.agentVersion,
    macOS: macOS ? { productName: macOS.productName, productVersion: macOS.productVersion, buildVersion: macOS.buildVersion } : null,
    consoleUser: console?.kind === 'user' ? { loggedIn: true, name: console.name, uid: console.uid } : { loggedIn: false, reason: console?.reason ?? 'unknown' },
    binding: binding?.bound
      ? { bound: true, domain: binding.domain ?? null, forest: binding.forest ?? null, computerAccount: binding.computerAccount ?? null }
      : { bound: false },
    fileVault: fileVaultState(facts),
    loginWindow: loginWindowState(facts),
    mdm: mdmState(facts),
    users,
    summary,
    warnings,
  };
}
