// Telling a value the store refuses (that frame can never be stored) from a store that is failing (any frame would
// fail now and may succeed later). Only the first kind is refused to the agent; the second closes the connection so
// the agent re-sends after reconnecting.
import { sqlState } from '../store/driver.js';

/**
 * SQLSTATEs that mean "this value can never be stored": class 22 (data exception: NUL in text or jsonb, a time out of
 * range, an unpaired surrogate in jsonb) and 23514 (a CHECK constraint). Foreign-key and connection errors are not
 * here: they depend on the moment, not on the frame.
 */
export function isValueRefusal(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code === '23514');
}
