import type { Command } from '../command.js';
import { daemonCommand } from './daemon.js';
import { demobilizeCommand } from './demobilize.js';
import { eaCommand } from './ea.js';
import { lockCommand, unlockCommand } from './lock.js';
import { loginwindowCommand } from './loginwindow.js';
import { logCommand } from './log.js';
import { restoreCommand } from './restore.js';
import { scanCommand } from './scan.js';
import { statusCommand } from './status.js';
import { takeoverCommand } from './takeover.js';
import { unbindCommand } from './unbind.js';

/** Every command, in the order `untether --help` lists them. */
export const COMMANDS: readonly Command[] = [
  scanCommand,
  demobilizeCommand,
  restoreCommand,
  lockCommand,
  unlockCommand,
  unbindCommand,
  loginwindowCommand,
  takeoverCommand,
  eaCommand,
  statusCommand,
  logCommand,
  daemonCommand,
];
