// Shared plumbing for the pure parsers: how they say "this is not the shape I know", and how a tool
// call's output reaches them. Parsers stay pure (text in, typed value out); only parseToolOutput knows
// about ToolResult, so the error it raises names the tool, its arguments and the exit code.
import type { ToolResult } from './errors.js';
import { SystemToolError } from './errors.js';

/**
 * Thrown by a pure parser when its input does not have the documented shape. It says what was
 * unexpected; the caller adds which tool printed it (see parseToolOutput).
 */
export class UnexpectedOutputError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(what, options);
    this.name = 'UnexpectedOutputError';
  }
}

/** Run a pure parser over one stream of a tool's output; an unknown shape becomes SystemToolError.badOutput. */
export function parseToolOutput<T>(
  result: ToolResult,
  parse: (raw: string) => T,
  stream: 'stdout' | 'stderr' = 'stdout',
): T {
  try {
    return parse(result[stream]);
  } catch (error) {
    if (error instanceof UnexpectedOutputError) {
      throw SystemToolError.badOutput(result, `${stream}: ${error.message}`, error);
    }
    throw error;
  }
}

/** The lines of a tool's output, without the empty string that its final newline would leave. */
export function outputLines(raw: string): string[] {
  if (raw === '') return [];
  const lines = raw.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A short, printable excerpt of a line for error messages (output may hold megabytes on one line). */
export function excerpt(line: string, max = 120): string {
  const printable = JSON.stringify(line);
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
