// Throttling of password logins. An attempt takes its slot BEFORE the slow password hash, so concurrent guesses
// cannot all be checked while the counters still read zero. Limits are per (user, address) and per address, so one
// address cannot lock an account out everywhere; across all addresses a user's failures only slow attempts down
// (one per `userSpacingMs`), never lock: the real admin at another address still gets in.
import { FailureThrottle } from './throttle.js';

/** The limits, each counted over `windowMs`. */
export interface LoginLimits {
  windowMs: number;
  /** Failures of one user from one address before that pair is refused. */
  perUserAndAddress: number;
  /** Failures from one address (any user) before the address is refused. */
  perAddress: number;
  /** Failures of one user from all addresses before its attempts are spaced out. */
  userSlowdownAfter: number;
  /** The spacing then: at most one attempt for that user per this many ms. */
  userSpacingMs: number;
}

/** 10 per user and address, 30 per address, then slow down after 100 failures of one user: in 15 minutes. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60_000,
  perUserAndAddress: 10,
  perAddress: 30,
  userSlowdownAfter: 100,
  userSpacingMs: 2000,
};

/** A reserved attempt: report how it ended. */
export interface LoginSlot {
  succeeded(): void;
}

export type LoginReservation = { ok: true; slot: LoginSlot } | { ok: false; reason: 'user-and-address' | 'address' | 'user-slowdown'; retryAfterMs: number };

/** Per-instance login throttle (in memory). */
export class LoginThrottle {
  readonly #limits: LoginLimits;
  readonly #byPair: FailureThrottle;
  readonly #byAddress: FailureThrottle;
  readonly #byUser: FailureThrottle;
  readonly #lastUserAttempt = new Map<string, number>();

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.#limits = limits;
    this.#byPair = new FailureThrottle(limits.perUserAndAddress, limits.windowMs);
    this.#byAddress = new FailureThrottle(limits.perAddress, limits.windowMs);
    this.#byUser = new FailureThrottle(limits.userSlowdownAfter, limits.windowMs);
  }

  /** Take a slot for one attempt, counted as a failure until `succeeded()`; synchronous, so concurrent calls see each other. */
  reserve(username: string, address: string, now: number): LoginReservation {
    const pair = JSON.stringify([username, address]);
    if (this.#byPair.isBlocked(pair, now)) return { ok: false, reason: 'user-and-address', retryAfterMs: this.#limits.windowMs };
    if (this.#byAddress.isBlocked(address, now)) return { ok: false, reason: 'address', retryAfterMs: this.#limits.windowMs };
    if (this.#byUser.isBlocked(username, now)) {
      const last = this.#lastUserAttempt.get(username);
      if (last !== undefined && now - last < this.#limits.userSpacingMs) {
        return { ok: false, reason: 'user-slowdown', retryAfterMs: this.#limits.userSpacingMs - (now - last) };
      }
      this.#lastUserAttempt.set(username, now);
      if (this.#lastUserAttempt.size > 10_000) this.#lastUserAttempt.delete(this.#lastUserAttempt.keys().next().value ?? '');
    }
    this.#byPair.fail(pair, now);
    this.#byAddress.fail(address, now);
    this.#byUser.fail(username, now);
    return {
      ok: true,
      slot: {
        succeeded: () => {
          this.#byPair.clear(pair);
          this.#byAddress.forgive(address, now);
          this.#byUser.forgive(username, now);
        },
      },
    };
  }
}
