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
  E_RATE_LIMITED: { meaning: 'Too many failed attempts from this user or address; try again later.' },
  E_QUEUE_FULL: { meaning: 'The agent offline queue was full and dropped its oldest items.' },
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
