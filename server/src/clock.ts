// Time as a dependency, so tests can move it.

/** Where the server reads the current time. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
