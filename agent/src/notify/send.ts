// Showing a notice in a user's own session: jamfHelper when Jamf's agent is installed, osascript
// otherwise, both through `launchctl asuser`. And the login hook that ties decision, text and window.
import type { ToolResult } from '../system/errors.js';
import * as jamfhelper from '../system/jamfhelper.js';
import * as osascript from '../system/osascript.js';
import { decideNotice, noticeFor, type LoginSession, type Notice, type NoticeDecision } from './decide.js';
import { markNotified, readAccountEvents } from './ledger.js';
import type { NoticeTexts } from './texts.js';

/** A notice closes itself after this long, so a user away from the Mac never blocks the agent. */
export const NOTICE_TIMEOUT_SECONDS = 300;

/** What showing a notice did. */
export type ShowOutcome = { shown: true; via: 'jamfHelper' | 'osascript' } | { shown: false; via: 'jamfHelper' | 'osascript'; result: ToolResult };

/** Show a notice to the user with this uid, in their session. Resolves when it was clicked or timed out. */
export async function showNotice(uid: number, notice: Notice, timeoutSeconds: number = NOTICE_TIMEOUT_SECONDS): Promise<ShowOutcome> {
  if (await jamfhelper.isInstalled()) {
    const result = await jamfhelper.showUtilityWindow(uid, { title: notice.title, description: notice.message, button: notice.button, timeoutSeconds });
    return result.failed ? { shown: false, via: 'jamfHelper', result } : { shown: true, via: 'jamfHelper' };
  }
  const result = await osascript.showDialog(uid, { title: notice.title, message: notice.message, button: notice.button, timeoutSeconds });
  return result.failed ? { shown: false, via: 'osascript', result } : { shown: true, via: 'osascript' };
}

/** What happened at a login: the decision, and the window when there was one. */
export interface LoginNoticeOutcome {
  decision: NoticeDecision;
  notice?: Notice;
  show?: ShowOutcome;
}

/**
 * Call when a user logs in (the daemon watches the console user): if the agent changed this user's
 * account, or is about to, show one notice and mark the events it covers as told. A notice that could
 * not be shown stays open for the next login.
 */
export async function notifyOnLogin(session: LoginSession, texts: NoticeTexts, options: { now: Date; locale?: string }): Promise<LoginNoticeOutcome> {
  const decision = decideNotice(session, await readAccountEvents(), options.now);
  if (!decision.notify) return { decision };
  const notice = noticeFor(decision.event, texts, options.locale);
  const show = await showNotice(session.uid, notice);
  if (show.shown) await markNotified(decision.covers, options.now);
  return { decision, notice, show };
}
