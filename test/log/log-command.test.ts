import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSince } from '../../agent/src/cli/commands/log.js';
import { EXIT } from '../../agent/src/cli/exit-codes.js';
import { runCli } from '../../agent/src/cli/run-cli.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { captureContext } from '../helpers/context.js';

const NOW = new Date('2026-11-24T12:00:00Z');
let root: string;
let dir: string;

const entry = (minutesAgo: number, level: string, event: string, fields: Record<string, unknown> = {}, component = 'daemon') =>
  JSON.stringify({ time: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(), level, component, event, ...fields });

beforeEach(() => {
  process.env.TZ = 'UTC';
  root = mkdtempSync(path.join(tmpdir(), 'untether-logcmd-'));
  dir = path.join(root, 'Library/Logs/Untether');
  mkdirSync(dir, { recursive: true });
  setSystemRoot(root);
  // Oldest in agent.log.2, newest in agent.log, as the rotation leaves them.
  writeFileSync(path.join(dir, 'agent.log.2'), `${entry(600, 'info', 'agent_started')}\n`);
  writeFileSync(path.join(dir, 'agent.log.1'), `${entry(300, 'warn', 'config_problem', { key: 'demobilize.when' }, 'config')}\nnot json at all\n`);
  writeFileSync(
    path.join(dir, 'agent.log'),
    [
      entry(90, 'info', 'step_applied', { user: 'jdoe', step: 'snapshot' }, 'demobilize'),
      entry(60, 'error', 'step_failed', { user: 'asmith', step: 'verify', reason: 'dscl exited 1' }, 'demobilize'),
      entry(30, 'debug', 'tool_ran', { tool: 'dscl' }, 'system'),
      entry(10, 'info', 'batch_done', { users: ['jdoe', 'asmith'] }, 'demobilize'),
    ].join('\n') + '\n',
  );
});

afterEach(() => {
  setSystemRoot(undefined);
  rmSync(root, { recursive: true, force: true });
});

async function log(...args: string[]) {
  const context = captureContext({ now: NOW });
  const code = await runCli(['log', ...args], context);
  return { code, out: context.out(), err: context.err(), lines: context.out().trim().split('\n').filter(Boolean) };
}

describe('untether log', () => {
  it('shows every entry of the current and rotated files, oldest first, readably', async () => {
    const result = await log();
    expect(result.code).toBe(EXIT.OK);
    expect(result.lines.map((line) => line.split(/\s+/)[4])).toEqual(['agent_started', 'config_problem', 'step_applied', 'step_failed', 'tool_ran', 'batch_done']);
    expect(result.lines[3]).toBe('2026-11-24 11:00:00 ERROR demobilize  step_failed user=asmith step=verify reason="dscl exited 1"');
    expect(result.err).toContain('skipped 1 lines that are not log entries');
  });

  it('filters by level (that level and above), since, user and component', async () => {
    expect((await log('--level', 'warn')).lines.map((line) => line.split(/\s+/)[4])).toEqual(['config_problem', 'step_failed']);
    expect((await log('--since', '2h')).lines.map((line) => line.split(/\s+/)[4])).toEqual(['step_applied', 'step_failed', 'tool_ran', 'batch_done']);
    expect((await log('--since', '2026-11-24T11:45')).lines).toHaveLength(1);
    expect((await log('--user', 'jdoe')).lines.map((line) => line.split(/\s+/)[4])).toEqual(['step_applied', 'batch_done']);
    expect((await log('--component', 'config')).lines).toHaveLength(1);
    expect((await log('--level', 'info', '--user', 'asmith')).lines.map((line) => line.split(/\s+/)[4])).toEqual(['step_failed', 'batch_done']);
  });

  it('prints the stored JSON lines with --json and keeps the last N with --limit', async () => {
    const result = await log('--json', '--limit', '2');
    expect(result.lines.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(['tool_ran', 'batch_done']);
    expect(result.err).toContain('showing the last 2 of 6 matching entries');
  });

  it.each([
    [['--since', '2 hours'], '--since "2 hours"'],
    [['--since', 'yesterday'], '--since "yesterday"'],
    [['--level', 'verbose'], '--level "verbose": expected one of error, warn, info, debug'],
    [['--user', 'j doe'], '--user "j doe"'],
    [['--limit', '0'], '--limit "0"'],
    [['--limit', 'ten'], '--limit "ten"'],
  ])('refuses %j as a usage error naming the value', async (args, message) => {
    const result = await log(...args);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
  });

  it('says so plainly when there is no log yet', async () => {
    rmSync(dir, { recursive: true });
    const result = await log();
    expect(result.code).toBe(EXIT.OK);
    expect(result.err).toContain('no log yet');
  });

  it('parses durations and dates for --since', () => {
    expect(parseSince('30m', NOW)).toEqual(new Date('2026-11-24T11:30:00Z'));
    expect(parseSince('7d', NOW)).toEqual(new Date('2026-11-17T12:00:00Z'));
    expect(parseSince('2026-11-24', NOW)).toEqual(new Date('2026-11-24T00:00:00Z'));
    expect(parseSince('2026-11-24 08:00', NOW)).toEqual(new Date('2026-11-24T08:00:00Z'));
    expect(parseSince('2026-13-45', NOW)).toBeUndefined();
    expect(parseSince('-2h', NOW)).toBeUndefined();
  });
});
