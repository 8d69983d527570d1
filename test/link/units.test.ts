import { mkdtempSync, readFileSync, statSync, appendFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_BACKOFF, FIRST_RETRY_MAX_MS, retryDelayMs, SHORT_OUTAGE_MS } from '../../agent/src/link/backoff.js';
import { DoneCommands } from '../../agent/src/link/done-commands.js';
import { DEFAULT_COMMAND_POLICY, decideCommand, type CommandPolicy } from '../../agent/src/link/policy.js';
import { DurableQueue, QUEUE_FILE_NAME } from '../../agent/src/link/queue.js';
import { readToken, TOKEN_FILE_NAME, writeToken } from '../../agent/src/link/token-file.js';
import type { Command } from '../../protocol/src/index.js';
import { sampleEvent } from '../protocol/samples.js';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'untether-link-'));
}

describe('backoff', () => {
  it('grows the window exponentially up to the cap', () => {
    expect(backoffDelayMs(0, { baseMs: 1000, capMs: 60_000 }, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000 }, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(30, { baseMs: 1000, capMs: 60_000 }, () => 0.5)).toBe(30_000);
  });

  it('applies full jitter after the cap, so agents at the cap stay spread', () => {
    const delays = Array.from({ length: 1000 }, (_, index) => backoffDelayMs(50, DEFAULT_BACKOFF, () => index / 1000));
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeGreaterThan(DEFAULT_BACKOFF.capMs * 0.99);
  });

  it('spreads 10,000 agents retrying after an outage over the window rather than one instant', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const buckets = new Array<number>(10).fill(0);
    for (let agent = 0; agent < 10_000; agent += 1) {
      const delay = backoffDelayMs(6, { baseMs: 1000, capMs: 600_000 }, random);
      buckets[Math.floor(delay / 6400)]! += 1;
    }
    for (const bucket of buckets) expect(bucket).toBeLessThan(1300);
  });

  it('keeps retries within the first-retry window during a short outage, then grows them to the cap', () => {
    const almostOne = () => 0.999;
    // A server restart: the agent failed 8 times in the first seconds; its next wait stays under 15 s.
    expect(retryDelayMs(8, 20_000, DEFAULT_BACKOFF, almostOne)).toBeLessThan(FIRST_RETRY_MAX_MS);
    expect(retryDelayMs(8, 20_000, DEFAULT_BACKOFF, almostOne)).toBeGreaterThan(FIRST_RETRY_MAX_MS * 0.99);
    // A long outage, or no connection yet since start-up: the exponential windows as before.
    expect(retryDelayMs(8, SHORT_OUTAGE_MS, DEFAULT_BACKOFF, almostOne)).toBe(backoffDelayMs(8, DEFAULT_BACKOFF, almostOne));
    expect(retryDelayMs(8, null, DEFAULT_BACKOFF, almostOne)).toBe(backoffDelayMs(8, DEFAULT_BACKOFF, almostOne));
    // Early attempts are as short as they were.
    expect(retryDelayMs(1, 5_000, DEFAULT_BACKOFF, almostOne)).toBe(backoffDelayMs(1, DEFAULT_BACKOFF, almostOne));
  });
});

describe('command policy', () => {
  const now = new Date('2026-11-01T12:00:00Z');
  const base = { id: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', issuedAt: '2026-11-01T11:59:00Z', validUntil: '2026-11-01T13:00:00Z' };
  const allowAll: CommandPolicy = {
    ...DEFAULT_COMMAND_POLICY,
    allowed: { rescan: true, demobilize: true, restore: true, unbind: true, loginwindow: true, takeover: true, 'lock-account': true, 'unlock-account': true },
    loginWindowPresets: ['okta'],
    protectedUsers: ['supportadmin'],
  };

  it('allows only rescan by default', () => {
    expect(decideCommand({ ...base, type: 'rescan', params: {} }, DEFAULT_COMMAND_POLICY, now, new Set())).toEqual({ accept: true });
    for (const command of [
      { ...base, type: 'unbind', params: {} },
      { ...base, type: 'demobilize', params: { scope: 'all' } },
      { ...base, type: 'restore', params: { scope: 'user', user: 'jdoe' } },
      { ...base, type: 'loginwindow', params: { preset: 'okta' } },
      { ...base, type: 'takeover', params: { mappings: [{ localUser: 'jdoe', identity: 'jdoe@example.com' }] } },
    ] as Command[]) {
      expect(decideCommand(command, DEFAULT_COMMAND_POLICY, now, new Set())).toMatchObject({ accept: false, code: 'E_COMMAND_NOT_ALLOWED' });
    }
  });

  it('rejects an expired command', () => {
    expect(decideCommand({ ...base, type: 'rescan', params: {} }, allowAll, new Date('2026-11-01T13:00:00Z'), new Set())).toMatchObject({ code: 'E_COMMAND_EXPIRED' });
  });

  it('rejects a repeated command id', () => {
    expect(decideCommand({ ...base, type: 'rescan', params: {} }, allowAll, now, new Set([base.id]))).toMatchObject({ code: 'E_COMMAND_REPEATED' });
  });

  it('rejects commands issued in the future or valid for too long', () => {
    expect(decideCommand({ ...base, issuedAt: '2026-11-01T12:30:00Z', type: 'rescan', params: {} }, allowAll, now, new Set())).toMatchObject({ code: 'E_COMMAND_INVALID' });
    expect(decideCommand({ ...base, validUntil: '2026-12-30T00:00:00Z', type: 'rescan', params: {} }, allowAll, now, new Set())).toMatchObject({ code: 'E_COMMAND_INVALID' });
  });

  it('validates params against the local configuration', () => {
    expect(decideCommand({ ...base, type: 'loginwindow', params: { preset: 'unknown' } }, allowAll, now, new Set())).toMatchObject({ code: 'E_PRESET_NOT_ALLOWED' });
    expect(decideCommand({ ...base, type: 'loginwindow', params: { preset: 'okta' } }, allowAll, now, new Set())).toEqual({ accept: true });
    expect(decideCommand({ ...base, type: 'demobilize', params: { scope: 'user', user: 'supportadmin' } }, allowAll, now, new Set())).toMatchObject({ code: 'E_ACCOUNT_PROTECTED' });
    expect(decideCommand({ ...base, type: 'restore', params: { scope: 'user', user: 'SupportAdmin' } }, allowAll, now, new Set())).toMatchObject({ code: 'E_ACCOUNT_PROTECTED' });
    const protectedMapping = { mappings: [{ localUser: 'jdoe', identity: 'x' }, { localUser: 'supportadmin', identity: 'y' }] };
    expect(decideCommand({ ...base, type: 'takeover', params: protectedMapping }, allowAll, now, new Set())).toMatchObject({ code: 'E_ACCOUNT_PROTECTED' });
    const twice = { mappings: [{ localUser: 'a', identity: 'x' }, { localUser: 'a', identity: 'y' }] };
    expect(decideCommand({ ...base, type: 'takeover', params: twice }, allowAll, now, new Set())).toMatchObject({ code: 'E_COMMAND_INVALID' });
  });
});

describe('durable queue', () => {
  it('keeps unacked items across a reopen, in order', () => {
    const dir = tempDir();
    const queue = DurableQueue.open(dir);
    const events = [0, 1, 2].map((seq) => sampleEvent(queue.takeSeq(), { message: `m${seq}` }));
    for (const event of events) queue.push({ kind: 'event', event });
    queue.ack([events[1]!.id]);
    queue.close();
    const reopened = DurableQueue.open(dir);
    expect(reopened.items().map((item) => (item.kind === 'event' ? item.event.id : ''))).toEqual([events[0]!.id, events[2]!.id]);
    expect(reopened.takeSeq()).toBe(3);
    expect(statSync(path.join(dir, QUEUE_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('drops the oldest items when full and counts them until reported', () => {
    const dir = tempDir();
    const queue = DurableQueue.open(dir, { maxItems: 3, maxBytes: 1_000_000 });
    const events = Array.from({ length: 5 }, (_, index) => sampleEvent(index));
    for (const event of events) queue.push({ kind: 'event', event });
    expect(queue.items().map((item) => (item.kind === 'event' ? item.event.seq : -1))).toEqual([2, 3, 4]);
    queue.close();
    const reopened = DurableQueue.open(dir, { maxItems: 3, maxBytes: 1_000_000 });
    expect(reopened.dropped).toBe(2);
    expect(reopened.takeDropped()).toBe(2);
    reopened.close();
    expect(DurableQueue.open(dir).dropped).toBe(0);
  });

  it('bounds the queue by bytes too', () => {
    const queue = DurableQueue.open(tempDir(), { maxItems: 1000, maxBytes: 2000 });
    for (let seq = 0; seq < 20; seq += 1) queue.push({ kind: 'event', event: sampleEvent(seq, { message: 'x'.repeat(300) }) });
    expect(queue.size).toBeLessThan(6);
    expect(queue.dropped).toBeGreaterThan(14);
  });

  it('ignores a line cut by a crash and keeps what came before', () => {
    const dir = tempDir();
    const queue = DurableQueue.open(dir);
    const event = sampleEvent(queue.takeSeq());
    queue.push({ kind: 'event', event });
    queue.close();
    appendFileSync(path.join(dir, QUEUE_FILE_NAME), '{"op":"add","item":{"kind":"ev');
    expect(DurableQueue.open(dir).items()).toHaveLength(1);
  });

  it('compacts the file as acks accumulate', () => {
    const dir = tempDir();
    const queue = DurableQueue.open(dir);
    for (let seq = 0; seq < 3000; seq += 1) {
      const event = sampleEvent(seq);
      queue.push({ kind: 'event', event });
      queue.ack([event.id]);
    }
    const lines = readFileSync(path.join(dir, QUEUE_FILE_NAME), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(1100);
    queue.close();
    expect(DurableQueue.open(dir).takeSeq()).toBe(3000);
  });
});

describe('token file', () => {
  it('writes the token root-only and reads it back', () => {
    const dir = tempDir();
    const token = { deviceId: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', token: 'a'.repeat(43), serverUrl: 'https://fleet.example.com' };
    writeToken(dir, token);
    expect(statSync(path.join(dir, TOKEN_FILE_NAME)).mode & 0o777).toBe(0o600);
    expect(readToken(dir)).toEqual(token);
  });

  it('treats a corrupt token file as no token', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, TOKEN_FILE_NAME), '{"deviceId":', { mode: 0o600 });
    expect(readToken(dir)).toBeUndefined();
  });
});

describe('done commands', () => {
  it('remembers completed ids across a reopen and forgets them after retention', () => {
    const dir = tempDir();
    const done = DoneCommands.open(dir);
    done.add('a', new Date('2026-11-01T00:00:00Z'));
    expect(DoneCommands.open(dir).has('a')).toBe(true);
    done.add('b', new Date('2026-12-01T00:00:00Z'));
    const reopened = DoneCommands.open(dir);
    expect(reopened.has('a')).toBe(false);
    expect(reopened.has('b')).toBe(true);
  });
});
