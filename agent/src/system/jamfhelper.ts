// Jamf's jamfHelper (installed with the Jamf Pro agent): a native window in a user's session. Optional:
// the notifier uses it when present and falls back to osascript. Run through `launchctl asuser`, so the
// window opens in that user's GUI session, not root's.
import type { ToolResult } from './errors.js';
import * as launchctl from './launchctl.js';
import { toolExists } from './run.js';

/** What a utility window shows. */
export interface UtilityWindow {
  title: string;
  description: string;
  button: string;
  /** The window closes itself after this many seconds (jamfHelper -timeout), so a call never hangs. */
  timeoutSeconds: number;
}

/** Whether jamfHelper is installed on this Mac. */
export async function isInstalled(): Promise<boolean> {
  return toolExists('jamfHelper');
}

/**
 * jamfHelper parses "-key value" pairs, so a value that starts with "-" could be read as a flag; such a
 * value gets a leading hyphen character (U+2010) that looks the same and is not a flag. Control
 * characters other than newline are dropped.
 */
export function safeArgumentText(text: string): string {
  const clean = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
  return clean.startsWith('-') ? `\u2010${clean.slice(1)}` : clean;
}

/** The argument list for a utility window with one button (pure). */
export function utilityWindowArgs(window: UtilityWindow): string[] {
  if (!Number.isInteger(window.timeoutSeconds) || window.timeoutSeconds <= 0) {
    throw new TypeError(`jamfHelper window: timeout ${window.timeoutSeconds} is not a positive whole number of seconds`);
  }
  return [
    '-windowType', 'utility',
    '-title', safeArgumentText(window.title),
    '-description', safeArgumentText(window.description),
    '-button1', safeArgumentText(window.button),
    '-defaultButton', '1',
    '-timeout', String(window.timeoutSeconds),
  ];
}

/** Show a utility window in a user's session and wait until it is clicked or times out. Check `failed`. */
export async function showUtilityWindow(uid: number, window: UtilityWindow): Promise<ToolResult> {
  return launchctl.asUser(uid, 'jamfHelper', utilityWindowArgs(window), { timeoutMs: (window.timeoutSeconds + 30) * 1000 });
}
