#!/usr/bin/env node
// Entry point of the `untether` CLI (and, through `untether daemon`, of the LaunchDaemon).
import { EXIT } from './exit-codes.js';
import { processContext, runCli } from './run-cli.js';

runCli(process.argv.slice(2), processContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`untether: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
