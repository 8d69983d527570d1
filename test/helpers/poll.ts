// Waiting in end-to-end tests for something another process does: read until the value is there, or fail naming
// what never came. Tests wait for state, never for a duration.

/** Call `read` every `intervalMs` until it returns a value; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function poll<T>(read: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
