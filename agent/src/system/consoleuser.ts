// Who is at the console: `scutil` (State:/Users/ConsoleUser) for the session, `stat -f%Su /dev/console`
// for the owner's short name. The conversion refuses to touch an account that is logged in.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { MAC_PATHS } from './paths.js';
import { runToolChecked } from './run.js';

/** The console user, or nobody and why. */
export type ConsoleUser =
  | { kind: 'user'; name: string; uid: number }
  | { kind: 'none'; reason: 'loginwindow' | 'no-name' | 'root' | 'setup-user' };

/** The top-level fields of scutil's ConsoleUser dictionary the agent uses. */
export interface ScutilConsoleUser {
  /** Undefined when the key is absent (fresh Mac before first login); may be "" or "loginwindow". */
  name: string | undefined;
  uid: number | undefined;
}

// Sample (`scutil <<< "show State:/Users/ConsoleUser"`, 2018, any recent macOS; 2 spaces per level):
//   <dictionary> {
//     GID : 20
//     Name : erikberglund
//     SessionInfo : <array> {
//       0 : <dictionary> {
//         kCGSSessionUserNameKey : erikberglund
//         …
//       }
//     }
//     UID : 501
//   }
// Edge cases: `Name : loginwindow` after a logout; no Name key at all before the first login (the
// dictionary starts with SessionInfo); an empty Name with Jamf Connect's login window; Name may be a
// login alias; a key that does not exist prints `  No such key`.
/** Parse scutil's ConsoleUser dictionary (only the top-level Name and UID). */
export function parseScutilConsoleUser(raw: string): ScutilConsoleUser {
  const lines = outputLines(raw);
  const first = lines.find((line) => line.trim() !== '') ?? '';
  if (/No such key/.test(first)) return { name: undefined, uid: undefined };
  if (first.trim() !== '<dictionary> {') throw new UnexpectedOutputError(`expected "<dictionary> {", got ${excerpt(first)}`);
  const parsed: ScutilConsoleUser = { name: undefined, uid: undefined };
  for (const line of lines) {
    const field = /^ {2}(Name|UID) :(?: (.*))?$/.exec(line);
    if (!field) continue;
    const value = (field[2] ?? '').trim();
    if (field[1] === 'Name') parsed.name = value;
    else if (/^\d+$/.test(value)) parsed.uid = Number(value);
    else throw new UnexpectedOutputError(`UID is not a number: ${excerpt(line)}`);
  }
  return parsed;
}

// Sample (`stat -f%Su /dev/console`): one line with the console owner's short name; `root` when nobody is logged in.
/** Parse the owner name printed by `stat -f%Su`. */
export function parseStatOwner(raw: string): string {
  const lines = outputLines(raw);
  if (lines.length !== 1 || lines[0]!.trim() === '' || /\s/.test(lines[0]!.trim())) {
    throw new UnexpectedOutputError(`expected one user name, got ${excerpt(raw)}`);
  }
  return lines[0]!.trim();
}

const SETUP_USER = '_mbsetupuser';

/** Decide who is at the console from both readings (pure; loginwindow, empty, root, _mbsetupuser mean nobody). */
export function decideConsoleUser(scutil: ScutilConsoleUser, statOwner: string): ConsoleUser {
  if (scutil.name === 'loginwindow') return { kind: 'none', reason: 'loginwindow' };
  if (scutil.name === undefined || scutil.name === '') return { kind: 'none', reason: 'no-name' };
  if (scutil.name === 'root' || statOwner === 'root') return { kind: 'none', reason: 'root' };
  if (scutil.name === SETUP_USER || statOwner === SETUP_USER) return { kind: 'none', reason: 'setup-user' };
  if (scutil.uid === undefined) {
    throw new UnexpectedOutputError(`console user "${scutil.name}" has no UID in scutil's ConsoleUser dictionary`);
  }
  // scutil's Name can be a login alias (IdP-backed accounts); stat gives the record's short name.
  return { kind: 'user', name: statOwner, uid: scutil.uid };
}

/** Who is logged in at the console right now. */
export async function consoleUser(): Promise<ConsoleUser> {
  const scutilResult = await runToolChecked('scutil', [], { input: 'show State:/Users/ConsoleUser\n' });
  const scutil = parseToolOutput(scutilResult, parseScutilConsoleUser);
  const statResult = await runToolChecked('stat', ['-f%Su', MAC_PATHS.console]);
  const owner = parseToolOutput(statResult, parseStatOwner);
  try {
    return decideConsoleUser(scutil, owner);
  } catch (error) {
    if (error instanceof UnexpectedOutputError) throw SystemToolError.badOutput(scutilResult, error.message, error);
    throw error;
  }
}
