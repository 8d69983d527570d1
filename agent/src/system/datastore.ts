// Untether's own root-only files under /Library/Application Support/Untether: snapshots, the journal,
// the action lock. Kept apart from files.ts, which reads and writes the Mac's files.
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDirectory, SystemFileError, writeFileAtomic } from './files.js';
import { MAC_PATHS, systemPath } from './paths.js';

/** The Mac path of a file in Untether's data directory, e.g. dataPath('journal', 'x.json'). */
export function dataPath(...parts: string[]): string {
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('/')) throw new TypeError(`data path: "${part}" is not a plain name`);
  }
  return path.posix.join(MAC_PATHS.supportDir, ...parts);
}

function failure(doing: string, macPath: string, error: unknown): SystemFileError {
  const why = (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
  return new SystemFileError('E_FILE_IO', macPath, `${doing}: ${macPath}: ${why}`, { cause: error });
}

/** Write a JSON document atomically, root-only, creating its root-only directory first. */
export async function writeDataFile(macPath: string, value: unknown): Promise<void> {
  await ensurePrivateDirectory(path.posix.dirname(macPath));
  await writeFileAtomic(macPath, `${JSON.stringify(value, null, 2)}\n`);
}

/** Read a data file's text; undefined when it does not exist. */
export async function readDataFile(macPath: string): Promise<string | undefined> {
  try {
    return await readFile(systemPath(macPath), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failure('reading data file', macPath, error);
  }
}

/** Names of the files in a data directory (none when it does not exist), sorted. */
export async function listDataFiles(macDirectory: string): Promise<string[]> {
  try {
    return (await readdir(systemPath(macDirectory))).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw failure('listing data directory', macDirectory, error);
  }
}

/** Move a data file into another data directory (same volume: an atomic rename). */
export async function moveDataFile(macPath: string, macDirectory: string): Promise<void> {
  await ensurePrivateDirectory(macDirectory);
  try {
    await rename(systemPath(macPath), systemPath(path.posix.join(macDirectory, path.posix.basename(macPath))));
  } catch (error) {
    throw failure('moving data file', macPath, error);
  }
}

/** Remove a data file; a missing file is fine. */
export async function removeDataFile(macPath: string): Promise<void> {
  await rm(systemPath(macPath), { force: true }).catch((error: unknown) => {
    throw failure('removing data file', macPath, error);
  });
}

export interface LockOwner {
  pid: number;
  command: string;
  since: string;
}

export type LockAttempt = { acquired: true; release: () => Promise<void> } | { acquired: false; owner: LockOwner | undefined };

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the one action lock that the CLI and the daemon share (O_EXCL create). A lock left by a process
 * that no longer runs is taken over; a live owner is reported so the caller can say who holds it.
 */
export async function acquireLock(command: string, now: Date): Promise<LockAttempt> {
  const lockPath = dataPath('action.lock');
  await ensurePrivateDirectory(MAC_PATHS.supportDir);
  const owner: LockOwner = { pid: process.pid, command, since: now.toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const file = await open(systemPath(lockPath), 'wx', 0o600);
      await file.writeFile(JSON.stringify(owner));
      await file.close();
      return { acquired: true, release: () => removeDataFile(lockPath) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw failure('taking the action lock', lockPath, error);
    }
    const current = parseOwner(await readDataFile(lockPath));
    if (current && processIsAlive(current.pid) && current.pid !== process.pid) return { acquired: false, owner: current };
    // The owner died without releasing (a crash or a kill): the journal recovers its work; take the lock over.
    await removeDataFile(lockPath);
  }
  return { acquired: false, owner: undefined };
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' ? { pid: value.pid, command: String(value.command ?? '?'), since: String(value.since ?? '?') } : undefined;
  } catch {
    return undefined; // a half-written lock file: its writer died mid-write, so it is stale
  }
}
