// The one door to the operating system: the only module that starts processes. Everything in
// agent/src/system/* calls runTool(); nothing outside agent/src/system/ imports this file.
import { execa } from 'execa';
import { access, constants as fsConstants } from 'node:fs/promises';
import type { ToolResult } from './errors.js';
import { SystemToolError } from './errors.js';
import { systemPath } from './paths.js';
import { TOOL_PATHS, type ToolName } from './tools.js';
import { checkTrustedChain } from './trusted-path.js';

/** Default time a tool may take. dscl readall of a few hundred users stays far below this. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

// A root daemon must not hand its own environment (proxy settings, DYLD_*, secrets) to the tools it runs.
const TOOL_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'en_US.UTF-8',
};

export interface RunOptions {
  /** Text written to the tool's stdin (e.g. a plist for `security authorizationdb write`). Never put secrets in args. */
  input?: string;
  timeoutMs?: number;
  /** Exit codes that are not a failure for this call (besides 0), e.g. 1 for `fdesetup isactive` = "off". */
  okExitCodes?: readonly number[];
  /** Indexes of arguments to replace with "<redacted>" in results, errors and logs. */
  secretArgs?: readonly number[];
}

let spawned = 0;
const observers = new Set<(result: ToolResult) => void>();

/** How many tool processes this agent process has started (benchmarks and tests count with it). */
export function spawnCount(): number {
  return spawned;
}

/** Be told of every finished tool call (the journal and verbose logging listen here). Returns an unsubscribe. */
export function observeToolCalls(observer: (result: ToolResult) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** Whether a tool is installed on this Mac (authchanger and jamfHelper are optional). */
export async function toolExists(tool: ToolName): Promise<boolean> {
  try {
    await access(systemPath(TOOL_PATHS[tool]), fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Directories on the sealed, SIP-protected system volume: nothing there can be replaced by a user. */
const SYSTEM_VOLUME_DIRECTORIES = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/libexec/', '/System/'];

/** Exit code of a tool the agent refused to run (126: "found but cannot be executed", as a shell says). */
export const UNTRUSTED_TOOL_EXIT = 126;

/**
 * Why a tool outside the system volume (authchanger in /usr/local/bin, jamfHelper under /Library) must not be
 * run as root, or undefined when it may: the file and every directory above it must be root's alone (no
 * symbolic link, owner root, not group- or other-writable). Homebrew's /usr/local/bin, owned by a user,
 * fails this: whoever owns it could put anything there for root to run.
 */
export async function untrustedToolReason(tool: ToolName): Promise<string | undefined> {
  const macPath = TOOL_PATHS[tool];
  if (SYSTEM_VOLUME_DIRECTORIES.some((directory) => macPath.startsWith(directory))) return undefined;
  const check = await checkTrustedChain(macPath, { type: 'file', owners: [] }).catch((error: unknown) => ({
    trusted: false as const,
    component: { path: macPath, why: `cannot be checked (${error instanceof Error ? error.message : String(error)})`, missing: false },
  }));
  if (check.trusted) return undefined;
  return `untrusted tool: ${check.component.path} ${check.component.why}; root does not run ${macPath} until it and every directory above it are owned by root and writable only by root`;
}

function redact(args: readonly string[], secretArgs: readonly number[] | undefined): string[] {
  if (!secretArgs || secretArgs.length === 0) return [...args];
  return args.map((arg, index) => (secretArgs.includes(index) ? '<redacted>' : arg));
}

/**
 * Run a tool by name with an argument array (never a shell) and return its result. Does not throw
 * when the tool fails: check `failed`, or use runToolChecked.
 */
export async function runTool(tool: ToolName, args: readonly string[], options: RunOptions = {}): Promise<ToolResult> {
  const file = systemPath(TOOL_PATHS[tool]);
  const shownArgs = redact(args, options.secretArgs);
  const started = performance.now();
  if (!(await toolExists(tool))) {
    const result: ToolResult = {
      tool,
      args: shownArgs,
      exitCode: 127,
      signal: undefined,
      stdout: '',
      stderr: `missing tool: ${TOOL_PATHS[tool]} is not installed or not executable`,
      durationMs: 0,
      timedOut: false,
      failed: true,
    };
    notify(result);
    return result;
  }
  const untrusted = await untrustedToolReason(tool);
  if (untrusted !== undefined) {
    const result: ToolResult = {
      tool,
      args: shownArgs,
      exitCode: UNTRUSTED_TOOL_EXIT,
      signal: undefined,
      stdout: '',
      stderr: untrusted,
      durationMs: Math.round(performance.now() - started),
      timedOut: false,
      failed: true,
    };
    notify(result);
    return result;
  }
  spawned += 1;
  const child = await execa(file, [...args], {
    input: options.input ?? '',
    timeout: options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    env: TOOL_ENVIRONMENT,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    windowsHide: true,
    killSignal: 'SIGKILL',
  });
  const exitCode = child.exitCode;
  const okCodes = options.okExitCodes ?? [];
  const exitedOk = exitCode === 0 || (exitCode !== undefined && okCodes.includes(exitCode));
  const result: ToolResult = {
    tool,
    args: shownArgs,
    exitCode,
    signal: child.signal ?? undefined,
    stdout: typeof child.stdout === 'string' ? child.stdout : '',
    stderr: typeof child.stderr === 'string' ? child.stderr : '',
    durationMs: Math.round(performance.now() - started),
    timedOut: child.timedOut,
    failed: child.timedOut || child.signal !== undefined || !exitedOk,
  };
  notify(result);
  return result;
}

/** Run a tool and throw a SystemToolError (with tool, args, exit code, DS error and stderr) when it fails. */
export async function runToolChecked(tool: ToolName, args: readonly string[], options: RunOptions = {}): Promise<ToolResult> {
  const result = await runTool(tool, args, options);
  if (result.failed) throw SystemToolError.fromResult(result);
  return result;
}

function notify(result: ToolResult): void {
  for (const observer of observers) observer(result);
}

/** A long-running tool (e.g. `scutil` watching a key): lines as they come, and a way to stop it. */
export interface ToolSession {
  /** Resolves when the process has exited, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stop(): void;
}

/**
 * Start a tool that keeps running and reports by printing lines (stdin stays open, so tools that quit at
 * end of input keep going). The agent waits on its output; no polling.
 */
export function startToolSession(tool: ToolName, args: readonly string[], options: { input: string; onLine: (line: string) => void }): ToolSession {
  const file = systemPath(TOOL_PATHS[tool]);
  spawned += 1;
  const child = execa(file, [...args], { env: TOOL_ENVIRONMENT, extendEnv: false, reject: false, stdin: 'pipe', buffer: false, killSignal: 'SIGTERM' });
  child.stdin?.write(options.input);
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      options.onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  const exited = child.then((result) => result.exitCode ?? null, () => null);
  return {
    exited,
    stop() {
      child.stdin?.end();
      child.kill();
    },
  };
}
