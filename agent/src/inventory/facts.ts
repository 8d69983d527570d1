// What a scan reads from the Mac, as typed results per source. A source that could not be read is kept
// as a failure with its reason, so one missing tool degrades the inventory instead of aborting it.
import type { ConsoleUser } from '../system/consoleuser.js';
import type { RecordListing, RecordLookup } from '../system/dscl.js';
import type { Binding } from '../system/dsconfigad.js';
import type { CryptoUser } from '../system/diskutil.js';
import type { FileVaultStatus, FileVaultUser } from '../system/fdesetup.js';
import type { EnrollmentStatus, InstalledProfiles } from '../system/profiles.js';
import type { AuthorizationRight } from '../system/security.js';
import type { MacOSVersion } from '../system/swvers.js';
import type { SessionSet } from '../system/sessions.js';

export type Fact<T> = { ok: true; value: T } | { ok: false; error: string };

/** Everything buildInventory needs, read once per scan. */
export interface ScanFacts {
  collectedAt: Date;
  agentVersion: string;
  users: RecordListing;
  adminGroup: Fact<RecordLookup>;
  /** com.apple.access_disabled, one of the places a disabled account shows (plan/lock.ts). */
  disabledGroup: Fact<RecordLookup>;
  binding: Fact<Binding>;
  fileVault: Fact<FileVaultStatus>;
  fileVaultUsers: Fact<FileVaultUser[]>;
  cryptoUsers: Fact<CryptoUser[]>;
  consoleUser: Fact<ConsoleUser>;
  /** Every session: GUI (console and fast user switching), utmpx logins (terminal, SSH), processes per uid. */
  sessions: Fact<SessionSet>;
  macOS: Fact<MacOSVersion>;
  profiles: Fact<InstalledProfiles>;
  enrollment: Fact<EnrollmentStatus>;
  loginChain: Fact<AuthorizationRight>;
  /** The running macOS's default chain from /System/Library/Security/authorization.plist. */
  defaultLoginChain: Fact<string[]>;
  /** DisableFDEAutoLogin from the configuration profile, then /Library/Preferences (undefined = not set). */
  disableFdeAutoLogin: Fact<{ managed: boolean | undefined; local: boolean | undefined }>;
}

/** Await a read and keep its failure as data ("what: why") instead of throwing. */
export async function readFact<T>(what: string, read: () => Promise<T>): Promise<Fact<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${what}: ${reason}` };
  }
}
