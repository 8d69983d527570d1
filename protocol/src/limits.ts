// Bounds on everything that crosses the wire. Every number here is documented in docs/protocol.md;
// change both together. The gateway and the agent enforce the same figures.

/** Wire protocol version spoken by this build. Bumped only for breaking changes. */
export const PROTOCOL_VERSION = 1;

/** Versions a server built from this tree accepts in `hello` (oldest first). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

/**
 * Largest WebSocket message either side accepts (ws `maxPayload`). An inventory of a Mac with a few hundred
 * accounts is ~100 KiB; anything bigger is a bug or an attack, and ws closes the socket with 1009.
 */
export const MAX_FRAME_BYTES = 256 * 1024;

/** Largest HTTP body the server reads (enrollment, admin API). */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

/** Accounts in one inventory: far above any real Mac, small enough to bound a frame. */
export const MAX_INVENTORY_USERS = 500;

/** Configuration profiles listed in one inventory. */
export const MAX_INVENTORY_PROFILES = 200;

/** Capabilities one side may announce. */
export const MAX_CAPABILITIES = 32;

/** Length of short identifiers (user names, codes, capability names). */
export const MAX_SHORT_STRING = 256;

/** Length of free text (messages, paths). */
export const MAX_TEXT = 2048;

/** Serialized size of an event's or a result's `detail` object. */
export const MAX_DETAIL_BYTES = 8 * 1024;

/** Earliest and latest year of any timestamp on the wire (PostgreSQL has no year 0; Macs predate no 2000). */
export const MIN_TIMESTAMP_YEAR = 2000;
export const MAX_TIMESTAMP_YEAR = 2999;

/** How far ahead of the receiver's clock an agent-reported time may be (a skewed clock, not a far-future one). */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;

/** Event ids one `ack` frame may carry. */
export const MAX_ACK_IDS = 1000;

/** Longest a command may stay valid after it is issued (7 days). */
export const MAX_COMMAND_VALIDITY_MS = 7 * 24 * 3600 * 1000;
