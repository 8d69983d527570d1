import type { ParseArgsConfig } from 'node:util';
import type { ExitCode } from './exit-codes.js';

/** Where a command writes and what it may know about its caller; injected so tests can capture output. */
export interface CommandContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** True when a person is at a terminal who could answer a confirmation question. */
  interactive: boolean;
  /** Ask a yes/no question on the terminal; only called when interactive. */
  confirm(question: string): Promise<boolean>;
  now(): Date;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  /** Shown in help as --name VALUE. */
  valueName?: string;
};

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** One CLI command: its help text lives next to its behaviour so both are reviewed together. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  details?: string;
  examples?: readonly string[];
  options: Record<string, OptionSpec>;
  allowPositionals?: boolean;
  run(context: CommandContext, args: ParsedArgs): Promise<ExitCode>;
}

/** Wrong command line: printed as one line plus a pointer to --help, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
