// The change feed: producers (gateway, dispatcher, API) say "topic X changed"; the feed gathers what changed over
// a short window, tells this instance's listeners, and publishes one NOTIFY so the other instances tell theirs.
// However many agents report at once, an instance sends at most one notice per window.
import type { Logger } from 'winston';
import type { Store } from '../store/store.js';
import { decodeChangeNotice, encodeChangeNotice, sortTopics, type LiveTopic } from './topics.js';

/** What producers hold: a place to say that something changed. Never blocks, never throws. */
export interface ChangeSink {
  changed(...topics: LiveTopic[]): void;
}

/** A sink that drops everything (tools and tests that build parts without a feed). */
export const IGNORE_CHANGES: ChangeSink = { changed: () => undefined };

/** Who hears about changes on this instance (the stream hub). */
export type ChangeListener = (topics: LiveTopic[]) => void;

/** Counters for tests and benchmarks. */
export interface ChangeFeedStats {
  /** Windows flushed here: each is one NOTIFY (or one failed attempt). */
  published: number;
  /** Notices from other instances delivered here. */
  received: number;
}

/** Coalesces local changes, publishes them through the store's NOTIFY, and delivers every instance's changes here. */
export class ChangeFeed implements ChangeSink {
  readonly stats: ChangeFeedStats = { published: 0, received: 0 };
  readonly #store: Store;
  readonly #instanceId: string;
  readonly #logger: Logger;
  readonly #coalesceMs: number;
  readonly #listeners = new Set<ChangeListener>();
  #pending = new Set<LiveTopic>();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(options: { store: Store; instanceId: string; logger: Logger; coalesceMs: number }) {
    this.#store = options.store;
    this.#instanceId = options.instanceId;
    this.#logger = options.logger;
    this.#coalesceMs = options.coalesceMs;
  }

  /** Listen for other instances' notices. */
  async start(): Promise<void> {
    this.#unlisten = await this.#store.onChangeNotice((payload) => this.#onNotice(payload));
  }

  changed(...topics: LiveTopic[]): void {
    if (this.#closed || topics.length === 0) return;
    for (const topic of topics) this.#pending.add(topic);
    // Trailing window: the first change opens it, everything until it closes goes out together.
    this.#timer ??= setTimeout(() => void this.flush(), this.#coalesceMs);
  }

  /** Hear every change seen by this instance (its own and the others'); returns the way to stop. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deliver and publish what is pending now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const topics = sortTopics(this.#pending);
    this.#pending = new Set();
    // Local listeners hear it directly, so this instance's own notice, when it comes back, is skipped.
    this.#deliver(topics);
    this.stats.published += 1;
    try {
      await this.#store.notifyChanges(encodeChangeNotice(this.#instanceId, topics));
    } catch (error) {
      // Browsers on other instances catch up at their next change or fallback poll; nothing else depends on it.
      this.#logger.warn('change_notice_failed', { topics, error: (error as Error).message });
    }
  }

  #onNotice(payload: string): void {
    const notice = decodeChangeNotice(payload);
    if (notice === undefined) {
      this.#logger.warn('change_notice_malformed', { bytes: payload.length });
      return;
    }
    if (notice.origin === this.#instanceId || notice.topics.length === 0) return;
    this.stats.received += 1;
    this.#deliver(notice.topics);
  }

  #deliver(topics: LiveTopic[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(topics);
      } catch (error) {
        this.#logger.error('change_listener_failed', { error: (error as Error).message });
      }
    }
  }

  /** Publish what is pending, then stop listening; later changes are dropped. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    await this.#unlisten?.();
    this.#unlisten = undefined;
    this.#listeners.clear();
  }
}
