// The simulated launchd's real processes (state.launchd.runJobs): a job's ProgramArguments started as a detached
// child of the launchctl call, with launchd's minimal environment plus the system root, its stdout and stderr
// appended to StandardOutPath/StandardErrorPath; stopped with SIGTERM then, after ExitTimeOut, SIGKILL.
//
// Linux cannot run a Mach-O file. Inside the simulator only, the host's node stands in for a Mach-O program
// (the official macOS Node runtime a package installs), and arguments naming files of the simulated Mac are
// given as their paths under the root, so the host node opens the installed files.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { rootPath } from '../store.js';

/** What the fake reads from a job's plist. */
export interface JobDefinition {
  label: string;
  program: string[];
  runAtLoad: boolean;
  workingDirectory: string | undefined;
  standardOutPath: string | undefined;
  standardErrorPath: string | undefined;
  /** Seconds between SIGTERM and SIGKILL (launchd's default is 20). */
  exitTimeOut: number;
}

/** launchd's environment for a daemon (launchd.plist(5): a minimal PATH), plus the simulated Mac's root. */
function jobEnvironment(root: string): NodeJS.ProcessEnv {
  return { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', UNTETHER_SYSTEM_ROOT: root };
}

const MACH_O_MAGICS = new Set(['cffaedfe', 'cefaedfe', 'feedfacf', 'feedface', 'cafebabe', 'bebafeca']);

function isMachO(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && MACH_O_MAGICS.has(head.toString('hex'));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The command line a Mac's launchd would run, as this machine can run it. */
export function hostCommand(root: string, program: readonly string[]): { file: string; args: string[] } {
  const [macProgram, ...macArgs] = program;
  if (macProgram === undefined) throw new Error('launchd job without a program');
  const args = macArgs.map((arg) => (arg.startsWith('/') && existsSync(rootPath(root, arg)) ? rootPath(root, arg) : arg));
  const file = rootPath(root, macProgram);
  return isMachO(file) ? { file: process.execPath, args } : { file, args };
}

function openLog(root: string, macPath: string | undefined): number | 'ignore' {
  if (macPath === undefined) return 'ignore';
  const file = rootPath(root, macPath);
  mkdirSync(path.dirname(file), { recursive: true });
  return openSync(file, 'a', 0o644);
}

/** Start the job's program as a detached process; returns its pid. */
export function startJob(root: string, job: JobDefinition): number {
  const { file, args } = hostCommand(root, job.program);
  const out = openLog(root, job.standardOutPath);
  const err = openLog(root, job.standardErrorPath);
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', out, err],
      env: jobEnvironment(root),
      cwd: job.workingDirectory === undefined ? root : rootPath(root, job.workingDirectory),
    });
    if (child.pid === undefined) throw new Error(`launchd: could not start ${job.program[0]}`);
    child.unref();
    return child.pid;
  } finally {
    if (typeof out === 'number') closeSync(out);
    if (typeof err === 'number') closeSync(err);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited child nobody has reaped yet (its parent, the launchctl call, is gone) is a zombie: not running.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitGone(pid: number, ms: number): boolean {
  for (let waited = 0; waited < ms; waited += 50) {
    if (!alive(pid)) return true;
    sleepSync(50);
  }
  return !alive(pid);
}

/** SIGTERM, then SIGKILL after exitTimeOut seconds; returns once the process is gone (bounded). */
export function stopJob(pid: number, exitTimeOut: number): void {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  if (waitGone(pid, exitTimeOut * 1000)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  waitGone(pid, 5000);
}

/** Whether a job's process still runs (for `launchctl print`). */
export function jobAlive(pid: number): boolean {
  return alive(pid);
}
