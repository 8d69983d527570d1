// The edge of the scan: read every fact from the Mac, concurrently, with a fixed number of processes
// whatever the number of users (one `dscl -plist . -readall /Users` instead of a read per user).
import { ACCESS_DISABLED_GROUP } from '../plan/lock.js';
import * as consoleuser from '../system/consoleuser.js';
import * as defaults from '../system/defaults.js';
import * as diskutil from '../system/diskutil.js';
import * as dscl from '../system/dscl.js';
import * as dsconfigad from '../system/dsconfigad.js';
import * as fdesetup from '../system/fdesetup.js';
import * as files from '../system/files.js';
import * as profiles from '../system/profiles.js';
import * as security from '../system/security.js';
import * as sessions from '../system/sessions.js';
import * as swvers from '../system/swvers.js';
import { defaultMechanismsFrom } from '../loginwindow/chain.js';
import { MAC_PATHS } from '../system/paths.js';
import { agentVersion } from '../version.js';
import { buildInventory } from './build.js';
import { readFact, type Fact, type ScanFacts } from './facts.js';
import type { MacInventory } from './model.js';

const LOGINWINDOW_DOMAIN = '/Library/Preferences/com.apple.loginwindow';
const MANAGED_LOGINWINDOW_DOMAIN = '/Library/Managed Preferences/com.apple.loginwindow';

/** Read the running macOS's default login chain from authorization.plist (rebuilt defaults come from here too). */
export async function readDefaultLoginChain(): Promise<string[]> {
  const plist = await files.readPlistFile(MAC_PATHS.authorizationDefaults);
  if (plist === undefined) throw new Error(`${MAC_PATHS.authorizationDefaults} does not exist`);
  return defaultMechanismsFrom(plist, security.LOGIN_CONSOLE_RIGHT);
}

/** One group out of the listing of every group, as a single-record read would have answered. */
function groupLookup(groups: Fact<dscl.RecordListing>, name: string): Fact<dscl.RecordLookup> {
  if (!groups.ok) return groups;
  const record = groups.value.records.find((group) => group.recordName === name);
  return { ok: true, value: record ? { kind: 'found', record } : { kind: 'not-found', path: `/Groups/${name}` } };
}

/** Read everything a scan needs from the Mac. Only the user listing is required; other sources may fail. */
export async function collectScanFacts(now: Date): Promise<ScanFacts> {
  const [users, groups, binding, fileVault, fileVaultUsers, cryptoUsers, console, loggedIn, macOS, installed, enrollment, loginChain, defaultLoginChain, disableFdeAutoLogin] =
    await Promise.all([
      dscl.readAllRecords('/Users'),
      // Every group in one call: the admin group, and com.apple.access_disabled for the lock state.
      readFact('reading the local groups', () => dscl.readAllRecords('/Groups')),
      readFact('reading the AD binding', () => dsconfigad.showBinding()),
      readFact('reading FileVault status', () => fdesetup.status()),
      readFact('listing FileVault users', () => fdesetup.listUsers()),
      readFact('listing APFS crypto users', () => diskutil.listCryptoUsers('/')),
      readFact('reading the console user', () => consoleuser.consoleUser()),
      readFact('reading who is logged in', () => sessions.readSessions()),
      readFact('reading the macOS version', () => swvers.macOSVersion()),
      readFact('listing configuration profiles', () => profiles.installedProfiles()),
      readFact('reading MDM enrollment', () => profiles.enrollmentStatus()),
      readFact('reading the login window chain', () => security.readAuthorizationRight(security.LOGIN_CONSOLE_RIGHT)),
      readFact("reading the macOS default login chain", () => readDefaultLoginChain()),
      readFact('reading DisableFDEAutoLogin', async () => ({
        managed: await defaults.readBoolDefault(MANAGED_LOGINWINDOW_DOMAIN, 'DisableFDEAutoLogin'),
        local: await defaults.readBoolDefault(LOGINWINDOW_DOMAIN, 'DisableFDEAutoLogin'),
      })),
    ]);
  return {
    collectedAt: now,
    agentVersion: agentVersion(),
    users,
    adminGroup: groupLookup(groups, 'admin'),
    disabledGroup: groupLookup(groups, ACCESS_DISABLED_GROUP),
    binding,
    fileVault,
    fileVaultUsers,
    cryptoUsers,
    consoleUser: console,
    sessions: loggedIn,
    macOS,
    profiles: installed,
    enrollment,
    loginChain,
    defaultLoginChain,
    disableFdeAutoLogin,
  };
}

/** Scan the Mac: the whole inventory in one pass. */
export async function scanMac(now: Date): Promise<MacInventory> {
  return buildInventory(await collectScanFacts(now));
}
