// Event ingestion: events from every connection are gathered for a few milliseconds into one INSERT (duplicates
// ignored by the store), then each connection gets one ack with the ids of its events. Acks are sent only after
// the INSERT committed, so an agent drops an event from its queue only once it is stored.
import type { Logger } from 'winston';
import type { AgentEvent } from '../../../protocol/src/index.js';
import { MAX_ACK_IDS } from '../../../protocol/src/index.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import type { DeviceConnection } from './connection.js';

interface Pending {
  connection: DeviceConnection;
  event: AgentEvent;
}

/** Counters for tests, benchmarks and logs. */
export interface IngestStats {
  received: number;
  inserted: number;
  batches: number;
  failedBatches: number;
}

/** Batches events into the store and acks them. */
export class EventIngest {
  readonly stats: IngestStats = { received: 0, inserted: 0, batches: 0, failedBatches: 0 };
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #batchSize: number;
  readonly #onSettled: (connection: DeviceConnection, count: number) => void;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(options: {
    store: Store;
    clock: Clock;
    logger: Logger;
    flushMs: number;
    batchSize: number;
    /** Called when `count` events of a connection left the in-flight state (stored or failed). */
    onSettled: (connection: DeviceConnection, count: number) => void;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#flushMs = options.flushMs;
    this.#batchSize = options.batchSize;
    this.#onSettled = options.onSettled;
  }

  /** Queue one event of a connection. */
  add(connection: DeviceConnection, event: AgentEvent): void {
    this.stats.received += 1;
    this.#queue.push({ connection, event });
    if (this.#queue.length >= this.#batchSize) this.#kick(0);
    else this.#kick(this.#flushMs);
  }

  #kick(delayMs: number): void {
    if (this.#flushing !== undefined) return; // the running flush picks the queue up when it ends
    if (this.#timer !== undefined && delayMs > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#drain().finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#kick(0);
      });
    }, delayMs);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
      await this.#insert(batch);
    }
  }

  async #insert(batch: Pending[]): Promise<void> {
    const byConnection = new Map<DeviceConnection, string[]>();
    for (const { connection, event } of batch) {
      const ids = byConnection.get(connection) ?? [];
      ids.push(event.id);
      byConnection.set(connection, ids);
    }
    try {
      const { inserted } = await this.#store.insertEvents(
        batch.map(({ connection, event }) => ({ deviceId: connection.deviceId, event })),
        this.#clock.now(),
      );
      this.stats.inserted += inserted;
      this.stats.batches += 1;
      for (const [connection, ids] of byConnection) {
        for (let start = 0; start < ids.length; start += MAX_ACK_IDS) {
          connection.send({ type: 'ack', ids: ids.slice(start, start + MAX_ACK_IDS) });
        }
      }
    } catch (error) {
      this.stats.failedBatches += 1;
      this.#logger.error('events_insert_failed', { count: batch.length, error: (error as Error).message });
      // Unacked events stay in the agents' queues; a reconnect makes them send again.
      for (const connection of byConnection.keys()) connection.close('INTERNAL', 'storing events failed');
    } finally {
      for (const [connection, ids] of byConnection) this.#onSettled(connection, ids.length);
    }
  }

  /** Store everything queued (shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.#drain();
  }
}
