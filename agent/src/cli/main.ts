#!/usr/bin/env node
// Entry point of the `untether` CLI (and, through `untether daemon`, of the LaunchDaemon).
import { isRunningAsRoot } from '../system/privileges.js';
import { configureLogging } from '../log/logger.js';
import type { CommandContext } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';

// Commands run by root leave an audit trail in /Library/Logs/Untether/agent.log; a terminal sees warnings only.
// The daemon reconfigures logging from its configuration when it starts.
configureLogging({ file: isRunningAsRoot() ? undefined : false, consoleLevel: 'warn' });

/**
 * `untether daemon` (what launchd runs) loads only the daemon; every other command goes through the full
 * dispatcher with all commands and their help. The idle daemon stays small this way (docs/decisions/
 * 2026-12-02-lighter-daemon.md).
 */
async function main(argv: readonly string[]): Promise<ExitCode> {
  if (argv.length === 1 && argv[0] === 'daemon') {
    const { daemonCommand } = await import('./commands/daemon.js');
    return daemonCommand.run(daemonContext(), { values: {}, positionals: [] });
  }
  const { processContext, runCli } = await import('./run-cli.js');
  return runCli(argv, processContext());
}

/** The daemon never asks questions: it has no terminal. */
function daemonContext(): CommandContext {
  return { stdout: process.stdout, stderr: process.stderr, interactive: false, now: () => new Date(), confirm: async () => false };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`untether: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
