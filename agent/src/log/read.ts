// Reading the agent log back for `untether log`: the current file and every rotated one, oldest first,
// line by line (files are capped but may total tens of megabytes), keeping the last N entries that pass the
// filters. Lines that are not entries (a torn write, another program's text) are counted, not shown.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { entryMentionsUser, levelRank, logEntrySchema, type LogEntry, type LogLevel } from './entry.js';

/** Which entries to show; every field narrows. */
export interface LogFilter {
  /** Only entries at or after this time. */
  since?: Date;
  /** Only entries at this level or more severe. */
  level?: LogLevel;
  /** Only entries about this account (`user` field or `users` list). */
  user?: string;
  component?: string;
}

/** A shown entry, with the line as stored (for --json). */
export interface ReadEntry {
  entry: LogEntry;
  line: string;
}

export interface LogReadResult {
  /** The last `limit` matching entries, oldest first. */
  entries: ReadEntry[];
  /** How many entries matched in all (more than entries.length when the limit cut). */
  matched: number;
  /** Lines that were not log entries. */
  unreadableLines: number;
  /** The files read, oldest first. */
  files: string[];
}

/** The current file and its rotations (agent.log.N) in the directory, oldest first. */
export async function logFiles(currentFile: string): Promise<string[]> {
  const directory = path.dirname(currentFile);
  const base = path.basename(currentFile);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rotated = names
    .map((name) => ({ name, index: name.startsWith(`${base}.`) ? Number(name.slice(base.length + 1)) : Number.NaN }))
    .filter(({ index }) => Number.isInteger(index) && index > 0)
    .sort((a, b) => b.index - a.index)
    .map(({ name }) => path.join(directory, name));
  return names.includes(base) ? [...rotated, currentFile] : rotated;
}

/** Whether an entry passes the filter. */
export function entryMatches(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.level !== undefined && levelRank(entry.level) > levelRank(filter.level)) return false;
  if (filter.component !== undefined && entry.component !== filter.component) return false;
  if (filter.user !== undefined && !entryMentionsUser(entry, filter.user)) return false;
  if (filter.since !== undefined) {
    const time = Date.parse(entry.time);
    if (Number.isNaN(time) || time < filter.since.getTime()) return false;
  }
  return true;
}

/** Parse one stored line; undefined when it is not an entry. */
export function parseLogLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = logEntrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: a torn line from a crash, counted by the caller
  }
}

/** Read the log (current file given by its real path) and keep the last `limit` entries passing `filter`. */
export async function readLog(currentFile: string, filter: LogFilter, limit: number): Promise<LogReadResult> {
  const files = await logFiles(currentFile);
  const kept: ReadEntry[] = [];
  let matched = 0;
  let unreadableLines = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const entry = parseLogLine(line);
        if (entry === undefined) {
          unreadableLines += 1;
          continue;
        }
        if (!entryMatches(entry, filter)) continue;
        matched += 1;
        kept.push({ entry, line });
        if (kept.length > limit) kept.shift();
      }
    } catch (error) {
      // The daemon rotated the file away between listing and reading: its entries are in the next name.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { entries: kept, matched, unreadableLines, files };
}
