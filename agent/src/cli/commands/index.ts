import type { Command } from '../command.js';
import { demobilizeCommand } from './demobilize.js';
import { eaCommand } from './ea.js';
import { loginwindowCommand } from './loginwindow.js';
import { logCommand } from './log.js';
import { notBuiltCommand } from './not-built.js';
import { restoreCommand } from './restore.js';
import { scanCommand } from './scan.js';
import { takeoverCommand } from './takeover.js';
import { unbindCommand } from './unbind.js';

const dryRun = { type: 'boolean', description: 'Print the plan and change nothing.' } as const;
const yes = { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' } as const;
const json = { type: 'boolean', description: 'Print machine-readable JSON instead of text.' } as const;

/** Every command, in the order `untether --help` lists them. */
export const COMMANDS: readonly Command[] = [
  scanCommand,
  demobilizeCommand,
  restoreCommand,
  unbindCommand,
  loginwindowCommand,
  takeoverCommand,
  eaCommand,
  notBuiltCommand({
    name: 'status',
    summary: "Show the migration stage, what the agent waits for, and each stage's last result.",
    usage: 'untether status [--json]',
    options: { json },
  }),
  logCommand,
  notBuiltCommand({
    name: 'daemon',
    summary: 'Run the migration service (launchd starts this at boot as root).',
    usage: 'untether daemon',
    options: {},
  }),
];
