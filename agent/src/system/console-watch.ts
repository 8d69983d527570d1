// Noticing logins and logouts without polling: `scutil` in notification mode (`n.add` the console user
// key, then `n.watch`) prints a callback whenever State:/Users/ConsoleUser changes.
import { startToolSession, type ToolSession } from './run.js';

const CONSOLE_USER_KEY = 'State:/Users/ConsoleUser';

// Sample (scutil's notifications.c; the agent only needs the changedKey line):
//   notification callback (store address = 0x7fb5d8d04a40).
//     15:04:22.123 changedKey [0] = State:/Users/ConsoleUser
/** Whether a line of `scutil` notification output says the console user changed. */
export function isConsoleChange(line: string): boolean {
  return /changedKey \[\d+\] = State:\/Users\/ConsoleUser\s*$/.test(line);
}

/** Watch the console user; `onChange` runs after each login, logout or fast user switch. */
export function watchConsoleUser(onChange: () => void): ToolSession {
  return startToolSession('scutil', [], {
    input: `n.add ${CONSOLE_USER_KEY}\nn.watch\n`,
    onLine: (line) => {
      if (isConsoleChange(line)) onChange();
    },
  });
}
