// Reconnect delays: exponential growth with full jitter, so agents that lost the server together do not come
// back together (the thundering herd after an outage).

/** Tunables of the reconnect backoff. */
export interface BackoffOptions {
  /** Upper bound of the first retry's window. */
  baseMs: number;
  /** The window stops growing here. */
  capMs: number;
}

/** 1 s doubling up to 10 min: an outage of an hour spreads 100,000 agents over ten minutes of reconnects. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 10 * 60_000 };

/** After a connection that was up drops, the first retry waits uniform [0, this): agents do not return in step. */
export const FIRST_RETRY_MAX_MS = 15_000;

/**
 * Delay before retry number `attempt` (0-based): uniform in [0, min(cap, base * 2^attempt)). The jitter is
 * applied after the cap, so agents at the cap stay spread over the whole window.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const window = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * window);
}

/**
 * How long after a connection that was up dropped its failed retries keep windows of at most FIRST_RETRY_MAX_MS.
 * The usual outage is a server restart or upgrade of seconds: with the plain exponential backoff an agent that
 * failed five times while the server was down then waited up to 32 s more, and a fleet took over a minute to come
 * back. Past this, an outage is a real one and the windows grow to the cap, spreading the fleet's return.
 */
export const SHORT_OUTAGE_MS = 2 * 60_000;

/**
 * Delay before retry number `attempt` (0-based) of a failing connection. `sinceDropMs` is the time since the last
 * connection that was up ended, or null when there was none (start-up, enrollment).
 */
export function retryDelayMs(attempt: number, sinceDropMs: number | null, options: BackoffOptions, random: () => number): number {
  const shortOutage = sinceDropMs !== null && sinceDropMs < SHORT_OUTAGE_MS;
  return backoffDelayMs(attempt, shortOutage ? { baseMs: options.baseMs, capMs: Math.min(options.capMs, FIRST_RETRY_MAX_MS) } : options, random);
}
