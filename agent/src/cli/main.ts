#!/usr/bin/env node
// Entry point of the `untether` CLI (and, through `untether daemon`, of the LaunchDaemon).
import { isRunningAsRoot } from '../system/privileges.js';
import { configureLogging } from '../log/logger.js';
import { EXIT } from './exit-codes.js';
import { processContext, runCli } from './run-cli.js';

// Commands run by root leave an audit trail in /Library/Logs/Untether/agent.log; a terminal sees warnings only.
// The daemon reconfigures logging from its configuration when it starts.
configureLogging({ file: isRunningAsRoot() ? undefined : false, consoleLevel: 'warn' });

runCli(process.argv.slice(2), processContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`untether: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
