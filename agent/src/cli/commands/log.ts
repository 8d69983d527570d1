// `untether log`: recent entries of the agent's log, readably, with filters. Reads the current and the rotated
// files under the system root; prints nothing secret because the log never holds a secret (log/redact.ts).
import * as z from 'zod';
import { UntetherError } from '../../errors.js';
import { LOG_LEVELS, renderEntry, type LogLevel } from '../../log/entry.js';
import { LOG_FILE_MAC_PATH } from '../../log/logger.js';
import { readLog, type LogFilter } from '../../log/read.js';
import { systemPath } from '../../system/paths.js';
import type { Command, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';

/** Entries shown when --limit is not given. */
export const DEFAULT_LOG_LIMIT = 200;
const MAX_LOG_LIMIT = 100_000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** "30m", "2h", "7d" before `now`, or an ISO date/time ("2026-11-24", "2026-11-24T08:00"); undefined when neither. */
export function parseSince(text: string, now: Date): Date | undefined {
  const duration = /^(\d{1,6})([smhdw])$/.exec(text);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const time = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(time) ? undefined : new Date(time);
}

const userName = z.string().regex(/^[^\s/:]+$/);

function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Turn the options into a filter and a limit; a bad value is a usage error that names it. */
export function parseLogArgs(args: ParsedArgs, now: Date): { filter: LogFilter; limit: number; json: boolean } {
  const filter: LogFilter = {};
  const since = stringOption(args, 'since');
  if (since !== undefined) {
    const date = parseSince(since, now);
    if (date === undefined) throw new UsageError(`--since "${since}": expected a duration like 30m, 2h or 7d, or a date like 2026-11-24T08:00`);
    filter.since = date;
  }
  const level = stringOption(args, 'level');
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--level "${level}": expected one of ${LOG_LEVELS.join(', ')}`);
    filter.level = level as LogLevel;
  }
  const user = stringOption(args, 'user');
  if (user !== undefined) {
    if (!userName.safeParse(user).success) throw new UsageError(`--user "${user}": expected an account short name`);
    filter.user = user;
  }
  const component = stringOption(args, 'component');
  if (component !== undefined) filter.component = component;
  let limit = DEFAULT_LOG_LIMIT;
  const limitText = stringOption(args, 'limit');
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LOG_LIMIT) throw new UsageError(`--limit "${limitText}": expected a whole number from 1 to ${MAX_LOG_LIMIT}`);
  }
  return { filter, limit, json: args.values.json === true };
}

/** `untether log`: recent entries, readable by default, JSON lines with --json. */
export const logCommand: Command = {
  name: 'log',
  summary: "Show recent entries of the agent's log, readably.",
  usage: 'untether log [--since DURATION|DATE] [--level LEVEL] [--user NAME] [--component NAME] [--limit N] [--json]',
  details: [
    'Reads /Library/Logs/Untether/agent.log and its rotated files (agent.log.1, agent.log.2, ...), oldest first.',
    'Times are shown in the Mac\'s local time. The log never contains secrets: they are removed before writing.',
    'Run it with sudo: the log is readable by root only.',
  ].join('\n'),
  examples: ['sudo untether log --since 2h --level warn', 'sudo untether log --user jdoe', 'sudo untether log --since 2026-11-24 --json > /tmp/untether.jsonl'],
  options: {
    since: { type: 'string', valueName: 'DURATION', description: 'Only entries newer than this: 30m, 2h, 7d, or a date such as 2026-11-24T08:00.' },
    level: { type: 'string', valueName: 'LEVEL', description: 'Only entries at this level or above: error, warn, info or debug.' },
    user: { type: 'string', valueName: 'NAME', description: 'Only entries about this account.' },
    component: { type: 'string', valueName: 'NAME', description: 'Only entries of this part of the agent (e.g. config, demobilize, link).' },
    limit: { type: 'string', valueName: 'N', description: `Show at most the last N matching entries (default ${DEFAULT_LOG_LIMIT}).` },
    json: { type: 'boolean', description: 'Print the entries as stored, one JSON object per line.' },
  },
  async run(context, args) {
    const { filter, limit, json } = parseLogArgs(args, context.now());
    const file = systemPath(LOG_FILE_MAC_PATH);
    let result;
    try {
      result = await readLog(file, filter, limit);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied; run it with sudo' : (code ?? String(error));
      throw new UntetherError('E_LOG_UNREADABLE', `reading the agent log: ${LOG_FILE_MAC_PATH}: ${why}`, { cause: error });
    }
    if (result.files.length === 0) {
      context.stderr.write(`untether log: no log yet (${LOG_FILE_MAC_PATH} does not exist).\n`);
      return EXIT.OK;
    }
    const color = (context.stdout as { isTTY?: boolean }).isTTY === true;
    for (const { entry, line } of result.entries) context.stdout.write(`${json ? line : renderEntry(entry, { color })}\n`);
    if (result.matched > result.entries.length) {
      context.stderr.write(`untether log: showing the last ${result.entries.length} of ${result.matched} matching entries (use --limit).\n`);
    }
    if (result.unreadableLines > 0) context.stderr.write(`untether log: skipped ${result.unreadableLines} lines that are not log entries.\n`);
    return EXIT.OK;
  },
};
