// The durable offline queue: every event and command result goes here first and leaves only when the server
// acks its id. An append-only JSONL file (0600) survives restarts; it is compacted by rewriting it atomically.
// It is bounded by count and bytes: when full, the oldest items are dropped and the count is kept, so the
// agent can report a `queue.dropped` event.
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { AgentEvent, CommandResult } from '../../../protocol/src/index.js';
import { SECRET_FILE_MODE, writeFileAtomic } from './token-file.js';

/** File name of the queue inside the agent's data directory. */
export const QUEUE_FILE_NAME = 'outbox.jsonl';

/** Something waiting to reach the server. */
export type QueuedItem = { kind: 'event'; event: AgentEvent } | { kind: 'result'; result: CommandResult };

const QueuedItemSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('event'), event: AgentEvent }),
  z.strictObject({ kind: z.literal('result'), result: CommandResult }),
]);

const Line = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('meta'), nextSeq: z.number().int().nonnegative(), dropped: z.number().int().nonnegative() }),
  z.strictObject({ op: z.literal('add'), item: QueuedItemSchema }),
  z.strictObject({ op: z.literal('ack'), ids: z.array(z.string()) }),
  z.strictObject({ op: z.literal('drop'), count: z.number().int().positive() }),
  z.strictObject({ op: z.literal('reported') }),
]);
type Line = z.infer<typeof Line>;

/** Bounds of the queue. */
export interface QueueLimits {
  maxItems: number;
  maxBytes: number;
}

/** 10,000 items or 8 MiB: days of events of a busy migration, a bounded slice of a Mac's disk. */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxItems: 10_000, maxBytes: 8 * 1024 * 1024 };

/** The id the server acks an item by. */
export function queuedItemId(item: QueuedItem): string {
  return item.kind === 'event' ? item.event.id : item.result.commandId;
}

/** A bounded, durable FIFO of items keyed by id. */
export class DurableQueue {
  readonly #file: string;
  readonly #limits: QueueLimits;
  readonly #items = new Map<string, { item: QueuedItem; bytes: number }>();
  #bytes = 0;
  #nextSeq = 0;
  #dropped = 0;
  #fd: number;
  #lines = 0;

  private constructor(file: string, limits: QueueLimits) {
    this.#file = file;
    this.#limits = limits;
    this.#load();
    this.#fd = -1;
    this.#compact();
  }

  /** Open (or create) the queue in `dataDir`. */
  static open(dataDir: string, limits: QueueLimits = DEFAULT_QUEUE_LIMITS): DurableQueue {
    return new DurableQueue(path.join(dataDir, QUEUE_FILE_NAME), limits);
  }

  #load(): void {
    let rawText = '';
    try {
      rawText = readFileSync(this.#file, 'utf8');
    } catch {
      return;
    }
    for (const rawLine of rawText.split('\n')) {
      if (rawLine.trim() === '') continue;
      let parsed: ReturnType<typeof Line.safeParse>;
      try {
        parsed = Line.safeParse(JSON.parse(rawLine));
      } catch {
        continue; // a line cut by a crash mid-write; everything before it is intact
      }
      if (parsed.success) this.#apply(parsed.data);
    }
  }

  #apply(line: Line): void {
    switch (line.op) {
      case 'meta':
        this.#nextSeq = Math.max(this.#nextSeq, line.nextSeq);
        this.#dropped = line.dropped;
        return;
      case 'add': {
        const bytes = Buffer.byteLength(JSON.stringify(line.item));
        this.#items.set(queuedItemId(line.item), { item: line.item, bytes });
        this.#bytes += bytes;
        if (line.item.kind === 'event') this.#nextSeq = Math.max(this.#nextSeq, line.item.event.seq + 1);
        return;
      }
      case 'ack':
        for (const id of line.ids) this.#remove(id);
        return;
      case 'drop':
        this.#dropped += line.count;
        return;
      case 'reported':
        this.#dropped = 0;
        return;
      default: {
        const unreachable: never = line;
        throw new Error(`loading queue: unknown line ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #remove(id: string): void {
    const entry = this.#items.get(id);
    if (entry === undefined) return;
    this.#items.delete(id);
    this.#bytes -= entry.bytes;
  }

  #append(lines: Line[]): void {
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    writeSync(this.#fd, text);
    fdatasyncSync(this.#fd);
    this.#lines += lines.length;
    if (this.#lines > 2 * this.#items.size + 1000) this.#compact();
  }

  /** Rewrite the file with only the live items. */
  #compact(): void {
    const lines: Line[] = [{ op: 'meta', nextSeq: this.#nextSeq, dropped: this.#dropped }];
    for (const { item } of this.#items.values()) lines.push({ op: 'add', item });
    writeFileAtomic(this.#file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    if (this.#fd !== -1) closeSync(this.#fd);
    this.#fd = openSync(this.#file, 'a', SECRET_FILE_MODE);
    this.#lines = lines.length;
  }

  /** The next event sequence number (persisted, so it keeps increasing across restarts). */
  takeSeq(): number {
    const seq = this.#nextSeq;
    this.#nextSeq += 1;
    return seq;
  }

  /** Add an item, dropping the oldest ones if the queue is full. */
  push(item: QueuedItem): void {
    const bytes = Buffer.byteLength(JSON.stringify(item));
    const lines: Line[] = [];
    let dropped = 0;
    while (this.#items.size > 0 && (this.#items.size + 1 > this.#limits.maxItems || this.#bytes + bytes > this.#limits.maxBytes)) {
      const oldest = this.#items.keys().next().value as string;
      this.#remove(oldest);
      lines.push({ op: 'ack', ids: [oldest] });
      dropped += 1;
    }
    if (dropped > 0) {
      this.#dropped += dropped;
      lines.push({ op: 'drop', count: dropped });
    }
    this.#items.set(queuedItemId(item), { item, bytes });
    this.#bytes += bytes;
    if (item.kind === 'event') this.#nextSeq = Math.max(this.#nextSeq, item.event.seq + 1);
    lines.push({ op: 'add', item });
    this.#append(lines);
  }

  /** Remove acked items. */
  ack(ids: readonly string[]): void {
    const known = ids.filter((id) => this.#items.has(id));
    if (known.length === 0) return;
    for (const id of known) this.#remove(id);
    this.#append([{ op: 'ack', ids: known }]);
  }

  /** Items waiting, oldest first. */
  items(): QueuedItem[] {
    return [...this.#items.values()].map((entry) => entry.item);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Items dropped since the last report. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Return the dropped count and reset it (the caller reports it). */
  takeDropped(): number {
    const count = this.#dropped;
    if (count > 0) {
      this.#dropped = 0;
      this.#append([{ op: 'reported' }]);
    }
    return count;
  }

  close(): void {
    if (this.#fd !== -1) closeSync(this.#fd);
    this.#fd = -1;
  }
}
