// The server's configuration after parsing. Only main.ts reads the environment; tests build this directly.

/** Everything buildServer needs besides the store, the clock and the logger. */
export interface ServerConfig {
  /** Identifies this process among several sharing one PostgreSQL (command delivery, online tracking). */
  instanceId: string;
  /** How often agents send a heartbeat (announced in welcome). */
  heartbeatIntervalMs: number;
  /** How often the gateway pings each socket; a socket that missed the previous pong is terminated. */
  pingIntervalMs: number;
  /** How long a new connection may take to send hello. */
  helloTimeoutMs: number;
  /** Close a device socket whose unsent output passes this many bytes (slow consumer). */
  maxBufferedBytes: number;
  /** Pause reading a socket while this many of its events wait to be stored. */
  maxInFlightEventsPerConnection: number;
  /** Inventory plus stage state frames one connection may send per minute (burst of the same size). */
  maxStateReportsPerMinute: number;
  /** How often batched last-seen updates are written. */
  touchFlushMs: number;
  /** How often every instance looks for undelivered and expired commands (covers missed notifications). */
  commandSweepMs: number;
  /** Longest time events wait to be batched into one INSERT. */
  ingestFlushMs: number;
  /** Most events in one INSERT (PGlite spends about a fifth less per event in batches of 2,000 than of 500). */
  ingestBatchSize: number;
  /** Event INSERTs in the store at once (PostgreSQL works on one while the gateway prepares the next). */
  ingestConcurrency: number;
  /** Lifetime of a dashboard login. */
  sessionTtlMs: number;
  /** Default validity of a command when the admin does not give one. */
  defaultCommandValidityMs: number;
  /** Most devices one group command may target. */
  maxGroupCommandDevices: number;
  /**
   * A device that refused (or failed) a lock-account or unlock-account command is sent it again, when its inventory
   * still calls for it, only after this long, or at once when its agent version, capabilities or profiles changed.
   */
  lockRetryAfterRefusalMs: number;
  /** A released lock is still followed (unlock sent to a Mac that comes back locked) for this long after its release. */
  lockFollowUpMs: number;
  /** Longest a per-instance lock cache is used without reloading (covers a missed notice). */
  lockCacheMaxAgeMs: number;
  /**
   * Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client for login and enrollment
   * throttling. Empty: the socket peer is the client, and the header is ignored.
   */
  trustedProxies: readonly string[];
  /** Dashboard change notices are gathered this long: at most one NOTIFY per window per instance. */
  liveCoalesceMs: number;
  /** Live dashboard streams (Server-Sent Events) one instance holds; past it, 503 with Retry-After. */
  maxLiveStreams: number;
  /** A comment on every live stream this often (keeps proxies from closing it); the credential is re-checked then. */
  liveHeartbeatMs: number;
  /** A live stream whose unsent output passes this many bytes is dropped (the client stopped reading). */
  maxLiveBufferedBytes: number;
  /** The reconnect delay live streams suggest to browsers (`retry:`). */
  liveRetryMs: number;
  /** TLS certificate and key (PEM). When set the server speaks HTTPS/WSS and cookies are Secure. */
  tls?: { cert: string; key: string };
  /** Admin created at startup when there is none. */
  initialAdmin?: { username: string; password: string };
  /** Where the dashboard's static files and compiled script are; no dashboard when undefined. */
  dashboard?: { staticDir: string; scriptDir: string };
}

/** Defaults for every tunable; each is documented in docs/protocol.md. */
export const DEFAULT_CONFIG: Omit<ServerConfig, 'instanceId'> = {
  heartbeatIntervalMs: 30_000,
  pingIntervalMs: 30_000,
  helloTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  maxInFlightEventsPerConnection: 1000,
  maxStateReportsPerMinute: 30,
  touchFlushMs: 5000,
  commandSweepMs: 15_000,
  ingestFlushMs: 10,
  ingestBatchSize: 2000,
  ingestConcurrency: 4,
  sessionTtlMs: 12 * 3600_000,
  defaultCommandValidityMs: 24 * 3600_000,
  maxGroupCommandDevices: 100_000,
  lockRetryAfterRefusalMs: 24 * 3600_000,
  lockFollowUpMs: 365 * 24 * 3600_000,
  lockCacheMaxAgeMs: 60_000,
  trustedProxies: [],
  liveCoalesceMs: 250,
  maxLiveStreams: 1000,
  liveHeartbeatMs: 25_000,
  maxLiveBufferedBytes: 64 * 1024,
  liveRetryMs: 5000,
};

/** Online = connected and seen within two heartbeats and a half: one lost heartbeat does not flap the status. */
export function onlineGraceMs(config: Pick<ServerConfig, 'heartbeatIntervalMs'>): number {
  return Math.round(config.heartbeatIntervalMs * 2.5);
}
