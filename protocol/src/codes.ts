// Registry of every error, close and event code the agent and the server put on the wire or in logs.
// Each code has a one-line meaning mirrored in docs/errors.md (a test checks both directions).
// Codes are never reused: a retired code stays here with `retired` set to the version that retired it.

/** One entry of the registry. */
export interface CodeEntry {
  readonly meaning: string;
  readonly retired?: string;
}

/** Error codes carried in `commandResult`, `error` details, HTTP error bodies and logs. */
export const ERROR_CODES = {
  E_BAD_JSON: { meaning: 'A frame or body was not valid JSON.' },
  E_BAD_MESSAGE: { meaning: 'A frame or body was JSON but did not match the schema for its type.' },
  E_FRAME_TOO_LARGE: { meaning: 'A frame or body exceeded the documented size limit.' },
  E_UNAUTHENTICATED: { meaning: 'No credential, or a credential the server does not know.' },
  E_FORBIDDEN: { meaning: 'The credential is valid but not for this device or this operation.' },
  E_IDENTITY_MISMATCH: { meaning: 'The hello named a hardware UUID other than the one the token was issued to.' },
  E_UNSUPPORTED_VERSION: { meaning: 'The peer speaks a protocol version this build does not accept.' },
  E_HELLO_TIMEOUT: { meaning: 'The agent did not send hello soon enough after connecting.' },
  E_HELLO_REQUIRED: { meaning: 'The agent sent another message before hello.' },
  E_REPLACED: { meaning: 'A newer connection for the same device replaced this one.' },
  E_SLOW_CONSUMER: { meaning: 'The peer did not read fast enough and its send buffer passed the limit.' },
  E_SHUTTING_DOWN: { meaning: 'The server is stopping; reconnect with backoff.' },
  E_ENROLL_SECRET_INVALID: { meaning: 'The enrollment secret is unknown, revoked or expired.' },
  E_ENROLL_LIMIT_REACHED: { meaning: 'The enrollment secret already enrolled as many new devices as its maxDevices allows.' },
  E_NOT_FOUND: { meaning: 'The requested resource does not exist.' },
  E_CONFIRMATION_MISMATCH: { meaning: 'A group command was confirmed for a different number of devices than it matches.' },
  E_INTERNAL: { meaning: 'An unexpected server error; the details are in the server log.' },
  E_COMMAND_EXPIRED: { meaning: 'The command arrived after its validUntil.' },
  E_COMMAND_REPEATED: { meaning: 'The command id was already completed or is running on this device; the repeat is ignored.' },
  E_COMMAND_NOT_ALLOWED: { meaning: 'The local configuration does not allow this command type.' },
  E_COMMAND_INVALID: { meaning: 'The command parameters failed validation on the agent.' },
  E_COMMAND_NO_HANDLER: { meaning: 'The agent has no handler for an allowed command type.' },
  E_COMMAND_FAILED: { meaning: 'The command handler ran and reported a failure.' },
  E_COMMAND_BUSY: { meaning: 'Another command is running; the agent runs one at a time.' },
  E_ACCOUNT_PROTECTED: { meaning: 'The command names an account the local configuration protects, or the last SecureToken holder; nothing was changed.' },
  E_PRESET_NOT_ALLOWED: { meaning: 'The login window preset is not in the local allowedLoginWindowPresets; nothing was changed.' },
  E_RATE_LIMITED: { meaning: 'Too many failed attempts from this user or address; try again later.' },
  E_QUEUE_FULL: { meaning: 'The agent offline queue was full and dropped its oldest items.' },
  E_UNSTORABLE: { meaning: 'The store refused a value of this frame (a character or a time out of its range); the frame is refused, never retried.' },
  E_FRAME_RATE_LIMITED: { meaning: 'The agent sent inventory or stage state frames faster than the per-connection limit.' },
  E_STREAM_LIMIT: { meaning: 'The server instance holds as many live dashboard streams as it allows; retry after the Retry-After delay.' },
  E_LOCK_EXISTS: { meaning: 'An active lock of the same user name or identity exists already; unlock it first or keep it.' },
  E_LOCK_RELEASED: { meaning: 'The lock was already released; a lock is unlocked once.' },
  // Agent-side codes: in command results, events and the agent's log.
  E_TOOL_MISSING: { meaning: 'A macOS tool the agent needs is not installed at its absolute path.' },
  E_TOOL_TIMEOUT: { meaning: 'A macOS tool did not finish within its timeout and was killed.' },
  E_TOOL_FAILED: { meaning: 'A macOS tool exited with a failure; the message carries its arguments, DS error and stderr.' },
  E_TOOL_OUTPUT: { meaning: "A macOS tool's output did not have the shape the parser knows; nothing was guessed." },
  E_FILE_IO: { meaning: 'A file on the Mac could not be read or written.' },
  E_FILE_BINARY_PLIST: { meaning: 'Retired in 0.1.0 (binary plists are read since); do not reuse.', retired: '0.1.0' },
  E_FILE_BAD_PLIST: { meaning: 'A property list file (XML or binary) is malformed.' },
  E_FILE_UNEXPECTED_TYPE: { meaning: 'A path is a symlink, directory or other type where a regular file was expected.' },
  E_FILE_UNSAFE: { meaning: "A file or folder in a place a user controls failed root's checks (owner, links, permissions, swapped); it was not touched." },
  E_TOOL_UNTRUSTED: { meaning: 'A tool outside the system volume, or a folder above it, is not owned and writable only by root; it was not run.' },
  E_NOT_ROOT: { meaning: 'A command that changes the Mac was run without root; nothing was changed.' },
  E_BUSY: { meaning: 'Another Untether action holds the lock (CLI or daemon); try again when it finishes.' },
  E_UNKNOWN_USER: { meaning: 'A named account does not exist on this Mac; nothing was changed.' },
  E_NO_HOME: { meaning: 'An account record has no NFSHomeDirectory where the operation needs one.' },
  E_LOGGED_IN: { meaning: 'The account has a session (console, fast user switching, terminal, SSH or processes); the change waits for logout.' },
  E_NO_SNAPSHOT: { meaning: 'Restore was asked for an account Untether never changed (no snapshot).' },
  E_SNAPSHOT_MISSING: { meaning: 'A journal entry names a snapshot file that does not exist.' },
  E_SNAPSHOT_CORRUPT: { meaning: 'A snapshot is not valid JSON, fails its schema or its checksum; it is never used to restore.' },
  E_UNTYPED_ATTRIBUTE: { meaning: 'A record to write back names an attribute without its dsAttrTypeStandard: or dsAttrTypeNative: type; it is never written.' },
  E_DIRECTORY_NOT_ANSWERING: { meaning: 'opendirectoryd did not answer again within the timeout after its restart.' },
  E_ROLLED_BACK: { meaning: 'An account change failed and the account was put back exactly as its snapshot.' },
  E_NEEDS_ADMIN: { meaning: 'An account change failed and the rollback could not prove the snapshot state; an admin must look.' },
  E_DEMOBILIZE_FAILED: { meaning: 'A demobilize stage ended with at least one account rolled back or failed.' },
  E_STAGE_FAILED: { meaning: 'A migration stage failed without a more specific code.' },
  E_MOBILE_ACCOUNTS_REMAIN: { meaning: 'Unbind was refused because mobile accounts remain; demobilize first.' },
  E_UNBIND_NOT_VERIFIED: { meaning: 'After the unbind, dsconfigad still shows a binding or an AD search path remains.' },
  E_LOGINWINDOW_ANCHOR_MISSING: { meaning: 'The login chain lacks a mechanism a preset inserts relative to; nothing was written.' },
  E_LOGINWINDOW_INVALID_CHAIN: { meaning: 'A login chain holds an entry that is not a mechanism name.' },
  E_LOGINWINDOW_NO_DEFAULT: { meaning: 'The macOS default chain could not be read from authorization.plist.' },
  E_LOGINWINDOW_PLUGIN_MISSING: { meaning: 'A preset names a login plug-in that is not installed; writing it would stop every login.' },
  E_LOGINWINDOW_STATE: { meaning: "The login window's recorded state file is unreadable." },
  E_LOGINWINDOW_VERIFY: { meaning: 'The chain read back after a write was not the one written; the backup was restored.' },
  E_LOG_UNREADABLE: { meaning: 'The agent log could not be read.' },
  E_MAPPING_CSV: { meaning: 'A takeover mapping CSV is malformed (quotes, encoding, size); nothing was changed.' },
  E_MAPPING_FILE: { meaning: 'A takeover mapping file could not be read.' },
  E_MAPPING_INVALID: { meaning: 'A takeover mapping row is refused (bad value or conflict); nothing was changed.' },
  E_TAKEOVER_PROVIDER: { meaning: 'The identity provider could not be detected from the login window; give it explicitly.' },
  E_ALIAS_GROUP_CONFLICT: { meaning: 'The local alias group for an AD primary GID exists with another GID; the account was rolled back.' },
  E_RENAME_TARGET: { meaning: 'An account rename step found the account under another name than planned; the account was rolled back.' },
  E_NOTIFY_LEDGER: { meaning: 'The ledger of login notices could not be read or written.' },
  E_LOCK_NOT_OURS: { meaning: 'Unlock refused: the account is disabled by something other than Untether (pwpolicy, an admin, another tool); nothing was changed.' },
  E_LOCK_SYSTEM_ACCOUNT: { meaning: "Lock refused: the account is a system account (root, daemons, _ accounts, UID below 500); nothing was changed." },
  E_LOCK_LAST_ADMIN: { meaning: 'Lock refused: the account is the only administrator whose logins are not disabled; nothing was changed.' },
  E_IDENTITY_NOT_LINKED: { meaning: 'No local account on this Mac is linked to the cloud identity a command names; nothing was changed.' },
  E_IDENTITY_AMBIGUOUS: { meaning: 'Several local accounts are linked to the cloud identity a command names; nothing was changed.' },
  E_USER_AMBIGUOUS: { meaning: 'A short name given in another case matches several accounts that differ only in case; nothing was changed.' },
  E_LOGOUT_FAILED: { meaning: "The account was locked but the user's session did not end after launchctl bootout; the lock applies at the next login." },
} as const satisfies Record<string, CodeEntry>;

/** An error code from the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * WebSocket close codes the server uses (4000–4999 is the application range of RFC 6455).
 * 1009 (message too big) is sent by ws itself when a frame exceeds maxPayload.
 */
export const CLOSE_CODES = {
  BAD_MESSAGE: { code: 4400, error: 'E_BAD_MESSAGE' },
  UNAUTHENTICATED: { code: 4401, error: 'E_UNAUTHENTICATED' },
  IDENTITY_MISMATCH: { code: 4403, error: 'E_IDENTITY_MISMATCH' },
  UNSUPPORTED_VERSION: { code: 4406, error: 'E_UNSUPPORTED_VERSION' },
  HELLO_TIMEOUT: { code: 4408, error: 'E_HELLO_TIMEOUT' },
  REPLACED: { code: 4409, error: 'E_REPLACED' },
  SLOW_CONSUMER: { code: 4429, error: 'E_SLOW_CONSUMER' },
  FRAME_RATE_LIMITED: { code: 4430, error: 'E_FRAME_RATE_LIMITED' },
  SHUTTING_DOWN: { code: 1001, error: 'E_SHUTTING_DOWN' },
  INTERNAL: { code: 1011, error: 'E_INTERNAL' },
} as const satisfies Record<string, { code: number; error: ErrorCode }>;

/** Event kinds an agent reports in `event` messages. */
export const EVENT_KINDS = {
  'step.started': { meaning: 'A migration step began on the Mac.' },
  'step.succeeded': { meaning: 'A migration step finished and was verified.' },
  'step.failed': { meaning: 'A migration step failed; detail carries the error code and message.' },
  'stage.changed': { meaning: 'The agent moved to another migration stage.' },
  'gate.refused': { meaning: 'A safety gate refused to let a step run (e.g. user logged in, no network).' },
  'config.invalid': { meaning: 'The local configuration profile failed validation; the agent uses safe defaults.' },
  'queue.dropped': { meaning: 'The agent offline queue was full and dropped its oldest events; detail.count says how many.' },
  'command.received': { meaning: 'The agent accepted a server command and started it.' },
  'agent.started': { meaning: 'The agent daemon started.' },
} as const satisfies Record<string, CodeEntry>;

/** An event kind from the registry. */
export type EventKind = keyof typeof EVENT_KINDS;
