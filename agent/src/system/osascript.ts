// /usr/bin/osascript dialogs in a user's session (`launchctl asuser <uid> /usr/bin/osascript …`). The
// AppleScript is a constant; every text the user sees is passed as an argument after "--" and read from
// argv inside the script, so nothing a configuration or a record holds is ever parsed as AppleScript.
import type { ToolResult } from './errors.js';
import * as launchctl from './launchctl.js';

/** What a dialog shows. */
export interface Dialog {
  title: string;
  message: string;
  button: string;
  /** The dialog closes itself after this many seconds ("giving up after"), so a call never hangs. */
  timeoutSeconds: number;
}

// item 1 = title, item 2 = message, item 3 = button label; the only interpolated value is a checked integer.
function dialogScript(timeoutSeconds: number): string[] {
  return [
    'on run argv',
    `display dialog (item 2 of argv) with title (item 1 of argv) buttons {item 3 of argv} default button 1 with icon note giving up after ${timeoutSeconds}`,
    'end run',
  ];
}

/** Drop control characters other than newline and tab (they mean nothing in a dialog and could fake lines in logs). */
export function dialogText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** The argument list: `-e` lines of the constant script, then `--` and the texts as arguments (pure). */
export function dialogArgs(dialog: Dialog): string[] {
  if (!Number.isInteger(dialog.timeoutSeconds) || dialog.timeoutSeconds <= 0) {
    throw new TypeError(`osascript dialog: timeout ${dialog.timeoutSeconds} is not a positive whole number of seconds`);
  }
  return [
    ...dialogScript(dialog.timeoutSeconds).flatMap((line) => ['-e', line]),
    '--',
    dialogText(dialog.title),
    dialogText(dialog.message),
    dialogText(dialog.button),
  ];
}

/** Show a dialog in a user's session and wait until it is answered or gives up. Check `failed`. */
export async function showDialog(uid: number, dialog: Dialog): Promise<ToolResult> {
  return launchctl.asUser(uid, 'osascript', dialogArgs(dialog), { timeoutMs: (dialog.timeoutSeconds + 30) * 1000 });
}
