import type { ToolName } from './tools.js';

/** What every tool call returns, success or failure: the same shape, so callers and logs need one path. */
export interface ToolResult {
  tool: ToolName;
  /** Arguments as run, with any secret argument replaced by "<redacted>". */
  args: readonly string[];
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** True when the tool was missing, timed out, was killed, or exited with a code not listed as success. */
  failed: boolean;
}

export type SystemErrorCode = 'E_TOOL_MISSING' | 'E_TOOL_TIMEOUT' | 'E_TOOL_FAILED' | 'E_TOOL_OUTPUT' | 'E_TOOL_UNTRUSTED';

/** A DS error parsed from dscl's stderr, e.g. "<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)". */
export interface DsError {
  status: number;
  name: string;
}

const OUTPUT_CAP = 4096;

function cap(text: string): string {
  return text.length > OUTPUT_CAP ? `${text.slice(0, OUTPUT_CAP)}… (${text.length - OUTPUT_CAP} more characters)` : text;
}

/** Parse the DS error line that dscl (and some other DirectoryService tools) print on stderr. */
export function parseDsError(stderr: string): DsError | undefined {
  const match = /DS Error: (-\d+) \((\w+)\)/.exec(stderr);
  if (!match) return undefined;
  return { status: Number(match[1]), name: match[2]! };
}

/**
 * A tool that failed, or whose output could not be understood. Carries the same fields as ToolResult
 * (with output capped) so a log line or a server event can say exactly what ran and what it said.
 */
export class SystemToolError extends Error {
  readonly code: SystemErrorCode;
  readonly tool: ToolName;
  readonly args: readonly string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly dsError: DsError | undefined;
  readonly shortMessage: string;

  constructor(code: SystemErrorCode, result: ToolResult, shortMessage: string, options?: { cause?: unknown }) {
    const stderr = cap(result.stderr.trim());
    super(stderr ? `${shortMessage}: ${stderr}` : shortMessage, options);
    this.name = 'SystemToolError';
    this.code = code;
    this.tool = result.tool;
    this.args = result.args;
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.stdout = cap(result.stdout);
    this.stderr = stderr;
    this.timedOut = result.timedOut;
    this.dsError = parseDsError(result.stderr);
    this.shortMessage = shortMessage;
  }

  /** A failed run, described as "running <tool> <args>: <why>". */
  static fromResult(result: ToolResult): SystemToolError {
    const command = [result.tool, ...result.args].join(' ');
    if (result.exitCode === 127 && result.stderr.startsWith('missing tool')) {
      return new SystemToolError('E_TOOL_MISSING', result, `running ${command}`);
    }
    if (result.exitCode === 126 && result.stderr.startsWith('untrusted tool')) {
      return new SystemToolError('E_TOOL_UNTRUSTED', result, `refusing to run ${command}`);
    }
    if (result.timedOut) {
      return new SystemToolError('E_TOOL_TIMEOUT', result, `running ${command}: timed out after ${result.durationMs} ms`);
    }
    const why = result.signal ? `killed by ${result.signal}` : `exited ${result.exitCode}`;
    return new SystemToolError('E_TOOL_FAILED', result, `running ${command}: ${why}`);
  }

  /** Output that does not have the shape the parser knows: never guess, say what was unexpected. */
  static badOutput(result: ToolResult, what: string, cause?: unknown): SystemToolError {
    const command = [result.tool, ...result.args].join(' ');
    return new SystemToolError('E_TOOL_OUTPUT', result, `parsing output of ${command}: ${what}`, { cause });
  }
}

export function isSystemToolError(error: unknown): error is SystemToolError {
  return error instanceof SystemToolError;
}
