// Fleet-wide aggregates (overview counts, progress per day) scan every device row: tens of milliseconds at 50,000
// devices, more on the embedded database. The dashboard polls them every few seconds, so each is computed at most
// once per `freshMs` and, while somebody read it within `keepWarmMs`, recomputed in the background, so readers get
// a value at most about `freshMs` old without waiting for the scan. A stale value is never served past `maxStaleMs`.

/** How the cache trades freshness for latency. */
export interface WarmCacheOptions {
  /** A value younger than this is served as is. */
  freshMs: number;
  /** A value older than freshMs but younger than this is served while a refresh runs. */
  maxStaleMs: number;
  /** Keep refreshing a key every freshMs while it was read within this long. */
  keepWarmMs: number;
  /** Most keys kept; the least recently read is dropped past it. */
  maxKeys: number;
}

interface Entry<T> {
  value?: T;
  keepWarm: boolean;
  computedAt: number;
  readAt: number;
  inFlight?: Promise<T>;
  timer?: NodeJS.Timeout;
  compute: () => Promise<T>;
}

/** Keyed values computed by single-flight refreshes and kept warm while read. */
export class WarmCache {
  readonly #options: WarmCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<unknown>>();
  #generation = 0;
  #closed = false;

  constructor(options: WarmCacheOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /**
   * The value of `key`, computed by `compute` when there is none fresh enough. `keepWarm: false` is for keys read
   * once (a search): cached and shared while fresh, never refreshed in the background.
   */
  async get<T>(key: string, compute: () => Promise<T>, options: { keepWarm?: boolean } = {}): Promise<T> {
    if (this.#closed) return compute();
    let entry = this.#entries.get(key) as Entry<T> | undefined;
    const now = this.#now();
    if (entry === undefined) {
      entry = { computedAt: 0, readAt: now, compute, keepWarm: options.keepWarm ?? true };
      this.#entries.set(key, entry as Entry<unknown>);
      this.#evict();
    }
    entry.readAt = now;
    entry.compute = compute;
    const age = now - entry.computedAt;
    if (entry.value !== undefined && age < this.#options.freshMs) return entry.value;
    const refresh = this.#refresh(key, entry);
    if (entry.value !== undefined && age < this.#options.maxStaleMs) return entry.value;
    return refresh;
  }

  /** Forget every value: the next read waits for a new one (after a change this instance made, such as a deletion). */
  invalidate(): void {
    this.#generation += 1;
    for (const entry of this.#entries.values()) {
      entry.value = undefined;
      entry.computedAt = 0;
    }
  }

  /** Stop background refreshes. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
  }

  #refresh<T>(key: string, entry: Entry<T>): Promise<T> {
    if (entry.inFlight !== undefined) return entry.inFlight;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const generation = this.#generation;
    const started = this.#now();
    const run = entry.compute().then(
      (value) => {
        entry.inFlight = undefined;
        // A value computed across an invalidation may predate the change: keep it only for this caller.
        if (generation === this.#generation) {
          entry.value = value;
          entry.computedAt = started;
        }
        this.#scheduleKeepWarm(key, entry);
        return value;
      },
      (error: unknown) => {
        entry.inFlight = undefined;
        throw error;
      },
    );
    entry.inFlight = run;
    // Background refreshes nobody awaits must not surface as unhandled rejections; readers still see the error.
    run.catch(() => undefined);
    return run;
  }

  #scheduleKeepWarm<T>(key: string, entry: Entry<T>): void {
    if (this.#closed || !entry.keepWarm || this.#entries.get(key) !== entry) return;
    if (this.#now() - entry.readAt > this.#options.keepWarmMs) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!this.#closed && this.#entries.get(key) === entry) void this.#refresh(key, entry).catch(() => undefined);
    }, this.#options.freshMs);
    entry.timer.unref();
  }

  #evict(): void {
    while (this.#entries.size > this.#options.maxKeys) {
      let oldestKey: string | undefined;
      let oldestRead = Infinity;
      for (const [key, entry] of this.#entries) {
        if (entry.readAt < oldestRead) {
          oldestRead = entry.readAt;
          oldestKey = key;
        }
      }
      if (oldestKey === undefined) return;
      clearTimeout(this.#entries.get(oldestKey)?.timer);
      this.#entries.delete(oldestKey);
    }
  }
}
