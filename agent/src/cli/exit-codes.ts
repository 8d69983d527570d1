// Exit codes are an interface: Jamf policies, launchd and admins' scripts branch on them.
// Never change or reuse a value; retire it with a note instead.
export const EXIT = {
  /** Everything asked for was done (or, with --dry-run, would be done). */
  OK: 0,
  /** The operation failed; the one-line reason is on stderr, details in the log. */
  FAILED: 1,
  /** The command line is wrong: unknown command, option or value. */
  USAGE: 2,
  /** The command exists in the interface but is not built in this version. */
  NOT_BUILT: 3,
  /** A safety gate refused the operation (for example the user is logged in); nothing was changed. */
  REFUSED: 4,
  /** The command writes to the system and must run as root. */
  NOT_ROOT: 5,
  /** Some accounts were handled, others failed or were refused; see the per-account results. */
  PARTIAL: 6,
  /** Another Untether action holds the lock; try again when it finishes. */
  BUSY: 7,
  /** The configuration (profile or preferences) is invalid; the message names the key. */
  BAD_CONFIG: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
