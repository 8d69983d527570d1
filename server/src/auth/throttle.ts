// Counts failed attempts per key (a user name, an address) in a sliding window and refuses further attempts
// while the count is over the limit, so passwords and enrollment secrets cannot be guessed at line rate.
// In memory, per instance: with N instances an attacker gets N times the budget, still far from a useful rate.

/** Most keys remembered; the oldest are forgotten first, so a flood of random keys cannot exhaust memory. */
const MAX_KEYS = 10_000;

/** A failure counter with a window. */
export class FailureThrottle {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #failures = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** True when `key` failed `limit` times within the window before `now`. */
  isBlocked(key: string, now: number): boolean {
    const recent = (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent.length >= this.#limit;
  }

  /** Record a failure of `key`. */
  fail(key: string, now: number): void {
    const recent = (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
    recent.push(now);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    if (this.#failures.size > MAX_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  /** Take back one failure of `key` recorded at `at` (an attempt counted in advance that succeeded). */
  forgive(key: string, at: number): void {
    const recent = this.#failures.get(key);
    const index = recent?.indexOf(at) ?? -1;
    if (recent === undefined || index === -1) return;
    recent.splice(index, 1);
    if (recent.length === 0) this.#failures.delete(key);
  }

  /** Forget `key` (after a success). */
  clear(key: string): void {
    this.#failures.delete(key);
  }
}
