// The CLI's dispatcher: parse the command line, run one command, turn any failure into one line and an exit code.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { isSystemToolError } from '../system/errors.js';
import { UntetherError } from '../errors.js';
import { agentVersion } from '../version.js';
import type { Command, CommandContext } from './command.js';
import { UsageError } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { commandHelp, generalHelp } from './help.js';

/** Run the CLI with the given arguments (without "node" and the script) and return the exit code. */
export async function runCli(argv: readonly string[], context: CommandContext): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((command) => command.name === rest[0]) : undefined;
    context.stdout.write(topic ? commandHelp(topic) : generalHelp(COMMANDS, agentVersion()));
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    context.stdout.write(`${agentVersion()}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    context.stderr.write(`untether: unknown command "${name}"; run "untether --help" for the list.\n`);
    return EXIT.USAGE;
  }
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      context.stdout.write(commandHelp(command));
      return EXIT.OK;
    }
    return await command.run(context, parseCommandArgs(command, rest));
  } catch (error) {
    return reportError(command, error, context);
  }
}

function parseCommandArgs(command: Command, args: readonly string[]) {
  const options = Object.fromEntries(
    Object.entries(command.options).map(([key, { description: _d, valueName: _v, ...spec }]) => [key, spec]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: command.allowPositionals ?? false,
    });
    return { values: values as Record<string, string | boolean | string[] | boolean[] | undefined>, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\.?\s*To specify a positional.*$/s, '') : String(error));
  }
}

function reportError(command: Command, error: unknown, context: CommandContext): ExitCode {
  if (error instanceof UsageError) {
    context.stderr.write(`untether ${command.name}: ${error.message}\nRun "untether ${command.name} --help" for usage.\n`);
    return EXIT.USAGE;
  }
  if (error instanceof UntetherError) {
    context.stderr.write(`untether ${command.name}: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  if (isSystemToolError(error)) {
    context.stderr.write(`untether ${command.name}: ${oneLine(error.message)}\n`);
    return EXIT.FAILED;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`untether ${command.name}: unexpected error: ${oneLine(message)}\n`);
  return EXIT.FAILED;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}

/** The context for a real process: the terminal decides whether we may ask questions. */
export function processContext(): CommandContext {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive,
    now: () => new Date(),
    async confirm(question) {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await prompt.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        prompt.close();
      }
    },
  };
}

