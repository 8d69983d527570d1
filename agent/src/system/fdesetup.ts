// FileVault state through /usr/bin/fdesetup: whether it is on, whether a conversion is running
// (the conversion must not start then), and which users can unlock the disk.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runTool, runToolChecked } from './run.js';

/** FileVault status, line by line. */
export interface FileVaultStatus {
  on: boolean;
  encryptionInProgress: boolean;
  decryptionInProgress: boolean;
  /** The progress text after the colon, e.g. "percent completed = 42.17" or "Pending". */
  progress?: string;
  /** Short name of the user a deferred enablement waits for. */
  deferredFor?: string;
  /** Every line as printed, for the report (unknown extra lines are kept, not interpreted). */
  lines: string[];
}

// Sample (`fdesetup status`, macOS 10.15.6):
//   FileVault is On.
//   FileVault master keychain appears to be installed.
// Other observed second lines: `Encryption in progress: percent completed = ##.##`,
// `Encryption in progress: Pending`, `Decryption in progress: Percent completed = NN`,
// `Deferred enablement appears to be active for user '<shortName>'.` — parse by line, never the whole text.
/** Parse `fdesetup status`. */
export function parseFdesetupStatus(raw: string): FileVaultStatus {
  const lines = outputLines(raw).filter((line) => line.trim() !== '');
  const first = /^FileVault is (On|Off)\.$/.exec(lines[0] ?? '');
  if (!first) throw new UnexpectedOutputError(`first line is not "FileVault is On." or "FileVault is Off.": ${excerpt(lines[0] ?? '')}`);
  const status: FileVaultStatus = { on: first[1] === 'On', encryptionInProgress: false, decryptionInProgress: false, lines };
  for (const line of lines.slice(1)) {
    const conversion = /^(Encryption|Decryption) in progress:\s*(.*)$/.exec(line);
    if (conversion) {
      if (conversion[1] === 'Encryption') status.encryptionInProgress = true;
      else status.decryptionInProgress = true;
      status.progress = conversion[2]!.trim();
      continue;
    }
    const deferred = /^Deferred enablement appears to be active for user '([^']*)'\.?$/.exec(line);
    if (deferred) status.deferredFor = deferred[1]!;
  }
  return status;
}

/** Read FileVault status. */
export async function status(): Promise<FileVaultStatus> {
  const result = await runToolChecked('fdesetup', ['status']);
  return parseToolOutput(result, parseFdesetupStatus);
}

// Sample (`fdesetup isactive`): stdout `true` exit 0, or `false` exit 1 (not a failure).
/** Whether FileVault is active; exit 1 with "false" is an answer, not an error. */
export async function isActive(): Promise<boolean> {
  const result = await runTool('fdesetup', ['isactive'], { okExitCodes: [1] });
  if (result.failed) throw SystemToolError.fromResult(result);
  const answer = result.stdout.trim();
  if (answer === 'true' && result.exitCode === 0) return true;
  if (answer === 'false' && result.exitCode === 1) return false;
  throw SystemToolError.badOutput(result, `expected "true" with exit 0 or "false" with exit 1, got ${excerpt(answer)} with exit ${result.exitCode}`);
}

/** A user who can unlock the FileVault volume. */
export interface FileVaultUser {
  name: string;
  uuid: string;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

// Sample (`fdesetup list` as root, DISA STIG check text): `fvuser,85F41F44-22B3-6CB7-85A1-BCC2EA2B887A`
// One `shortname,UUID` per line; no users ⇒ empty output.
/** Parse `fdesetup list`. */
export function parseFdesetupList(raw: string): FileVaultUser[] {
  return outputLines(raw)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const comma = line.lastIndexOf(',');
      const name = line.slice(0, comma);
      const uuid = line.slice(comma + 1).trim();
      if (comma <= 0 || !UUID.test(uuid)) throw new UnexpectedOutputError(`line is not "name,UUID": ${excerpt(line)}`);
      return { name, uuid };
    });
}

/** List the FileVault-enabled users (needs root). */
export async function listUsers(): Promise<FileVaultUser[]> {
  const result = await runToolChecked('fdesetup', ['list']);
  return parseToolOutput(result, parseFdesetupList);
}
