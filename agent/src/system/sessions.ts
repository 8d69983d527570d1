// Every session a user has, not only the console: the GUI sessions scutil lists (the console one and
// fast-user-switching ones in the background), the utmpx login records `who` prints (console logins,
// Terminal windows, SSH), and the processes running as the user's uid (`ps -axo uid=`, one call for all
// users). Account changes and takeover writes wait while a user has any of them.
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runToolChecked } from './run.js';

/** One GUI session from scutil's ConsoleUser SessionInfo array. */
export interface GuiSession {
  name: string;
  uid: number;
  /** The session on screen; FALSE for a fast-user-switching session in the background. */
  onConsole: boolean;
}

/** One utmpx USER_PROCESS record as `who` prints it. */
export interface LoginRecord {
  name: string;
  /** "console" for a GUI login, "ttys000" ... for terminals and SSH. */
  line: string;
  /** The remote host of an SSH login; null for a local one. */
  host: string | null;
}

/** Every session on the Mac, read at one moment. */
export interface SessionSet {
  gui: GuiSession[];
  logins: LoginRecord[];
  /** How many processes each uid runs. */
  processesByUid: Record<string, number>;
}

// Sample (scutil <<< "show State:/Users/ConsoleUser", macos-tools.md §7): SessionInfo lists every GUI
// session, one "<n> : <dictionary> {" per session at 4 spaces, its keys at 6:
//       kCGSSessionOnConsoleKey : TRUE
//       kCGSSessionUserIDKey : 501
//       kCGSSessionUserNameKey : erikberglund
// A fresh Mac's setup session has no user keys (skipped); "No such key" means no session at all.
/** Parse the SessionInfo array of scutil's ConsoleUser dictionary. */
export function parseScutilSessions(raw: string): GuiSession[] {
  const lines = outputLines(raw);
  const first = lines.find((line) => line.trim() !== '') ?? '';
  if (/No such key/.test(first)) return [];
  if (first.trim() !== '<dictionary> {') throw new UnexpectedOutputError(`expected "<dictionary> {", got ${excerpt(first)}`);
  const sessions: GuiSession[] = [];
  let current: { name?: string; uid?: number; onConsole?: boolean } | undefined;
  const finish = () => {
    if (current?.name !== undefined && current.uid !== undefined) sessions.push({ name: current.name, uid: current.uid, onConsole: current.onConsole === true });
    current = undefined;
  };
  for (const line of lines) {
    if (/^ {4}\d+ : <dictionary> \{$/.test(line)) {
      finish();
      current = {};
      continue;
    }
    if (/^ {4}\}$/.test(line)) {
      finish();
      continue;
    }
    const field = /^ {6}(kCGSSessionUserNameKey|kCGSSessionUserIDKey|kCGSSessionOnConsoleKey) :(?: (.*))?$/.exec(line);
    if (!field || current === undefined) continue;
    const value = (field[2] ?? '').trim();
    if (field[1] === 'kCGSSessionUserNameKey') current.name = value;
    else if (field[1] === 'kCGSSessionOnConsoleKey') current.onConsole = value === 'TRUE';
    else if (/^\d+$/.test(value)) current.uid = Number(value);
    else throw new UnexpectedOutputError(`kCGSSessionUserIDKey is not a number: ${excerpt(line)}`);
  }
  finish();
  return sessions;
}

// Sample (`who`, macOS; FreeBSD's who(1): name, line, login time, then "(host)" for a remote login):
//   jdoe             console      Dec  2 09:14
//   jdoe             ttys000      Dec  2 09:20
//   admin            ttys001      Dec  2 10:02 (10.0.0.5)
// Names and lines never hold spaces; the time takes three fields in every locale macOS uses here.
/** Parse `who` output into login records. */
export function parseWho(raw: string): LoginRecord[] {
  const records: LoginRecord[] = [];
  for (const line of outputLines(raw)) {
    if (line.trim() === '') continue;
    const match = /^(\S+)\s+(\S+)\s+\S+\s+\S+\s+\S+(?:\s+\((.*)\))?\s*$/.exec(line);
    if (!match) throw new UnexpectedOutputError(`expected "name line time [(host)]", got ${excerpt(line)}`);
    records.push({ name: match[1]!, line: match[2]!, host: match[3] === undefined || match[3] === '' ? null : match[3] });
  }
  return records;
}

// Sample (`ps -axo uid=`): one right-aligned uid per process, no header:
//       0
//     501
/** Count processes per uid from `ps -axo uid=`. */
export function parseProcessUids(raw: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of outputLines(raw)) {
    const text = line.trim();
    if (text === '') continue;
    if (!/^\d+$/.test(text)) throw new UnexpectedOutputError(`expected a uid per line, got ${excerpt(line)}`);
    counts[text] = (counts[text] ?? 0) + 1;
  }
  return counts;
}

/** Read every session on the Mac: three tool calls whatever the number of users. */
export async function readSessions(): Promise<SessionSet> {
  const [scutil, who, ps] = await Promise.all([
    runToolChecked('scutil', [], { input: 'show State:/Users/ConsoleUser\n' }),
    runToolChecked('who', []),
    runToolChecked('ps', ['-axo', 'uid=']),
  ]);
  return {
    gui: parseToolOutput(scutil, parseScutilSessions),
    logins: parseToolOutput(who, parseWho),
    processesByUid: parseToolOutput(ps, parseProcessUids),
  };
}

/** Below this uid, processes belong to system daemons, not to a person's session. */
const FIRST_USER_UID = 500;

/** The account a session check is about: every name it logs in with (short name and aliases) and its uid. */
export interface SessionAccount {
  names: readonly string[];
  uid: number | null;
}

/**
 * The sessions an account has, each as a short phrase for people ("SSH login on ttys001 from 10.0.0.5");
 * empty when it has none (logged out). Names compare case-insensitively, as macOS logins do.
 */
export function sessionsOf(set: SessionSet, account: SessionAccount): string[] {
  const names = new Set(account.names.map((name) => name.toLowerCase()));
  const mine = (name: string, uid?: number) => names.has(name.toLowerCase()) || (uid !== undefined && account.uid !== null && uid === account.uid);
  const found: string[] = [];
  for (const session of set.gui) {
    if (mine(session.name, session.uid)) found.push(session.onConsole ? 'GUI session on the console' : 'GUI session in the background (fast user switching)');
  }
  for (const login of set.logins) {
    if (!mine(login.name) || login.line === 'console') continue; // console logins are the GUI sessions above
    found.push(login.host === null ? `terminal login on ${login.line}` : `SSH login on ${login.line} from ${login.host}`);
  }
  if (found.length === 0 && set.logins.some((login) => login.line === 'console' && mine(login.name))) found.push('console login');
  // Processes are the evidence of last resort (every session runs some): named only when nothing else is.
  // System daemons run as uids below 500 (_windowserver, _spotlight, ...): their processes are not sessions.
  const processes = account.uid !== null && account.uid >= FIRST_USER_UID ? (set.processesByUid[String(account.uid)] ?? 0) : 0;
  if (found.length === 0 && processes > 0) found.push(`${processes} process${processes === 1 ? '' : 'es'} running as uid ${account.uid}`);
  return found;
}
