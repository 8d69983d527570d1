// Who the agent runs as. Writes to directory records and the authorization database need root; reads
// mostly do not, so commands check this up front and say so plainly instead of failing half-way.

/** The effective user id of this process (0 for root). */
export function effectiveUid(): number {
  // process.geteuid exists on every POSIX platform the agent runs on (macOS, and Linux for tests).
  return process.geteuid?.() ?? -1;
}

/** Whether this process runs as root. */
export function isRunningAsRoot(): boolean {
  return effectiveUid() === 0;
}
