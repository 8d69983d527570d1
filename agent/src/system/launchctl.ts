// launchd jobs through /bin/launchctl: load/unload the agent's own daemons, inspect a job, and run a
// tool inside a logged-in user's session (osascript prompts). Errors arrive on stderr with exit = errno.
import type { ToolResult } from './errors.js';
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runTool, runToolChecked } from './run.js';
import { TOOL_PATHS, type ToolName } from './tools.js';

/** A launchd domain: the system, or a user's gui/user domain by uid. */
export type LaunchdDomain = 'system' | `gui/${number}` | `user/${number}`;

/** A service target, e.g. "system/com.example.untether". */
export type ServiceTarget = `${LaunchdDomain}/${string}`;

/** A launchctl failure as its stderr describes it. */
export type LaunchctlFailure =
  | { kind: 'errno'; verb: string; errno: number; message: string }
  | { kind: 'service-not-found'; label: string; domain: string }
  | { kind: 'domain-not-found'; domain: string };

// Samples (stderr; exit status = the errno, 113 for "Could not find"):
//   Bootstrap failed: 5: Input/output error            (+ "Try re-running the command as root for richer errors." when not root)
//   Boot-out failed: 3: No such process
//   Could not find service "org.nixos.darwin-store" in domain for system
//   Could not find domain for user gui: 501
// Edge cases: bootstrap can say 5 although the job loaded (Sonoma) ⇒ verify with print; Catalina's
// `Boot-out failed: 36: Operation now in progress` although the job stopped.
/** Parse a launchctl error from stderr; undefined when the text is not a known error shape. */
export function parseLaunchctlFailure(stderr: string): LaunchctlFailure | undefined {
  const errno = /^([\w-]+(?: [\w-]+)*) failed: (\d+): (.*)$/m.exec(stderr);
  if (errno) return { kind: 'errno', verb: errno[1]!, errno: Number(errno[2]), message: errno[3]!.trim() };
  const service = /^Could not find service "([^"]+)" in domain for (.+)$/m.exec(stderr);
  if (service) return { kind: 'service-not-found', label: service[1]!, domain: service[2]!.trim() };
  const domain = /^Could not find domain for (.+)$/m.exec(stderr);
  if (domain) return { kind: 'domain-not-found', domain: domain[1]!.trim() };
  return undefined;
}

function checkTarget(target: string): ServiceTarget {
  if (!/^(system|gui\/\d+|user\/\d+)\/[A-Za-z0-9][\w.-]*$/.test(target)) {
    throw new TypeError(`launchd service target: "${target}" is not <domain>/<label>`);
  }
  return target as ServiceTarget;
}

function failureOf(result: ToolResult): LaunchctlFailure | undefined {
  return result.timedOut || result.exitCode === 127 ? undefined : parseLaunchctlFailure(result.stderr);
}

/** What `launchctl bootstrap` did; 'failed' carries the errno (5 often means "already loaded": check print). */
export type BootstrapOutcome = { kind: 'loaded' } | { kind: 'failed'; errno: number; message: string };

/** Load a job from its plist into a domain (`launchctl bootstrap system /Library/LaunchDaemons/x.plist`). */
export async function bootstrap(domain: LaunchdDomain, plistPath: string): Promise<BootstrapOutcome> {
  if (!plistPath.startsWith('/')) throw new TypeError(`launchctl bootstrap: "${plistPath}" is not an absolute path`);
  const result = await runTool('launchctl', ['bootstrap', domain, plistPath]);
  if (!result.failed) return { kind: 'loaded' };
  const failure = failureOf(result);
  if (failure?.kind === 'errno') return { kind: 'failed', errno: failure.errno, message: failure.message };
  throw SystemToolError.fromResult(result);
}

/** What `launchctl bootout` did. */
export type BootoutOutcome = { kind: 'unloaded' } | { kind: 'not-loaded' } | { kind: 'failed'; errno: number; message: string };

/** Unload a job (`launchctl bootout system/<label>`); "No such process" (3) is `not-loaded`. */
export async function bootout(target: string): Promise<BootoutOutcome> {
  const result = await runTool('launchctl', ['bootout', checkTarget(target)]);
  if (!result.failed) return { kind: 'unloaded' };
  const failure = failureOf(result);
  if (failure?.kind === 'service-not-found' || (failure?.kind === 'errno' && failure.errno === 3)) return { kind: 'not-loaded' };
  if (failure?.kind === 'errno') return { kind: 'failed', errno: failure.errno, message: failure.message };
  throw SystemToolError.fromResult(result);
}

/**
 * End a user's whole launchd domain (`launchctl bootout user/<uid>`): every process of the user's sessions stops, the
 * GUI session returns to the login window. Apps get no quit events (unsaved work is lost), so callers warn first.
 * That it ends every session on macOS 13–15 is UNCONFIRMED (account-lock-and-psso.md A.4): callers check sessions
 * afterwards. Only for person accounts (uid 500 and up): never the system's or root's domain.
 */
export async function bootoutUserDomain(uid: number): Promise<BootoutOutcome> {
  if (!Number.isInteger(uid) || uid < 500) throw new TypeError(`launchctl bootout user/<uid>: ${uid} is not a person's uid (500 or more)`);
  const result = await runTool('launchctl', ['bootout', `user/${uid}`]);
  if (!result.failed) return { kind: 'unloaded' };
  const failure = failureOf(result);
  if (failure?.kind === 'domain-not-found' || (failure?.kind === 'errno' && failure.errno === 3)) return { kind: 'not-loaded' };
  if (failure?.kind === 'errno') return { kind: 'failed', errno: failure.errno, message: failure.message };
  throw SystemToolError.fromResult(result);
}

/** Mark a service enabled so it may load (`launchctl enable system/<label>`). */
export async function enable(target: string): Promise<void> {
  await runToolChecked('launchctl', ['enable', checkTarget(target)]);
}

/** What `launchctl kickstart` did. */
export type KickstartOutcome = { kind: 'started' } | { kind: 'not-found' };

/** Start (or with kill: restart) a loaded service (`launchctl kickstart [-k] system/<label>`). */
export async function kickstart(target: string, options: { kill?: boolean } = {}): Promise<KickstartOutcome> {
  const args = options.kill ? ['kickstart', '-k', checkTarget(target)] : ['kickstart', checkTarget(target)];
  const result = await runTool('launchctl', args);
  if (!result.failed) return { kind: 'started' };
  if (failureOf(result)?.kind === 'service-not-found') return { kind: 'not-found' };
  throw SystemToolError.fromResult(result);
}

/** The top-level scalar fields of `launchctl print` that the agent reads. */
export interface LaunchdJob {
  target: string;
  state?: string;
  pid?: number;
  /** As printed: a number, or e.g. "(never exited)". */
  lastExitCode?: string;
  path?: string;
  /** Every top-level `key = value` line; nested blocks (arguments, environment, …) are skipped. */
  properties: Record<string, string>;
}

// Sample (`launchctl print system/<label>`; consistent third-party fixtures; Apple: output "is NOT API"):
//   system/com.example.untether = {
//   	active count = 1
//   	path = /Library/LaunchDaemons/com.example.untether.plist
//   	type = LaunchDaemon
//   	state = running
//   	program = /usr/local/untether/bin/untether
//   	arguments = {
//   		/usr/local/untether/bin/untether
//   	}
//   	pid = 1234
//   	last exit code = 0
//   }
/** Parse `launchctl print <target>`, keeping only top-level scalar fields. */
export function parseLaunchctlPrint(raw: string): LaunchdJob {
  const lines = outputLines(raw);
  const header = /^(\S+) = \{$/.exec(lines[0] ?? '');
  if (!header) throw new UnexpectedOutputError(`first line is not "<target> = {": ${excerpt(lines[0] ?? '')}`);
  const job: LaunchdJob = { target: header[1]!, properties: {} };
  let depth = 1;
  for (const line of lines.slice(1)) {
    const trimmed = line.trim();
    if (depth === 1) {
      const field = /^\t([^\t=][^=]*?) = (.*)$/.exec(line);
      if (field && !field[2]!.endsWith('{')) {
        Object.defineProperty(job.properties, field[1]!, { value: field[2]!, enumerable: true });
        continue;
      }
    }
    if (trimmed.endsWith('{')) depth += 1;
    else if (trimmed === '}') depth -= 1;
    if (depth === 0) break;
  }
  if (depth !== 0) throw new UnexpectedOutputError('output ended before the closing "}"');
  const { state, pid, path } = job.properties;
  if (state !== undefined) job.state = state;
  if (pid !== undefined && /^\d+$/.test(pid)) job.pid = Number(pid);
  if (job.properties['last exit code'] !== undefined) job.lastExitCode = job.properties['last exit code'];
  if (path !== undefined) job.path = path;
  return job;
}

/** Describe a service (`launchctl print`); an unknown service (exit 113) is `{ kind: 'not-found' }`. */
export async function print(target: string): Promise<{ kind: 'found'; job: LaunchdJob } | { kind: 'not-found' }> {
  const result = await runTool('launchctl', ['print', checkTarget(target)]);
  if (result.failed) {
    if (failureOf(result)?.kind === 'service-not-found') return { kind: 'not-found' };
    throw SystemToolError.fromResult(result);
  }
  return { kind: 'found', job: parseToolOutput(result, parseLaunchctlPrint) };
}

/** The argument list that runs a tool in a user's session AS that user (pure; see asUser). */
export function asUserArgs(uid: number, tool: ToolName, args: readonly string[]): string[] {
  if (!Number.isInteger(uid) || uid <= 0) throw new TypeError(`launchctl asuser: ${uid} is not a user's uid`);
  return ['asuser', String(uid), TOOL_PATHS.sudo, '-n', '-u', `#${uid}`, '--', TOOL_PATHS[tool], ...args];
}

/**
 * Run a tool in a user's login session and as that user: `launchctl asuser <uid> /usr/bin/sudo -n -u #<uid>
 * -- <tool> …`. asuser alone only moves root into the user's bootstrap namespace (the window shows on their
 * screen, but the process keeps root); sudo then drops to the uid, with an argument array (no shell, so no
 * text is ever parsed as a command) and -n so it can never wait for a password. Check `failed`.
 */
export async function asUser(uid: number, tool: ToolName, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<ToolResult> {
  return runTool('launchctl', asUserArgs(uid, tool, args), options);
}
