// The process's open-files limit: every connected Mac holds one socket, so a limit below the fleet size refuses
// connections with EMFILE long before memory runs out. Node.js raises its soft limit to the hard limit at start but
// cannot raise the hard limit (no setrlimit): systemd's LimitNOFILE= or the launcher server/bin/untether-server
// (when run with the privilege to) does; the server only reports what it got.
import { readFileSync } from 'node:fs';

/** Soft and hard limits; null means unlimited. */
export interface OpenFilesLimit {
  soft: number | null;
  hard: number | null;
}

/** File descriptors the server needs besides device sockets (database, logs, listening sockets, dashboard, Node). */
export const RESERVED_DESCRIPTORS = 256;

/** Parse the "Max open files" line of Linux's /proc/<pid>/limits (pure). */
export function parseOpenFilesLimit(limitsText: string): OpenFilesLimit | undefined {
  const line = limitsText.split('\n').find((entry) => entry.startsWith('Max open files'));
  const match = line === undefined ? null : /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
  if (match === null) return undefined;
  const value = (text: string | undefined): number | null => (text === 'unlimited' ? null : Number(text));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/** This process's limit, or undefined where /proc is not there (macOS). */
export function readOpenFilesLimit(): OpenFilesLimit | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why the limit is too low for `devices` sockets, or undefined when it fits (pure). */
export function openFilesShortfall(limit: OpenFilesLimit, devices: number): string | undefined {
  if (limit.soft === null || limit.soft >= devices + RESERVED_DESCRIPTORS) return undefined;
  const fix = limit.hard !== null && limit.hard < devices + RESERVED_DESCRIPTORS ? 'raise the hard limit (systemd LimitNOFILE=, or limits.conf)' : 'start the server with server/bin/untether-server or set LimitNOFILE= in its systemd unit';
  return `the open-files limit ${limit.soft} holds at most ${Math.max(0, limit.soft - RESERVED_DESCRIPTORS)} device connections, fewer than the ${devices} expected: ${fix}`;
}
