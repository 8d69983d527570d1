// Fake /usr/sbin/scutil (console user key, including notification mode) and /usr/bin/stat (owner of
// /dev/console), over the console state (macos-tools.md §7).
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { firstValue } from '../records.js';
import type { MacState } from '../state-schema.js';
import { LAYOUT, findRecord, readState, primaryName } from '../store.js';

const CONSOLE_USER_KEY = 'State:/Users/ConsoleUser';

interface SessionUser {
  name: string;
  uid: string;
  gid: string;
  realName: string;
}

function sessionUser(root: string, name: string): SessionUser {
  const stored = findRecord(root, 'users', name);
  if (!stored) throw new Error(`console state names user "${name}", who has no user record`);
  const record = stored.record;
  return {
    name: primaryName(record),
    uid: firstValue(record, 'uid') ?? '',
    gid: firstValue(record, 'gid') ?? '',
    realName: firstValue(record, 'realname') ?? primaryName(record),
  };
}

function sessionEntry(index: number, user: SessionUser, state: MacState, onConsole: boolean): string[] {
  const audit = state.console.auditSessionId + index;
  return [
    `    ${index} : <dictionary> {`,
    `      kCGSSessionAuditIDKey : ${audit}`,
    `      kCGSSessionGroupIDKey : ${user.gid}`,
    `      kCGSSessionIDKey : ${state.console.sessionId + index}`,
    '      kCGSSessionLoginwindowSafeLogin : FALSE',
    `      kCGSSessionOnConsoleKey : ${onConsole ? 'TRUE' : 'FALSE'}`,
    `      kCGSSessionOrderingKey : ${index}`,
    '      kCGSSessionSystemSafeBoot : FALSE',
    `      kCGSSessionUserIDKey : ${user.uid}`,
    `      kCGSSessionUserNameKey : ${user.name}`,
    '      kCGSessionLoginDoneKey : TRUE',
    `      kCGSessionLongUserNameKey : ${user.realName}`,
    `      kSCSecuritySessionID : ${audit}`,
    '    }',
  ];
}

/** What `show State:/Users/ConsoleUser` prints for the current console state (2-space indents, `key : value`). */
export function renderConsoleUser(root: string, state: MacState): string {
  const consoleState = state.console;
  const lines = ['<dictionary> {'];
  if (consoleState.mode === 'setup') {
    lines.push(
      '  SessionInfo : <array> {',
      '    0 : <dictionary> {',
      `      CGSSessionUniqueSessionUUID : ${consoleState.setupSessionUuid}`,
      `      kCGSSessionAuditIDKey : ${consoleState.auditSessionId}`,
      '      kCGSSessionGroupIDKey : 88',
      `      kCGSSessionIDKey : ${consoleState.sessionId}`,
      '      kCGSSessionOnConsoleKey : TRUE',
      '    }',
      '  }',
    );
  } else {
    const onConsole = consoleState.mode === 'user' && consoleState.user !== null ? sessionUser(root, consoleState.user) : undefined;
    const background = consoleState.otherSessions.map((name) => sessionUser(root, name));
    lines.push(`  GID : ${onConsole?.gid ?? '0'}`);
    if (onConsole) lines.push(`  Name : ${consoleState.nameAlias ?? onConsole.name}`);
    else lines.push(consoleState.mode === 'jamf-connect' ? '  Name : ' : '  Name : loginwindow');
    const sessions = [...(onConsole ? [{ user: onConsole, onConsole: true }] : []), ...background.map((user) => ({ user, onConsole: false }))];
    if (sessions.length > 0) {
      lines.push('  SessionInfo : <array> {');
      sessions.forEach((session, index) => lines.push(...sessionEntry(index, session.user, state, session.onConsole)));
      lines.push('  }');
    }
    lines.push(`  UID : ${onConsole?.uid ?? '0'}`);
  }
  lines.push('}');
  return lines.map((line) => `${line}\n`).join('');
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** scutil's elapsed(): "%2d:%02d:%02d.%03d" local time, then " (+s.mmm)" since the previous callback. */
function elapsedStamp(now: Date, previous: Date | undefined): string {
  let stamp = `${String(now.getHours()).padStart(2, ' ')}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
  if (previous) {
    const diff = now.getTime() - previous.getTime();
    stamp += ` (+${Math.floor(diff / 1000)}.${pad(diff % 1000, 3)})`;
  }
  return stamp;
}

/**
 * Interactive scutil over stdin: `show`, `n.add`, `n.watch`, `quit`. After `n.add State:/Users/ConsoleUser`
 * and `n.watch`, prints the notification callback (format from Apple's scutil notifications.c) whenever the
 * console state changes, by watching .macsim/ for state.json renames (no polling). Exits at end of stdin,
 * as scutil does.
 */
function runScutil(ctx: FakeContext): Promise<number> {
  const write = (text: string): void => void process.stdout.write(text);
  const storeAddress = `0x7f${(process.pid * 2654435761 % 0xfffffffff).toString(16).padStart(9, '0')}`;
  const watchedKeys = new Set<string>();
  let watcher: FSWatcher | undefined;
  let lastConsole = '';
  let lastCallback: Date | undefined;

  const consoleSnapshot = (): string => {
    try {
      return JSON.stringify(readState(ctx.root).console);
    } catch {
      return lastConsole; // state.json mid-replace or unreadable: treat as unchanged
    }
  };

  const onStateChange = (): void => {
    const now = consoleSnapshot();
    if (now === lastConsole) return;
    lastConsole = now;
    const stamp = new Date();
    write(`notification callback (store address = ${storeAddress}).\n  ${elapsedStamp(stamp, lastCallback)} changedKey [0] = ${CONSOLE_USER_KEY}\n`);
    lastCallback = stamp;
  };

  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, terminal: false });
    const finish = (code: number): void => {
      watcher?.close();
      lines.close();
      resolve(code);
    };
    lines.on('line', (raw) => {
      const line = raw.trim();
      if (line === '') return;
      const [command, ...rest] = line.split(/\s+/);
      if (command === 'show' && rest.length === 1 && rest[0] === CONSOLE_USER_KEY) {
        write(renderConsoleUser(ctx.root, readState(ctx.root)));
      } else if (command === 'n.add' && rest.length === 1 && rest[0] === CONSOLE_USER_KEY) {
        watchedKeys.add(rest[0]);
      } else if (command === 'n.watch' && rest.length === 0) {
        if (watcher === undefined && watchedKeys.size > 0) {
          lastConsole = consoleSnapshot();
          watcher = watch(path.join(ctx.root, LAYOUT.macsimDir), (_event, file) => {
            if (file === 'state.json') onStateChange();
          });
        }
      } else if ((command === 'quit' || command === 'q' || command === 'exit') && rest.length === 0) {
        finish(0);
      } else {
        process.stderr.write(`macsim: scutil: unsupported invocation: ${line}\n`);
        finish(99);
      }
    });
    lines.on('close', () => finish(0));
  });
}

export const scutil: ToolHandler = (ctx) => {
  if (ctx.args.length > 0) throw new Unsupported();
  return reading(() => runScutil(ctx));
};

/** Short name of the console owner; root when nobody is logged in (login window, setup, Jamf Connect window). */
function consoleOwner(root: string, state: MacState): { name: string; uid: string } {
  if (state.console.mode === 'user' && state.console.user !== null) {
    const user = sessionUser(root, state.console.user);
    return { name: user.name, uid: user.uid };
  }
  return { name: 'root', uid: '0' };
}

export const stat: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  let format: string | undefined;
  if (args[0]?.startsWith('-f') && args[0].length > 2) format = args.shift()!.slice(2);
  else if (args[0] === '-f') {
    args.shift();
    format = args.shift();
  }
  if ((format !== '%Su' && format !== '%u') || args.length !== 1 || args[0] !== '/dev/console') throw new Unsupported();
  return reading(() => {
    const owner = consoleOwner(ctx.root, ctx.state());
    ctx.out(`${format === '%Su' ? owner.name : owner.uid}\n`);
    return 0;
  });
};

/** "%b %e %H:%M" in local time, the login time `who` prints. */
function whoTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${months[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Short names of the users with a GUI session: the console one first, then fast-user-switching ones. */
function guiSessionUsers(root: string, state: MacState): SessionUser[] {
  const names = state.console.mode === 'user' && state.console.user !== null ? [state.console.user] : [];
  if (state.console.mode !== 'setup') names.push(...state.console.otherSessions);
  return names.map((name) => sessionUser(root, name));
}

/**
 * `who`: utmpx USER_PROCESS records as FreeBSD's who(1) prints them ("%-16s %-12s %-12s" then "(host)" for
 * a remote login). Every GUI session (on screen or switched away) is a "console" login.
 */
export const who: ToolHandler = (ctx) => {
  if (ctx.args.length > 0) throw new Unsupported();
  return reading(() => {
    const state = ctx.state();
    const time = whoTime(new Date());
    const row = (name: string, line: string, host: string | null) => `${name.padEnd(16)} ${line.padEnd(12)} ${time.padEnd(12)} ${host === null ? '' : `(${host})`}`.trimEnd();
    for (const user of guiSessionUsers(ctx.root, state)) ctx.out(`${row(user.name, 'console', null)}\n`);
    for (const login of state.logins ?? []) ctx.out(`${row(sessionUser(ctx.root, login.user).name, login.line, login.host)}\n`);
    return 0;
  });
};

/** Processes every Mac runs whatever the sessions: root's and the system daemons' (uid → count). */
const SYSTEM_PROCESSES: ReadonlyArray<readonly [number, number]> = [[0, 180], [55, 1], [65, 1], [88, 3], [200, 1], [205, 2], [240, 1], [262, 1], [278, 2]];
/** Processes of a GUI session (Dock, Finder, cfprefsd, ...) and of a terminal or SSH login (login shell, sshd). */
const GUI_SESSION_PROCESSES = 60;
const LOGIN_PROCESSES = 2;

/** `ps -axo uid=`: one right-aligned uid per process (width 5, the "UID" header's), no header. */
export const ps: ToolHandler = (ctx) => {
  const args = ctx.args.join(' ');
  if (args !== '-axo uid=' && args !== '-ax -o uid=') throw new Unsupported();
  return reading(() => {
    const state = ctx.state();
    const counts = new Map<string, number>();
    const add = (uid: string, count: number) => counts.set(uid, (counts.get(uid) ?? 0) + count);
    for (const [uid, count] of SYSTEM_PROCESSES) add(String(uid), count);
    for (const user of guiSessionUsers(ctx.root, state)) add(user.uid, GUI_SESSION_PROCESSES);
    for (const login of state.logins ?? []) add(sessionUser(ctx.root, login.user).uid, LOGIN_PROCESSES);
    for (const running of state.userProcesses ?? []) add(sessionUser(ctx.root, running.user).uid, running.count);
    for (const [uid, count] of counts) ctx.out(`${uid.padStart(5)}\n`.repeat(count));
    return 0;
  });
};
