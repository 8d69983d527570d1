// After a lock: what happens to the user's open sessions (config lock.loggedInUser). "leave" keeps them (the lock
// bites at the next login); "logout" shows a notice in the user's GUI session, waits the grace period, ends the
// user's launchd domain (`launchctl bootout user/<uid>`) and reads the sessions again to say whether it worked.
// Runs without the action lock: nothing here writes an account, and the grace may be minutes long.
import { errorMessage } from '../errors.js';
import { noticeFor } from '../notify/decide.js';
import type { NoticeTexts } from '../notify/texts.js';
import { bootoutUserDomain } from '../system/launchctl.js';
import { readSessions, sessionsOf, type SessionAccount } from '../system/sessions.js';

export interface SessionPolicy {
  loggedInUser: 'leave' | 'logout';
  logoutGraceSeconds: number;
}

export type SessionOutcome =
  | { kind: 'not-logged-in' }
  /** Sessions kept ("leave"): the lock applies at the next login. */
  | { kind: 'left'; sessions: string[] }
  | { kind: 'ended'; sessions: string[]; notice: string }
  | { kind: 'still-logged-in'; sessions: string[]; remaining: string[]; notice: string; detail: string }
  /** The sessions could not be read: nothing was ended. */
  | { kind: 'unknown'; detail: string };

/** How often, and how long apart, the sessions are read again after the bootout (launchd takes a moment). */
const CHECKS_AFTER_BOOTOUT = 10;
const CHECK_INTERVAL_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function sessionsNow(account: SessionAccount): Promise<string[]> {
  return sessionsOf(await readSessions(), account);
}

/** One line for people: what happened to the sessions. */
export function describeSessionOutcome(outcome: SessionOutcome): string {
  switch (outcome.kind) {
    case 'not-logged-in':
      return 'the user has no session';
    case 'left':
      return `the user is logged in (${outcome.sessions.join('; ')}); the session was kept and the lock applies at the next login`;
    case 'ended':
      return `the user's session was ended after the notice (${outcome.notice}); it had: ${outcome.sessions.join('; ')}`;
    case 'still-logged-in':
      return `the user's session did NOT end (${outcome.remaining.join('; ')}; ${outcome.detail}); the lock applies at the next login`;
    case 'unknown':
      return `the sessions could not be read (${outcome.detail}); none was ended`;
  }
}

/** Apply the session policy to a freshly locked account. Never throws: problems are in the outcome. */
export async function handleLockedSessions(
  account: { user: string; uid: number | null; names: readonly string[] },
  policy: SessionPolicy,
  notices: NoticeTexts,
): Promise<SessionOutcome> {
  const who: SessionAccount = { names: account.names, uid: account.uid };
  let before: string[];
  let guiUid: number | null = null;
  try {
    const set = await readSessions();
    before = sessionsOf(set, who);
    guiUid = set.gui.find((session) => account.names.some((name) => name.toLowerCase() === session.name.toLowerCase()) || session.uid === account.uid)?.uid ?? null;
  } catch (error) {
    return { kind: 'unknown', detail: errorMessage(error) };
  }
  if (before.length === 0) return { kind: 'not-logged-in' };
  if (policy.loggedInUser === 'leave' || account.uid === null) return { kind: 'left', sessions: before };

  // The notice runs beside the grace: it closes itself when the grace ends, and a click does not shorten it.
  let notice = 'no GUI session, no notice';
  let noticeRun: Promise<void> | undefined;
  if (guiUid !== null) {
    notice = 'notice pending';
    const text = noticeFor({ kind: 'lock-logout', user: account.user, seconds: policy.logoutGraceSeconds }, notices, undefined);
    const { showNotice } = await import('../notify/send.js');
    noticeRun = showNotice(guiUid, text, Math.max(1, policy.logoutGraceSeconds)).then(
      (shown) => void (notice = shown.shown ? `notice shown via ${shown.via}` : `notice not shown (${shown.via}: ${shown.result.stderr.trim().slice(0, 200) || `exit ${shown.result.exitCode}`})`),
      (error: unknown) => void (notice = `notice failed: ${errorMessage(error)}`),
    );
  }
  await sleep(policy.logoutGraceSeconds * 1000);

  let detail = '';
  try {
    const bootout = await bootoutUserDomain(account.uid);
    detail = bootout.kind === 'failed' ? `launchctl bootout user/${account.uid}: ${bootout.errno}: ${bootout.message}` : `launchctl bootout user/${account.uid}: ${bootout.kind}`;
  } catch (error) {
    detail = `launchctl bootout user/${account.uid}: ${errorMessage(error)}`;
  }
  let remaining: string[] = before;
  for (let check = 0; check < CHECKS_AFTER_BOOTOUT; check += 1) {
    try {
      remaining = await sessionsNow(who);
    } catch (error) {
      remaining = [`sessions unreadable: ${errorMessage(error)}`];
    }
    if (remaining.length === 0) break;
    await sleep(CHECK_INTERVAL_MS);
  }
  // A notice still open (nobody clicked, the session did not end) is not waited for.
  if (noticeRun) await Promise.race([noticeRun, sleep(0)]);
  if (remaining.length === 0) return { kind: 'ended', sessions: before, notice };
  return { kind: 'still-logged-in', sessions: before, remaining, notice, detail };
}
