// What every fake tool gets: the system root, its arguments, who runs it, buffered stdout/stderr, lazy
// access to state and stdin, and the one way to refuse an invocation the simulator does not model.
import { readFileSync } from 'node:fs';
import { readState } from '../store.js';
import type { MacState } from '../state-schema.js';

/** Thrown for any invocation the simulator does not model: printed as a loud "unsupported invocation", exit 99. */
export class Unsupported extends Error {
  constructor(readonly detail?: string) {
    super(detail ?? 'unsupported invocation');
    this.name = 'Unsupported';
  }
}

/** Exit code of an unsupported invocation: outside every code a modelled tool uses. */
export const EXIT_UNSUPPORTED = 99;
/** Exit code of a bug in the simulator itself (an exception that is not Unsupported). */
export const EXIT_INTERNAL = 98;

/** Environment variable `launchctl asuser` sets so notices can be attributed to a console session. */
export const SESSION_UID_ENV = 'MACSIM_SESSION_UID';

export class FakeContext {
  readonly isRoot: boolean;
  readonly uid: number;
  readonly sessionUid: number | undefined;
  readonly stdoutParts: string[] = [];
  readonly stderrParts: string[] = [];
  #state: MacState | undefined;
  #stdin: string | undefined;

  constructor(
    readonly tool: string,
    readonly root: string,
    readonly args: readonly string[],
  ) {
    this.uid = process.geteuid?.() ?? 0;
    this.isRoot = this.uid === 0;
    const session = process.env[SESSION_UID_ENV];
    this.sessionUid = session !== undefined && /^\d+$/.test(session) ? Number(session) : undefined;
  }

  out(text: string): void {
    this.stdoutParts.push(text);
  }

  err(text: string): void {
    this.stderrParts.push(text);
  }

  /** State as it was when first asked for in this call (fakes re-read inside updateState when they write). */
  state(): MacState {
    this.#state ??= readState(this.root);
    return this.#state;
  }

  /** Everything on stdin (for tools that read it, e.g. `security authorizationdb write`). */
  stdin(): string {
    this.#stdin ??= readFileSync(0, 'utf8');
    return this.#stdin;
  }
}

/** What a tool makes of its arguments before anything runs: whether it writes, and how to run or fail it. */
export interface Invocation {
  /** Counts as a write for calls.jsonl and for fault injection. */
  isWrite: boolean;
  run(): number | Promise<number>;
  /** Print what this tool prints when such a write fails for real, change nothing, return the exit code. */
  fail?(fault: InjectedFault): number;
}

/** What a tool's fail() may use from the fault that fired. */
export interface InjectedFault {
  /** dscl only: the DS error to report instead of the default. */
  dsError?: string;
}

export type ToolHandler = (ctx: FakeContext) => Invocation;

/** A read-only invocation. */
export function reading(run: () => number | Promise<number>): Invocation {
  return { isWrite: false, run };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** "YYYY-MM-DD HH:MM:SS.mmm" in local time, the NSLog timestamp. */
export function nslogTimestamp(date = new Date()): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** The "<time> <tool>[pid:tid] " prefix NSLog puts before a message. */
export function nslogPrefix(toolName: string): string {
  const thread = (process.pid * 7919 + 104_729) % 9_000_000 + 100_000;
  return `${nslogTimestamp()} ${toolName}[${process.pid}:${thread}]`;
}
