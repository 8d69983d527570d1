// The authorization database of a simulated Mac: Apple's default rights per macOS version
// (demobilization.md §3.1, macos-tools.md §3), the hard-coded lists authchanger writes (§3.2), and the
// live DB file both `security authorizationdb` and `authchanger` read and write.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPlistDict, parseXmlPlist, toXmlPlist, type PlistDict } from './plist.js';
import { LAYOUT, atomicWrite } from './store.js';

export const LOGIN_RIGHT = 'system.login.console';
const LOGIN_COMMENT = 'Login mechanism based rule.  Not for general use, yet.';

/** macOS 14 Sonoma and 15 Sequoia default `system.login.console` mechanisms (17 entries, right version 11). */
export const SONOMA_LOGIN_MECHANISMS: readonly string[] = [
  'builtin:prelogin',
  'builtin:policy-banner',
  'loginwindow:login',
  'builtin:login-begin',
  'builtin:reset-password,privileged',
  'loginwindow:FDESupport,privileged',
  'builtin:forward-login,privileged',
  'builtin:auto-login,privileged',
  'builtin:authenticate,privileged',
  'PKINITMechanism:auth,privileged',
  'builtin:login-success',
  'loginwindow:success',
  'HomeDirMechanism:login,privileged',
  'HomeDirMechanism:status',
  'MCXMechanism:login',
  'CryptoTokenKit:login',
  'loginwindow:done',
];

/** macOS 13 Ventura: the Sonoma list plus `PSSOAuthPlugin:login-auth` before `loginwindow:done` (right version 10). */
export const VENTURA_LOGIN_MECHANISMS: readonly string[] = [
  ...SONOMA_LOGIN_MECHANISMS.slice(0, -1),
  'PSSOAuthPlugin:login-auth',
  'loginwindow:done',
];

/**
 * What open-source authchanger 2.1.0 writes for `-reset` on macOS 11+: its own hard-coded list, which puts
 * policy-banner before prelogin and has no PSSOAuthPlugin entry (differs from Apple's default).
 */
export const AUTHCHANGER_RESET_MECHANISMS: readonly string[] = [
  'builtin:policy-banner',
  'builtin:prelogin',
  ...SONOMA_LOGIN_MECHANISMS.slice(2),
];

/**
 * Our choice for Jamf Connect 2's `-JamfConnect` edit (the real list is unconfirmed): `loginwindow:login`
 * is replaced by these front mechanisms ...
 */
export const JAMF_CONNECT_FRONT_MECHANISMS: readonly string[] = [
  'JamfConnectLogin:LoginUI',
  'JamfConnectLogin:PowerControl,privileged',
  'JamfConnectLogin:CreateUser,privileged',
  'JamfConnectLogin:DeMobilize,privileged',
];
/** ... and these are appended at the end (authchanger 2.x end mechanisms under the JamfConnectLogin plug-in). */
export const JAMF_CONNECT_END_MECHANISMS: readonly string[] = [
  'JamfConnectLogin:EnableFDE,privileged',
  'JamfConnectLogin:SierraFixes,privileged',
  'JamfConnectLogin:KeychainAdd,privileged',
];

/** Seconds since 2001-01-01 (CFAbsoluteTime), the unit of `created`/`modified`. */
export function cfAbsoluteTime(date = new Date()): number {
  return date.getTime() / 1000 - 978_307_200;
}

function majorVersion(productVersion: string): number {
  const major = Number(productVersion.split('.')[0]);
  if (!Number.isInteger(major)) throw new Error(`simulated macOS version "${productVersion}" is not a version`);
  return major;
}

/** Apple's default login mechanisms for a macOS version (13, 14 and 15 are modelled). */
export function defaultLoginMechanisms(productVersion: string): readonly string[] {
  const major = majorVersion(productVersion);
  if (major === 13) return VENTURA_LOGIN_MECHANISMS;
  if (major === 14 || major === 15) return SONOMA_LOGIN_MECHANISMS;
  throw new Error(`simulated macOS ${productVersion}: only macOS 13, 14 and 15 login chains are modelled`);
}

/** The default `system.login.console` definition as authorization.plist holds it (no timestamps). */
function loginRightDefinition(productVersion: string): PlistDict {
  return {
    class: 'evaluate-mechanisms',
    comment: LOGIN_COMMENT,
    mechanisms: [...defaultLoginMechanisms(productVersion)],
    shared: true,
    tries: 10000,
    version: majorVersion(productVersion) === 13 ? 10 : 11,
  };
}

/** Rights besides the login chain that authchanger -print shows. Their exact definitions are approximate. */
const NETWORK_RIGHTS: Readonly<Record<string, PlistDict>> = {
  'system.services.systemconfiguration.network': {
    class: 'rule',
    comment: 'For making changes to network configuration.',
    rule: ['is-root', 'entitled', 'authenticate-admin-nonshared'],
    version: 1,
  },
  'system.preferences.network': {
    class: 'rule',
    comment: 'Checked by the Admin framework when making changes to the Network preference pane.',
    rule: ['authenticate-admin-nonshared'],
    version: 1,
  },
  'system.preferences': {
    class: 'rule',
    comment: 'Checked by the Admin framework when making changes to certain System Preferences.',
    rule: ['admin'],
    shared: true,
    version: 1,
  },
};

/** Contents of /System/Library/Security/authorization.plist for a macOS version (the OS default rights). */
export function authorizationDefaultsPlist(productVersion: string): PlistDict {
  return {
    comment: 'Simulated /System/Library/Security/authorization.plist (macsim): only the rights the agent touches.',
    rights: { [LOGIN_RIGHT]: loginRightDefinition(productVersion), ...NETWORK_RIGHTS },
    rules: {
      'authenticate-admin-nonshared': {
        class: 'user',
        comment: 'Authenticate as an administrator.',
        group: 'admin',
        shared: false,
        timeout: 30,
        version: 1,
      },
      'is-root': { class: 'user', comment: 'Verify that the user asking for authorization is root.', 'authenticate-user': false, uid: 0 },
      entitled: { class: 'entitled', comment: 'Verify the caller has the right entitlement.' },
    },
  };
}

/** Timestamps of the default login right as captured (macos-tools.md §3 and the Ventura capture). */
function capturedTimestamps(productVersion: string): { created: number; modified: number } {
  if (majorVersion(productVersion) === 13) return { created: 470991139.20000899, modified: 692230356.95700204 };
  return { created: 719346785.95490503, modified: 719346785.95490503 };
}

/** The live DB a fresh Mac of this version has: the defaults with `created`/`modified` stamped. */
export function initialAuthDb(productVersion: string): PlistDict {
  const defaults = authorizationDefaultsPlist(productVersion).rights as PlistDict;
  const stamps = capturedTimestamps(productVersion);
  const db: PlistDict = {};
  for (const [name, right] of Object.entries(defaults)) {
    if (isPlistDict(right)) db[name] = { ...right, created: stamps.created, modified: stamps.modified };
  }
  return db;
}

export function authDbPath(root: string): string {
  return path.join(root, LAYOUT.authDb);
}

export function readAuthDb(root: string): PlistDict {
  const value = parseXmlPlist(readFileSync(authDbPath(root), 'utf8'));
  if (!isPlistDict(value)) throw new Error(`reading ${LAYOUT.authDb}: the top level is not a dict`);
  return value;
}

export function writeAuthDb(root: string, db: PlistDict): void {
  atomicWrite(authDbPath(root), toXmlPlist(db));
}

/**
 * Store a right as AuthorizationRightSet does: the given definition, `modified` set to now and `created`
 * kept from the previous definition when there was one.
 */
export function setRight(db: PlistDict, name: string, definition: PlistDict): void {
  const previous = db[name];
  const now = cfAbsoluteTime();
  const created = isPlistDict(previous) && typeof previous.created === 'number' ? previous.created : now;
  db[name] = { ...definition, created, modified: now };
}
