import type { ExitCode } from './cli/exit-codes.js';
import { EXIT } from './cli/exit-codes.js';

/**
 * An expected failure of an Untether operation with a stable code and the exit code the CLI should use.
 * The message follows "doing what: to what: why".
 */
export class UntetherError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UntetherError';
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.FAILED;
  }
}

/** The message of anything thrown (an Error's message, else its text), for "doing what: why" lines. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
