// Entry point of every fake macOS tool. A shim at the tool's macOS path under the system root runs
//   exec <node> <this file> <tool> <root> "$@"
// so the fake knows its root without any environment variable and keeps the shim's pid (its parent is
// the agent). Only the module of the tool being run is loaded, to keep a call well under 100 ms.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { appendJsonLine, LAYOUT } from '../store.js';
import type { FaultSpec } from '../faults.js';
import { EXIT_INTERNAL, EXIT_UNSUPPORTED, FakeContext, Unsupported, type ToolHandler } from './context.js';

const TOOLS: Record<string, () => Promise<ToolHandler>> = {
  dscl: async () => (await import('../tools/dscl.js')).dscl,
  dsconfigad: async () => (await import('../tools/dsconfigad.js')).dsconfigad,
  security: async () => (await import('../tools/authorization.js')).security,
  authchanger: async () => (await import('../tools/authorization.js')).authchanger,
  fdesetup: async () => (await import('../tools/filevault.js')).fdesetup,
  sysadminctl: async () => (await import('../tools/filevault.js')).sysadminctl,
  diskutil: async () => (await import('../tools/filevault.js')).diskutil,
  scutil: async () => (await import('../tools/session.js')).scutil,
  stat: async () => (await import('../tools/session.js')).stat,
  who: async () => (await import('../tools/session.js')).who,
  ps: async () => (await import('../tools/session.js')).ps,
  sudo: async () => (await import('../tools/sudo.js')).sudo,
  launchctl: async () => (await import('../tools/launchctl.js')).launchctl,
  dscacheutil: async () => (await import('../tools/directory.js')).dscacheutil,
  killall: async () => (await import('../tools/directory.js')).killall,
  dseditgroup: async () => (await import('../tools/directory.js')).dseditgroup,
  id: async () => (await import('../tools/directory.js')).id,
  profiles: async () => (await import('../tools/info.js')).profiles,
  defaults: async () => (await import('../tools/info.js')).defaults,
  sw_vers: async () => (await import('../tools/info.js')).swVers,
  ioreg: async () => (await import('../tools/info.js')).ioreg,
  chown: async () => (await import('../tools/management.js')).chown,
  osascript: async () => (await import('../tools/management.js')).osascript,
  jamf: async () => (await import('../tools/management.js')).jamf,
  jamfHelper: async () => (await import('../tools/management.js')).jamfHelper,
  pkgutil: async () => (await import('../tools/management.js')).pkgutil,
  // Simulator-only tools (the agent never runs them): packages are installed with them in tests.
  installer: async () => (await import('../tools/installer.js')).installer,
  sysctl: async () => (await import('../tools/installer.js')).sysctl,
  // Disables accounts "by someone else" in lock tests (the agent locks with dscl).
  pwpolicy: async () => (await import('../tools/pwpolicy.js')).pwpolicy,
};

/** One line of calls.jsonl. */
export interface CallRecord {
  ts: string;
  tool: string;
  args: string[];
  /** null when the fake never finished on its own (hang, kill-caller before the write). */
  exitCode: number | null;
  /** From process start (node startup included) to the end of the call; the shim's own exec is not counted. */
  durationMs: number;
  isWrite: boolean;
  uid: number;
  pid: number;
  ppid: number;
  sessionUid?: number;
  fault?: { id: string; mode: string; afterWrite: boolean };
}

/** A hung fake gives up after this long (the agent's own tool timeout is 60 s). */
const HANG_CEILING_MS = 10 * 60_000;

/** SIGKILL the process that ran this tool (the shim exec'd, so that is our parent). Never init. */
function killCaller(): void {
  if (process.ppid > 1) process.kill(process.ppid, 'SIGKILL');
}

function writeAll(fd: 1 | 2, parts: string[]): void {
  const text = parts.join('');
  if (text === '') return;
  (fd === 1 ? process.stdout : process.stderr).write(text);
}

async function main(): Promise<void> {
  const [tool = '', root = '', ...args] = process.argv.slice(2);
  const ctx = new FakeContext(tool, root, args);
  let isWrite = false;
  let fault: FaultSpec | undefined;

  const record = (exitCode: number | null): void => {
    const line: CallRecord = {
      ts: new Date().toISOString(),
      tool,
      args,
      exitCode,
      // performance.now() counts from process start, so this includes node's own startup.
      durationMs: Math.round(performance.now() * 10) / 10,
      isWrite,
      uid: ctx.uid,
      pid: process.pid,
      ppid: process.ppid,
    };
    if (ctx.sessionUid !== undefined) line.sessionUid = ctx.sessionUid;
    if (fault) line.fault = { id: fault.id, mode: fault.mode, afterWrite: fault.afterWrite };
    try {
      appendJsonLine(path.join(root, LAYOUT.calls), line);
    } catch (error) {
      process.stderr.write(`macsim: ${tool}: cannot record the call in ${LAYOUT.calls}: ${(error as Error).message}\n`);
    }
  };

  let exitCode: number;
  try {
    const load = TOOLS[tool];
    if (!load) throw new Unsupported(`no fake for tool "${tool}"`);
    const invocation = (await load())(ctx);
    isWrite = invocation.isWrite;
    if (isWrite && ctx.isRoot) {
      const { takeFault } = await import('../faults.js');
      fault = takeFault(root, tool);
    }
    if (fault?.mode === 'hang') {
      record(null);
      // Until the caller's timeout kills us; the ceiling only keeps a forgotten hang from outliving a CI job.
      setTimeout(() => process.exit(EXIT_INTERNAL), HANG_CEILING_MS);
      return;
    }
    if (fault?.mode === 'kill-caller' && !fault.afterWrite) {
      record(null);
      killCaller();
      process.exitCode = 1;
      return;
    }
    if (fault?.mode === 'fail') {
      exitCode = invocation.fail ? invocation.fail(fault) : 1;
    } else {
      exitCode = await invocation.run();
    }
  } catch (error) {
    if (error instanceof Unsupported) {
      ctx.err(`macsim: ${tool}: unsupported invocation: ${args.join(' ')}${error.detail ? ` (${error.detail})` : ''}\n`);
      exitCode = EXIT_UNSUPPORTED;
    } else {
      ctx.err(`macsim: ${tool}: internal error: ${(error as Error).stack ?? String(error)}\n`);
      exitCode = EXIT_INTERNAL;
    }
  }
  record(exitCode);
  writeAll(1, ctx.stdoutParts);
  writeAll(2, ctx.stderrParts);
  if (fault?.mode === 'kill-caller' && fault.afterWrite) killCaller();
  process.exitCode = exitCode;
}

await main();
