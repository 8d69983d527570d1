// What a benchmark reads about a process from /proc (Linux): memory, CPU time, descriptors, limits.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Soft open-files limit of a process (Linux). */
export function openFilesLimitOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((entry) => entry.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(soft);
}

/** Resident memory of a process in bytes (Linux). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

/** Open descriptors of a process, and how many of them are sockets (Linux). */
export function descriptorsOf(pid: number): { all: number; sockets: number } {
  const entries = readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const entry of entries) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${entry}`).startsWith('socket:')) sockets += 1;
    } catch {
      // closed while we looked
    }
  }
  return { all: entries.length, sockets };
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux). */
export function cpuMsOf(pid: number): number {
  return cpuMsIn(`/proc/${pid}/stat`);
}

/** CPU time the calling thread has used so far, in milliseconds (Linux): the main thread's share of its process. */
export function threadCpuMs(): number {
  return cpuMsIn('/proc/thread-self/stat');
}

/** CPU time of each thread of this process so far, by thread id, with the thread's name (Linux). */
export function threadsCpuMs(): Map<string, { name: string; ms: number }> {
  const threads = new Map<string, { name: string; ms: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      threads.set(tid, { name, ms: cpuMsIn(`/proc/self/task/${tid}/stat`) });
    } catch {
      // the thread ended while we looked
    }
  }
  return threads;
}

function cpuMsIn(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/pid/stat, here 11 and 12 after "pid (comm) ".
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ on Linux; 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
