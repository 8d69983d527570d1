// Event ingestion: events from every connection are gathered for a few milliseconds into one INSERT (duplicates
// ignored by the store), then each connection gets one ack with the ids of its events. Acks are sent only after
// the INSERT committed, so an agent drops an event from its queue only once it is stored. A value the store
// refuses is isolated by retrying per connection and then per frame: only that frame is refused.
// Several batches may be in the store at once (`concurrency`): PostgreSQL works on one while the next is parsed and
// sent, instead of the event loop waiting on each commit in turn.
import type { Logger } from 'winston';
import type { AgentEvent } from '../../../protocol/src/index.js';
import { MAX_ACK_IDS } from '../../../protocol/src/index.js';
import type { Clock } from '../clock.js';
import type { ChangeSink } from '../live/change-feed.js';
import type { Store } from '../store/store.js';
import type { DeviceConnection } from './connection.js';
import { sqlState } from '../store/driver.js';
import { isValueRefusal } from './store-refusal.js';

interface Pending {
  connection: DeviceConnection;
  event: AgentEvent;
  /** performance.now() when it arrived: a partial batch waits at most flushMs from its oldest event. */
  at: number;
}

/** Counters for tests, benchmarks and logs. */
export interface IngestStats {
  received: number;
  inserted: number;
  batches: number;
  failedBatches: number;
  /** Events the store refused one by one after a batch failed on a value (each refused to its agent). */
  refused: number;
}

/** Batches events into the store and acks them. */
export class EventIngest {
  readonly stats: IngestStats = { received: 0, inserted: 0, batches: 0, failedBatches: 0, refused: 0 };
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #onSettled: (connection: DeviceConnection, count: number) => void;
  readonly #changes: ChangeSink;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #running = new Set<Promise<void>>();

  constructor(options: {
    store: Store;
    clock: Clock;
    logger: Logger;
    flushMs: number;
    batchSize: number;
    /** Batches in the store at once. */
    concurrency: number;
    /** Called when `count` events of a connection left the in-flight state (stored or failed). */
    onSettled: (connection: DeviceConnection, count: number) => void;
    /** Told when new events were stored (coalesced there, so once per batch is fine). */
    changes: ChangeSink;
  }) {
    this.#changes = options.changes;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#flushMs = options.flushMs;
    this.#batchSize = options.batchSize;
    this.#concurrency = Math.max(1, options.concurrency);
    this.#onSettled = options.onSettled;
  }

  /** Queue one event of a connection. */
  add(connection: DeviceConnection, event: AgentEvent): void {
    this.stats.received += 1;
    this.#queue.push({ connection, event, at: performance.now() });
    this.#pump();
  }

  /**
   * Start batches while there is a free slot and a full batch, or a partial one whose oldest event has waited
   * flushMs; otherwise wait for that moment (or for a running batch to end, which pumps again).
   */
  #pump(): void {
    while (this.#queue.length > 0 && this.#running.size < this.#concurrency) {
      const waitedMs = performance.now() - this.#queue[0]!.at;
      if (this.#queue.length < this.#batchSize && waitedMs < this.#flushMs) {
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, this.#flushMs - waitedMs);
        return;
      }
      this.#start(this.#queue.splice(0, this.#batchSize));
    }
  }

  #start(batch: Pending[]): void {
    const running: Promise<void> = this.#insert(batch)
      .catch((error: unknown) => {
        this.#logger.error('events_batch_failed', { count: batch.length, error: (error as Error).message });
      })
      .finally(() => {
        this.#running.delete(running);
        this.#pump();
      });
    this.#running.add(running);
  }

  async #insert(batch: Pending[]): Promise<void> {
    const byConnection = new Map<DeviceConnection, Pending[]>();
    for (const pending of batch) {
      const group = byConnection.get(pending.connection) ?? [];
      group.push(pending);
      byConnection.set(pending.connection, group);
    }
    try {
      await this.#storeAndAck(batch);
      this.stats.batches += 1;
    } catch (error) {
      this.stats.failedBatches += 1;
      if (!isValueRefusal(error)) {
        // The store itself is failing: any frame would. Unacked events stay in the agents' queues and come again.
        this.#logger.error('events_insert_failed', { count: batch.length, sqlState: sqlState(error), error: (error as Error).message });
        for (const connection of byConnection.keys()) connection.close('INTERNAL', 'storing events failed');
      } else {
        // One value the store refuses fails the whole INSERT: isolate it, first by connection, then by frame, so
        // only that frame is refused and every other device keeps its events and its socket.
        this.#logger.warn('events_batch_value_refused', { count: batch.length, connections: byConnection.size, sqlState: sqlState(error) });
        for (const [connection, group] of byConnection) await this.#insertConnection(connection, group, byConnection.size > 1);
      }
    } finally {
      for (const [connection, group] of byConnection) this.#onSettled(connection, group.length);
    }
  }

  /** Store one connection's events alone, and frame by frame if that fails too. */
  async #insertConnection(connection: DeviceConnection, group: Pending[], tryWhole: boolean): Promise<void> {
    if (tryWhole) {
      try {
        await this.#storeAndAck(group);
        return;
      } catch (error) {
        if (!isValueRefusal(error)) return this.#failConnection(connection, error);
      }
    }
    for (const pending of group) {
      if (connection.closing) return;
      try {
        await this.#storeAndAck([pending]);
      } catch (error) {
        if (!isValueRefusal(error)) return this.#failConnection(connection, error);
        this.stats.refused += 1;
        this.#logger.warn('event_refused', { deviceId: connection.deviceId, eventId: pending.event.id, seq: pending.event.seq, sqlState: sqlState(error) });
        connection.refuse([pending.event.id], 'E_UNSTORABLE', `the store refused a value of this event (SQLSTATE ${sqlState(error) ?? 'unknown'})`);
      }
    }
  }

  #failConnection(connection: DeviceConnection, error: unknown): void {
    this.#logger.error('events_insert_failed', { deviceId: connection.deviceId, sqlState: sqlState(error), error: (error as Error).message });
    connection.close('INTERNAL', 'storing events failed');
  }

  /** INSERT `items` in one statement, then ack each connection's ids (acks only after the commit). */
  async #storeAndAck(items: Pending[]): Promise<void> {
    const { inserted } = await this.#store.insertEvents(
      items.map(({ connection, event }) => ({ deviceId: connection.deviceId, event })),
      this.#clock.now(),
    );
    this.stats.inserted += inserted;
    if (inserted > 0) this.#changes.changed('events');
    const ids = new Map<DeviceConnection, string[]>();
    for (const { connection, event } of items) {
      const connectionIds = ids.get(connection);
      if (connectionIds === undefined) ids.set(connection, [event.id]);
      else connectionIds.push(event.id);
    }
    for (const [connection, connectionIds] of ids) {
      for (let start = 0; start < connectionIds.length; start += MAX_ACK_IDS) {
        connection.send({ type: 'ack', ids: connectionIds.slice(start, start + MAX_ACK_IDS) });
      }
    }
  }

  /** Store everything queued (shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0 || this.#running.size > 0) {
      while (this.#queue.length > 0 && this.#running.size < this.#concurrency) this.#start(this.#queue.splice(0, this.#batchSize));
      await Promise.race(this.#running);
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
