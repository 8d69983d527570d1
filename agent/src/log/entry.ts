// One line of agent.log: the JSON shape written by the file transport and read back by `untether log`, and
// its readable rendering (shared by the terminal transport and `untether log`, so both look the same).
import * as z from 'zod';

/** Levels the agent writes, most severe first (winston's npm levels, the ones the agent uses). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Severity rank: lower is more severe (error 0). Unknown levels rank as debug. */
export function levelRank(level: string): number {
  const index = (LOG_LEVELS as readonly string[]).indexOf(level);
  return index === -1 ? LOG_LEVELS.length - 1 : index;
}

/**
 * A log line as stored: fixed fields first, then the event's own structured fields.
 *   {"time":"2026-11-24T12:00:00.000Z","level":"info","component":"demobilize","event":"step_applied","user":"jdoe","step":"snapshot"}
 */
export const logEntrySchema = z.looseObject({
  time: z.string(),
  level: z.string(),
  component: z.string().optional(),
  event: z.string(),
});
export type LogEntry = z.infer<typeof logEntrySchema>;

/** Field names that are not the event's own fields. */
const FIXED_FIELDS = new Set(['time', 'level', 'component', 'event']);

/** The event's structured fields of an entry, in written order. */
export function entryFields(entry: LogEntry): Array<[string, unknown]> {
  return Object.entries(entry).filter(([key]) => !FIXED_FIELDS.has(key));
}

/** Whether an entry is about an account: its `user` field, or a `users` list containing it. */
export function entryMentionsUser(entry: LogEntry, user: string): boolean {
  if (entry.user === user) return true;
  return Array.isArray(entry.users) && entry.users.includes(user);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** "2026-11-24 13:00:00" in the Mac's local time, which is what admins compare with. */
export function localTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) return '????-??-?? ??:??:??';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

const COLORS: Record<string, string> = { error: '\u001b[31m', warn: '\u001b[33m', info: '\u001b[32m', debug: '\u001b[90m' };
const RESET = '\u001b[0m';

/**
 * One readable line: `2026-11-24 13:00:00 WARN  config      config_problem key=demobilize.when source=managed`.
 * Field values with spaces are JSON-quoted so a line can still be split reliably.
 */
export function renderEntry(entry: LogEntry, options: { color?: boolean } = {}): string {
  const level = entry.level.toUpperCase().padEnd(5);
  const shownLevel = options.color && COLORS[entry.level] ? `${COLORS[entry.level]}${level}${RESET}` : level;
  const fields = entryFields(entry).map(([key, value]) => `${key}=${fieldText(value)}`);
  return [localTimestamp(new Date(entry.time)), shownLevel, (entry.component ?? '-').padEnd(11), entry.event, ...fields].join(' ').trimEnd();
}
