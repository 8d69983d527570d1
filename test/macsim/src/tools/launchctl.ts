// Fake /bin/launchctl: bootstrap, bootout, print, kickstart, enable, disable and asuser over the launchd
// jobs in state.json (macos-tools.md §8). By default jobs are bookkeeping only; with launchd.runJobs a job's
// ProgramArguments run as a real child process (tools/launchd-process.ts).
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { jobAlive, startJob, stopJob, type JobDefinition } from './launchd-process.js';
import { Unsupported, SESSION_UID_ENV, reading, type FakeContext, type Invocation, type ToolHandler } from '../fake/context.js';
import { isPlistDict, parseXmlPlist } from '../plist.js';
import type { LaunchdJob, MacState } from '../state-schema.js';
import { firstValue, stringValues } from '../records.js';
import { listRecords, rootPath, updateState } from '../store.js';

const TRY_AS_ROOT = 'Try re-running the command as root for richer errors.\n';

/** "system" or "gui/<uid>" (the domains the agent uses). */
function parseDomain(text: string): string {
  if (text === 'system' || /^gui\/\d+$/.test(text)) return text;
  throw new Unsupported(`domain ${text}`);
}

/** "system/<label>" → domain and label. */
function parseServiceTarget(text: string): { domain: string; label: string } {
  const match = /^(system|gui\/\d+)\/(.+)$/.exec(text);
  if (!match) throw new Unsupported(`service target ${text}`);
  return { domain: match[1]!, label: match[2]! };
}

/** The domain as "Could not find service" messages name it. */
function domainDescription(domain: string): string {
  return domain === 'system' ? 'system' : `user gui: ${domain.slice('gui/'.length)}`;
}

function findJob(state: MacState, domain: string, label: string): LaunchdJob | undefined {
  return state.launchd.jobs.find((job) => job.domain === domain && job.label === label);
}

function notFound(ctx: FakeContext, domain: string, label: string): number {
  ctx.err(`Could not find service "${label}" in domain for ${domainDescription(domain)}\n`);
  return 113;
}

function newPid(): number {
  return 300 + Math.floor(Math.random() * 60_000);
}

function readJobPlist(root: string, macPath: string): JobDefinition | undefined {
  try {
    const value = parseXmlPlist(readFileSync(rootPath(root, macPath), 'utf8'));
    if (!isPlistDict(value) || typeof value.Label !== 'string') return undefined;
    const args = Array.isArray(value.ProgramArguments) ? value.ProgramArguments.map(String) : [];
    const program = typeof value.Program === 'string' ? [value.Program, ...args.slice(1)] : args;
    const text = (key: string): string | undefined => (typeof value[key] === 'string' ? value[key] : undefined);
    return {
      label: value.Label,
      program,
      runAtLoad: value.RunAtLoad === true,
      workingDirectory: text('WorkingDirectory'),
      standardOutPath: text('StandardOutPath'),
      standardErrorPath: text('StandardErrorPath'),
      exitTimeOut: typeof value.ExitTimeOut === 'number' ? value.ExitTimeOut : 20,
    };
  } catch {
    return undefined;
  }
}

function bootstrapFailed(ctx: FakeContext, code: number, message: string): number {
  ctx.err(`Bootstrap failed: ${code}: ${message}\n`);
  if (!ctx.isRoot) ctx.err(TRY_AS_ROOT);
  return code;
}

function bootstrap(ctx: FakeContext, domain: string, plistPath: string): number {
  if (!existsSync(rootPath(ctx.root, plistPath))) return bootstrapFailed(ctx, 2, 'No such file or directory'); // approximate
  if (!ctx.isRoot && domain === 'system') return bootstrapFailed(ctx, 5, 'Input/output error');
  const definition = readJobPlist(ctx.root, plistPath);
  if (!definition) return bootstrapFailed(ctx, 5, 'Input/output error');
  return updateState(ctx.root, (state) => {
    if (state.launchd.disabled.includes(`${domain}/${definition.label}`)) return bootstrapFailed(ctx, 119, 'Service is disabled'); // approximate
    if (findJob(state, domain, definition.label)) return bootstrapFailed(ctx, 5, 'Input/output error');
    const started = state.launchd.runJobs && definition.runAtLoad ? startJob(ctx.root, definition) : undefined;
    state.launchd.jobs.push({ label: definition.label, domain, plistPath, program: definition.program, pid: started ?? newPid(), ...(started === undefined ? {} : { running: true }) });
    if (state.launchd.bootstrapRaces > 0) {
      state.launchd.bootstrapRaces -= 1;
      return bootstrapFailed(ctx, 5, 'Input/output error'); // Sonoma race: loaded, yet reported as failed
    }
    return 0;
  });
}

function bootout(ctx: FakeContext, domain: string, label: string | undefined, plistPath: string | undefined): number {
  if (plistPath !== undefined && !existsSync(rootPath(ctx.root, plistPath))) {
    ctx.err(`${plistPath}: No such file or directory\nBoot-out failed: 2: No such file or directory\n`);
    return 2;
  }
  const resolvedLabel = label ?? readJobPlist(ctx.root, plistPath!)?.label;
  if (!ctx.isRoot && domain === 'system') {
    ctx.err(`Boot-out failed: 1: Operation not permitted\n`); // approximate
    return 1;
  }
  const stopped = updateState(ctx.root, (state) => {
    const job = resolvedLabel === undefined ? undefined : findJob(state, domain, resolvedLabel);
    if (!job) return undefined;
    state.launchd.jobs = state.launchd.jobs.filter((candidate) => candidate !== job);
    return job;
  });
  if (!stopped) {
    ctx.err('Boot-out failed: 3: No such process\n');
    return 3;
  }
  // launchd sends SIGTERM and, after ExitTimeOut, SIGKILL; bootout returns once the job is gone.
  if (stopped.running) stopJob(stopped.pid, readJobPlist(ctx.root, stopped.plistPath)?.exitTimeOut ?? 20);
  return 0;
}

/**
 * `launchctl bootout user/<uid>` (or gui/<uid>): end the user's domain: the console session goes back to the login
 * window, and background, terminal and SSH sessions, leftover processes and the domain's jobs end. That it ends
 * every kind of session on real macOS 13–15 is UNCONFIRMED (account-lock-and-psso.md A.4); no session at all
 * answers like an unknown job (`Boot-out failed: 3: No such process`, also UNCONFIRMED for a domain).
 */
function bootoutUserDomain(ctx: FakeContext, kind: 'user' | 'gui', uid: string): number {
  if (!ctx.isRoot) {
    ctx.err('Boot-out failed: 1: Operation not permitted\n'); // approximate, as for system jobs
    return 1;
  }
  const names = listRecords(ctx.root, 'users').filter((stored) => firstValue(stored.record, 'uid') === uid).flatMap((stored) => stringValues(stored.record, 'name'));
  const ended = updateState(ctx.root, (state) => {
    const mine = (name: string | null) => name !== null && names.includes(name);
    let count = 0;
    if (state.console.mode === 'user' && mine(state.console.user)) {
      state.console = { ...state.console, mode: 'loginwindow', user: null, nameAlias: null };
      count += 1;
    }
    const before = state.console.otherSessions.length + state.logins.length + state.userProcesses.length;
    state.console.otherSessions = state.console.otherSessions.filter((name) => !mine(name));
    if (kind === 'user') {
      state.logins = state.logins.filter((login) => !mine(login.user));
      state.userProcesses = state.userProcesses.filter((running) => !mine(running.user));
    }
    count += before - (state.console.otherSessions.length + state.logins.length + state.userProcesses.length);
    const jobs = state.launchd.jobs.filter((job) => job.domain === `gui/${uid}`);
    state.launchd.jobs = state.launchd.jobs.filter((job) => job.domain !== `gui/${uid}`);
    return { count: count + jobs.length, jobs };
  });
  for (const job of ended.jobs) if (job.running) stopJob(job.pid, readJobPlist(ctx.root, job.plistPath)?.exitTimeOut ?? 20);
  if (ended.count === 0) {
    ctx.err('Boot-out failed: 3: No such process\n');
    return 3;
  }
  return 0;
}

function printJob(ctx: FakeContext, domain: string, label: string): number {
  const job = findJob(ctx.state(), domain, label);
  if (!job) return notFound(ctx, domain, label);
  const [program = '', ...rest] = job.program;
  const running = job.running !== true || jobAlive(job.pid);
  const lines = [
    `${domain}/${label} = {`,
    '\tactive count = 1',
    `\tpath = ${job.plistPath}`,
    `\ttype = ${domain === 'system' ? 'LaunchDaemon' : 'LaunchAgent'}`,
    `\tstate = ${running ? 'running' : 'not running'}`,
    '',
    `\tprogram = ${program}`,
    '\targuments = {',
    ...[program, ...rest].map((arg) => `\t\t${arg}`),
    '\t}',
    '',
    ...(running ? [`\tpid = ${job.pid}`, '\tlast exit code = (never exited)'] : ['\tlast exit code = 1']),
    '}',
  ];
  ctx.out(lines.map((line) => `${line}\n`).join(''));
  return 0;
}

function kickstart(ctx: FakeContext, domain: string, label: string, kill: boolean, printPid: boolean): number {
  if (!ctx.isRoot && domain === 'system') {
    ctx.err('Could not kickstart service: 1: Operation not permitted\n'); // approximate
    return 1;
  }
  return updateState(ctx.root, (state) => {
    const job = findJob(state, domain, label);
    if (!job) return notFound(ctx, domain, label);
    if (state.launchd.runJobs) {
      const alive = job.running === true && jobAlive(job.pid);
      if (alive && kill) stopJob(job.pid, readJobPlist(ctx.root, job.plistPath)?.exitTimeOut ?? 20);
      if (!alive || kill) {
        const definition = readJobPlist(ctx.root, job.plistPath);
        if (!definition) return notFound(ctx, domain, label);
        job.pid = startJob(ctx.root, definition);
        job.running = true;
      }
    } else if (kill) job.pid = newPid();
    if (printPid) ctx.out(`service spawned with pid: ${job.pid}\n`);
    return 0;
  });
}

function setEnabled(ctx: FakeContext, target: string, enabled: boolean): number {
  if (!ctx.isRoot) {
    ctx.err(`${enabled ? 'Enable' : 'Disable'} failed: 1: Operation not permitted\n`); // approximate
    return 1;
  }
  return updateState(ctx.root, (state) => {
    state.launchd.disabled = state.launchd.disabled.filter((entry) => entry !== target);
    if (!enabled) state.launchd.disabled.push(target);
    return 0;
  });
}

/**
 * `launchctl asuser UID <tool> args...`: run a fake tool of this Mac (by its macOS path) in the session of
 * UID. The session uid reaches the child as MACSIM_SESSION_UID so osascript/jamfHelper notices are
 * attributed to that user.
 */
function asUser(ctx: FakeContext, uid: string, command: readonly string[]): number {
  if (!ctx.isRoot) throw new Unsupported('asuser as non-root');
  const [macPath, ...args] = command;
  if (macPath === undefined || !macPath.startsWith('/')) throw new Unsupported('asuser needs an absolute tool path');
  const file = rootPath(ctx.root, macPath);
  try {
    accessSync(file, fsConstants.X_OK);
  } catch {
    throw new Unsupported(`asuser of ${macPath}, which this simulated Mac does not have`);
  }
  const child = spawnSync(file, args, { stdio: 'inherit', env: { ...process.env, [SESSION_UID_ENV]: uid } });
  if (child.error) throw child.error;
  return child.status ?? 1;
}

export const launchctl: ToolHandler = (ctx) => {
  const [verb, ...args] = ctx.args;
  const write = (run: () => number, fail: () => number): Invocation => ({ isWrite: true, run, fail });
  switch (verb) {
    case 'bootstrap': {
      const [domainText, plistPath, ...rest] = args;
      if (domainText === undefined || plistPath === undefined || rest.length > 0) throw new Unsupported();
      const domain = parseDomain(domainText);
      return write(
        () => bootstrap(ctx, domain, plistPath),
        () => bootstrapFailed(ctx, 5, 'Input/output error'),
      );
    }
    case 'bootout': {
      const [first, second, ...rest] = args;
      if (first === undefined || rest.length > 0) throw new Unsupported();
      const domainOnly = second === undefined ? /^(user|gui)\/(\d+)$/.exec(first) : null;
      if (domainOnly) {
        return write(
          () => bootoutUserDomain(ctx, domainOnly[1] as 'user' | 'gui', domainOnly[2]!),
          () => {
            ctx.err('Boot-out failed: 5: Input/output error\n');
            return 5;
          },
        );
      }
      const target = second === undefined ? parseServiceTarget(first) : { domain: parseDomain(first), label: undefined };
      return write(
        () => bootout(ctx, target.domain, target.label, second),
        () => {
          ctx.err('Boot-out failed: 5: Input/output error\n');
          return 5;
        },
      );
    }
    case 'print': {
      if (args.length !== 1) throw new Unsupported();
      const { domain, label } = parseServiceTarget(args[0]!);
      return reading(() => printJob(ctx, domain, label));
    }
    case 'kickstart': {
      const flags = args.filter((arg) => arg.startsWith('-'));
      const targets = args.filter((arg) => !arg.startsWith('-'));
      if (targets.length !== 1 || flags.some((flag) => flag !== '-k' && flag !== '-p')) throw new Unsupported();
      const { domain, label } = parseServiceTarget(targets[0]!);
      return write(
        () => kickstart(ctx, domain, label, flags.includes('-k'), flags.includes('-p')),
        () => {
          ctx.err('Could not kickstart service: 5: Input/output error\n');
          return 5;
        },
      );
    }
    case 'enable':
    case 'disable': {
      if (args.length !== 1) throw new Unsupported();
      const { domain, label } = parseServiceTarget(args[0]!);
      return write(
        () => setEnabled(ctx, `${domain}/${label}`, verb === 'enable'),
        () => {
          ctx.err(`${verb === 'enable' ? 'Enable' : 'Disable'} failed: 5: Input/output error\n`);
          return 5;
        },
      );
    }
    case 'asuser': {
      const [uid, ...command] = args;
      if (uid === undefined || !/^\d+$/.test(uid)) throw new Unsupported();
      return reading(() => asUser(ctx, uid, command));
    }
    default:
      throw new Unsupported();
  }
};
