// Telling a value the store refuses (that frame can never be stored) from a store that is failing (any frame would
// fail now and may succeed later). Only the first kind is refused to the agent; the second closes the connection so
// the agent re-sends after reconnecting.

/**
 * SQLSTATEs that mean "this value can never be stored": class 22 (data exception: NUL in text or jsonb, a time out of
 * range, an unpaired surrogate in jsonb) and 23514 (a CHECK constraint). Foreign-key and connection errors are not
 * here: they depend on the moment, not on the frame.
 */
export function isValueRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23514');
}

/** The SQLSTATE of a store error, for logs (never the value that caused it). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
