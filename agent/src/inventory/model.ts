// The inventory `untether scan --json` prints and the agent reports to the server. Field names are an
// interface (docs/scan-json.md): add fields, never rename or repurpose one.

export type AccountKind = 'mobile' | 'local' | 'system' | 'unknown';
export type TokenState = 'enabled' | 'disabled' | 'unknown';

/** Why an account counts as mobile: either fact alone is enough, both are reported. */
export interface MobileEvidence {
  /** OriginalNodeName, e.g. "/Active Directory/CORP/All Domains" (kept whole: it contains spaces). */
  originalNodeName: string | null;
  /** The `;LocalCachedUser;...` AuthenticationAuthority value, if any. */
  localCachedUser: string | null;
}

export interface UserInventory {
  name: string;
  realName: string | null;
  kind: AccountKind;
  uid: number | null;
  primaryGroupId: number | null;
  generatedUid: string | null;
  home: string | null;
  shell: string | null;
  hidden: boolean;
  admin: boolean;
  /** SecureToken: from the APFS crypto users and the AuthenticationAuthority marker. */
  secureToken: TokenState;
  /** Whether the user can unlock FileVault (fdesetup list / crypto users). */
  fileVault: boolean | null;
  /** Identifiers of user-level configuration profiles (lost when an account is demobilized). */
  profiles: string[];
  loggedIn: boolean;
  /** The cloud identity a takeover linked the account to (Untether's, XCreds' or Jamf Connect's attribute), or null. */
  linkedIdentity: string | null;
  /** Logins disabled (a DisabledUser authentication authority, or com.apple.access_disabled); null when unknown. */
  locked: boolean | null;
  mobile: MobileEvidence;
}

export type BindingState =
  | { bound: false }
  | { bound: true; domain: string | null; forest: string | null; computerAccount: string | null };

export interface FileVaultState {
  state: 'on' | 'off' | 'unknown';
  /** Encryption or decryption under way: no account change may start then. */
  conversion: 'none' | 'encrypting' | 'decrypting' | 'unknown';
  /** FileVault automatic login: when on, login-window mechanisms (Jamf Connect's DeMobilize) never run. */
  autoLogin: boolean | 'unknown';
}

export type LoginWindowKind = 'apple' | 'jamf-connect' | 'xcreds' | 'jumpcloud' | 'nomad-login' | 'other' | 'unknown';

export interface LoginWindowState {
  kind: LoginWindowKind;
  /** A DeMobilize mechanism (Jamf Connect or NoMAD Login) is in system.login.console. */
  demobilizeMechanism: boolean;
  /** The chain is exactly the running macOS's default (null when the default could not be read). */
  isOsDefault: boolean | null;
  mechanisms: string[];
  /** Why the chain could not be read, when kind is "unknown". */
  error?: string;
}

export interface MdmState {
  enrolled: boolean | 'unknown';
  dep: boolean | 'unknown';
  userApproved: boolean | 'unknown';
}

export type ConsoleUserState = { loggedIn: true; name: string; uid: number | null } | { loggedIn: false; reason: string };

export interface MacInventory {
  schemaVersion: 1;
  collectedAt: string;
  agentVersion: string;
  macOS: { productName: string; productVersion: string; buildVersion: string } | null;
  consoleUser: ConsoleUserState;
  binding: BindingState;
  fileVault: FileVaultState;
  loginWindow: LoginWindowState;
  mdm: MdmState;
  users: UserInventory[];
  summary: { mobile: number; local: number; system: number; unknown: number };
  /** Facts that could not be read, each "what: why"; the rest of the scan is still valid. */
  warnings: string[];
}
