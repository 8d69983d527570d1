// The Store interface: everything the gateway, the API and command delivery need from the database.
// One implementation (SqlStore) runs the same SQL on PGlite and PostgreSQL.
import type { AgentEvent, Command, CommandResult, Inventory, StageState } from '../../../protocol/src/index.js';
import type { LockCommandHistory, LockCommandType, LockDeviceState, LockRule, LockTarget, LockTargetKind } from '../locks/rules.js';

/** Device fields shown in lists. */
export interface DeviceSummary {
  id: string;
  hardwareUuid: string;
  serial: string;
  hostname: string;
  agentVersion: string;
  domain: string | null;
  bound: boolean | null;
  mobileCount: number | null;
  loginKind: string | null;
  fileVault: string | null;
  macosVersion: string | null;
  stage: string;
  state: DeviceState;
  waitingFor: string | null;
  online: boolean;
  lastSeenAt: string | null;
  enrolledAt: string;
  /** Set when an admin revoked the device's token; it cannot connect until a re-enrollment is approved. */
  revokedAt: string | null;
  /** Re-enrollments of this hardware UUID waiting for an admin's approval. */
  pendingReenrollments: number;
}

/** Where a device's migration stands, derived from its stage state. */
export type DeviceState = 'unknown' | 'in_progress' | 'waiting' | 'failed' | 'done';

/** Everything about one device. */
export interface DeviceDetail extends DeviceSummary {
  capabilities: string[];
  protocolVersion: number | null;
  inventory: Inventory | null;
  inventoryAt: string | null;
  stageState: StageState | null;
  identityChangedAt: string | null;
  reenrollmentRequests: ReenrollmentRequest[];
}

/** A re-enrollment of a known hardware UUID by someone who could not prove possession of its token. */
export interface ReenrollmentRequest {
  id: string;
  serial: string;
  hostname: string;
  agentVersion: string;
  remoteAddress: string | null;
  requestedAt: string;
  /** Approved requests wait for the agent's next poll to collect the new token. */
  approvedAt: string | null;
  approvedBy: string | null;
}

/** What enrolling a device records. */
export interface EnrollDeviceInput {
  newDeviceId: string;
  hardwareUuid: string;
  serial: string;
  hostname: string;
  agentVersion: string;
  /** Hash of the token to issue if enrollment completes now. */
  tokenHash: string;
  secretId: string;
  now: Date;
  /** Hash of the device token the agent presented (Untether-Device-Token), proving it owns the record. */
  presentedTokenHash: string | null;
  /** Hash of the re-enrollment request credential the agent polls with (Untether-Enrollment-Request). */
  pollRequestHash: string | null;
  /** The request to record if this is an unproven re-enrollment. */
  newRequest: { id: string; requestHash: string; remoteAddress: string | null };
  /** Most unapproved requests one device may have at once. */
  maxPendingPerDevice: number;
}

/** Filters for device lists, the CSV export and group commands. Undefined fields do not filter. */
export interface DeviceFilter {
  stage?: string;
  state?: DeviceState;
  domain?: string;
  online?: boolean;
  /** Substring of hostname or serial. */
  search?: string;
  ids?: string[];
}

/** A device's place in list order (hostname, then id): a page starts after or before it (keyset paging). */
export interface DeviceCursor {
  hostname: string;
  id: string;
}

/** Which page of a device list: `offset` rows skipped, or the rows right after or before a cursor (at most one). */
export interface DevicePageRequest {
  limit: number;
  offset?: number;
  after?: DeviceCursor;
  before?: DeviceCursor;
}

/** A page of devices. */
export interface DevicePage {
  devices: DeviceSummary[];
  total: number;
  /** Where the next page starts (pass as `after`), or null when no device matching the filter follows this page. */
  next: DeviceCursor | null;
  /** Where the previous page ends (pass as `before`), or null when no device matching the filter precedes this page. */
  previous: DeviceCursor | null;
}

/** An event as stored. */
export interface StoredEvent {
  id: string;
  deviceId: string;
  hostname: string;
  seq: number;
  time: string;
  receivedAt: string;
  kind: string;
  user: string | null;
  stage: string | null;
  code: string | null;
  message: string | null;
  detail: Record<string, unknown> | null;
}

/** Lifecycle of a command on the server; `cancelled` is a lock command the lock's release withdrew before sending. */
export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled';

/** A command as stored, with its outcome. */
export interface StoredCommand {
  id: string;
  deviceId: string;
  hostname: string;
  batchId: string;
  type: string;
  params: Record<string, unknown>;
  issuedAt: string;
  validUntil: string;
  createdBy: string;
  status: CommandStatus;
  sentAt: string | null;
  finishedAt: string | null;
  result: CommandResult | null;
}

/** Counts shown on the fleet overview. */
export interface FleetOverview {
  total: number;
  online: number;
  offline: number;
  bound: number;
  withMobileAccounts: number;
  demobilized: number;
  unbound: number;
  idpLoginWindow: number;
  failed: number;
  waiting: number;
  done: number;
}

/** Cumulative number of devices that reached each milestone, per day. */
export interface ProgressPoint {
  day: string;
  enrolled: number;
  demobilized: number;
  unbound: number;
  idpLoginWindow: number;
}

export interface EnrollmentSecretRecord {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  uses: number;
  /** Most new devices this secret may enroll. */
  maxDevices: number;
  /** New devices it enrolled so far (re-enrollments do not count). */
  enrolledDevices: number;
}

/** What an API token may do: `read` only reads, `commands` also sends commands, `admin` also manages devices and secrets. */
export type ApiTokenScope = 'read' | 'commands' | 'admin';

export interface ApiTokenRecord {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  scope: ApiTokenScope;
  expiresAt: string | null;
}

/** What enrollment did. */
export type EnrollOutcome =
  | {
      kind: 'enrolled';
      deviceId: string;
      /** The hardware UUID was known: its token was rotated instead of creating a duplicate record. */
      reenrolled: boolean;
      /** A known hardware UUID came back with another serial (logic board swap or clone). */
      serialChanged: boolean;
    }
  /** A known hardware UUID without proof: no token; `requestId` waits for an admin (a new request or the polled one). */
  | { kind: 'pending'; requestId: string; created: boolean }
  /** The secret enrolled its maxDevices new devices already. */
  | { kind: 'secret_exhausted' }
  /** The device has maxPendingPerDevice unapproved requests already. */
  | { kind: 'too_many_pending' };

/** A device authenticated by its token. */
export interface DeviceIdentityRecord {
  id: string;
  hardwareUuid: string;
  serial: string;
}

/** A new command to store. */
export interface NewCommand {
  id: string;
  deviceId: string;
  batchId: string;
  action: Pick<Command, 'type' | 'params'>;
  issuedAt: Date;
  validUntil: Date;
  createdBy: string;
}

/** One row of the audit log: who did what to what, and why. */
export interface AuditEntry {
  actor: string;
  /** What was done, e.g. `lock.created`, `lock.released`, `commands.created`, `api_token.created`. */
  action: string;
  /** What it was done to (a lock id, a command batch id, a token id). */
  subject: string;
  detail: Record<string, unknown>;
}

/** An audit row as stored. */
export interface StoredAuditEntry extends AuditEntry {
  id: string;
  at: string;
}

/** A fleet-wide account lock as stored. */
export interface AccountLockRecord {
  id: string;
  targetKind: LockTargetKind;
  target: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

/** A lock with how many devices stand in each state. */
export interface LockSummary extends AccountLockRecord {
  devices: number;
  counts: Record<LockDeviceState, number>;
}

/** One device's progress in a lock: its latest command of the lock. */
export interface LockDeviceProgress {
  deviceId: string;
  hostname: string;
  online: boolean;
  /** The local account the command names. */
  account: string;
  phase: 'lock' | 'unlock';
  state: LockDeviceState;
  /** The agent's code and message when it refused or failed. */
  code: string | null;
  message: string | null;
  commandId: string;
  issuedAt: string;
  finishedAt: string | null;
}

/** A new lock and the validity of the commands it sends. */
export interface NewLock {
  id: string;
  target: LockTarget;
  reason: string;
  createdBy: string;
  now: Date;
  validUntil: Date;
}

/** What creating a lock did. */
export type CreateLockOutcome =
  | { kind: 'created'; lock: AccountLockRecord; deviceIds: string[] }
  /** An active lock of the same target exists (one per target). */
  | { kind: 'exists'; lockId: string };

/** What releasing a lock did. */
export type ReleaseLockOutcome =
  | { kind: 'released'; lock: AccountLockRecord; cancelled: number; unlockDeviceIds: string[] }
  | { kind: 'not_found' }
  | { kind: 'already_released'; lock: AccountLockRecord };

/** A lock command the inventory path decided on. */
export interface NewLockCommand {
  lockId: string;
  deviceId: string;
  type: LockCommandType;
  account: string;
  requestedBy: string;
  reason: string;
  deviceFingerprint: string;
  issuedAt: Date;
  validUntil: Date;
}

/** The storage the server runs on. */
export interface Store {
  readonly kind: 'pglite' | 'postgres';

  /** Store a secret's hash; with `audit`, its row is written in the same transaction. */
  createEnrollmentSecret(input: { id: string; name: string; secretHash: string; now: Date; expiresAt: Date | null; maxDevices: number }, audit?: AuditEntry): Promise<void>;
  listEnrollmentSecrets(): Promise<EnrollmentSecretRecord[]>;
  revokeEnrollmentSecret(id: string, now: Date): Promise<boolean>;
  /** Count a use of a valid (not revoked, not expired) secret; null when it is not valid. */
  useEnrollmentSecret(secretHash: string, now: Date): Promise<{ id: string } | null>;

  /**
   * Create the device (within the secret's limit); rotate the token of a known hardware UUID when the agent proved
   * possession of its current token or polls an approved request; otherwise record (or keep) a pending request.
   */
  enrollDevice(input: EnrollDeviceInput): Promise<EnrollOutcome>;
  findDeviceByTokenHash(tokenHash: string): Promise<DeviceIdentityRecord | null>;
  /** Invalidate the device's token (it stays listed, marked revoked); false when there is no such device. */
  revokeDevice(deviceId: string, now: Date): Promise<boolean>;
  /** Delete the device with its events, commands and requests; false when there is no such device. */
  deleteDevice(deviceId: string): Promise<boolean>;
  /** Approve a pending request: the old token stops working now, the request's agent collects a new one on its next poll. */
  approveReenrollment(deviceId: string, requestId: string, admin: string, now: Date): Promise<boolean>;
  /** Delete a request (pending or approved but not collected). */
  rejectReenrollment(deviceId: string, requestId: string): Promise<boolean>;
  /** Tell every instance that these devices' tokens changed: sockets whose token is no longer valid are closed. */
  notifyDeviceAccess(deviceIds: readonly string[]): Promise<void>;
  onDeviceAccessNotice(handler: (deviceIds: string[]) => void): Promise<() => Promise<void>>;
  recordConnect(deviceId: string, input: { agentVersion: string; protocolVersion: number; capabilities: string[]; instanceId: string; now: Date }): Promise<void>;
  /** Mark disconnected, unless another instance has taken the device over since. */
  recordDisconnect(deviceId: string, instanceId: string, now: Date): Promise<void>;
  /** Update last-seen of many devices at once (heartbeats are batched). */
  touchDevices(deviceIds: readonly string[], now: Date): Promise<void>;
  /** Mark every device this instance held as disconnected (startup after a crash, shutdown). */
  releaseInstance(instanceId: string, now: Date): Promise<void>;
  saveInventory(deviceId: string, inventory: Inventory, collectedAt: Date, now: Date): Promise<void>;
  saveStageState(deviceId: string, state: StageState, at: Date): Promise<void>;

  /** Store events, ignoring ids already stored; returns the ids now known to be stored (new and repeated). */
  insertEvents(batch: ReadonlyArray<{ deviceId: string; event: AgentEvent }>, receivedAt: Date): Promise<{ inserted: number }>;
  listEvents(query: { deviceId?: string; kind?: string; before?: Date; limit: number }): Promise<StoredEvent[]>;

  listDevices(filter: DeviceFilter, page: DevicePageRequest, now: Date): Promise<DevicePage>;
  getDevice(deviceId: string, now: Date): Promise<DeviceDetail | null>;
  countDevices(filter: DeviceFilter, now: Date): Promise<number>;
  deviceIdsMatching(filter: DeviceFilter, now: Date, limit: number): Promise<string[]>;
  overview(now: Date): Promise<FleetOverview>;
  progress(since: Date): Promise<ProgressPoint[]>;

  /** Store commands; with `audit`, its row is written in the same transaction. */
  createCommands(commands: readonly NewCommand[], audit?: AuditEntry): Promise<void>;
  /** Pending or sent-but-unanswered, unexpired commands for these devices, oldest first. */
  deliverableCommands(deviceIds: readonly string[], now: Date): Promise<StoredCommand[]>;
  /** Devices that have commands never sent yet (the periodic sweep delivers these). */
  devicesWithPendingCommands(now: Date, limit: number): Promise<string[]>;
  markCommandsSent(commandIds: readonly string[], instanceId: string, now: Date): Promise<void>;
  /** Record an agent's result; false when the command is unknown, another device's, or already finished. */
  recordCommandResult(deviceId: string, result: CommandResult, now: Date): Promise<boolean>;
  expireCommands(now: Date): Promise<number>;
  listCommands(query: { deviceId?: string; status?: CommandStatus; limit: number }): Promise<StoredCommand[]>;
  /** Tell every instance (including this one) that these devices have new commands. */
  notifyCommands(deviceIds: readonly string[]): Promise<void>;
  onCommandNotice(handler: (deviceIds: string[]) => void): Promise<() => Promise<void>>;

  /** Tell every instance (this one included) that dashboard data changed; the payload is the live feed's. */
  notifyChanges(payload: string): Promise<void>;
  onChangeNotice(handler: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Devices changed somewhere in the fleet (a live notice from any instance): the next read of the fleet aggregates
   * recomputes them, so a dashboard refetching because of that notice does not get a value from before it.
   */
  fleetChanged(): void;
  /** Devices whose latest inventory has an account the target names (the lock preview). */
  countLockTargets(target: LockTarget): Promise<number>;
  /**
   * Create a lock and, in the same transaction, one lock-account command per device whose latest inventory has an
   * account it names, its audit row, and the notices (new commands, locks changed).
   */
  createLock(input: NewLock): Promise<CreateLockOutcome>;
  /**
   * Release a lock: audited with its reason; its never-sent lock commands are cancelled; unlock-account commands go
   * to devices the lock reached (sent or applied). One transaction, notices included.
   */
  releaseLock(input: { lockId: string; releasedBy: string; reason: string; now: Date; validUntil: Date }): Promise<ReleaseLockOutcome>;
  /** Locks, active first then newest, with per-state device counts. */
  listLocks(limit: number): Promise<LockSummary[]>;
  /** One lock with the progress of at most `limit` devices, problems first (`lock.devices` counts them all). */
  getLock(lockId: string, now: Date, limit: number): Promise<{ lock: LockSummary; devices: LockDeviceProgress[] } | null>;
  /** Active locks and those released after `releasedSince` (still followed up with unlocks). */
  lockRules(releasedSince: Date): Promise<LockRule[]>;
  /** Earlier commands of these locks on one device. */
  lockCommandHistory(deviceId: string, lockIds: readonly string[]): Promise<LockCommandHistory[]>;
  /** Store lock commands the inventory path decided on (an open one of the same lock and type wins); returns how many were new. */
  createLockCommands(commands: readonly NewLockCommand[]): Promise<number>;
  /** Tell every instance (including this one) that locks were created or released. */
  notifyLocks(): Promise<void>;
  onLockNotice(handler: () => void): Promise<() => Promise<void>>;
  /** Audit rows, newest first. */
  listAudit(query: { limit: number; before?: string }): Promise<StoredAuditEntry[]>;

  countAdmins(): Promise<number>;
  createAdmin(username: string, passwordHash: string, now: Date): Promise<void>;
  findAdminPasswordHash(username: string): Promise<string | null>;
  createSession(tokenHash: string, username: string, now: Date, expiresAt: Date): Promise<void>;
  findSession(tokenHash: string, now: Date): Promise<{ username: string } | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Store a token's hash; with `audit`, its row is written in the same transaction. */
  createApiToken(
    input: { id: string; name: string; tokenHash: string; createdBy: string; now: Date; scope: ApiTokenScope; expiresAt: Date | null },
    audit?: AuditEntry,
  ): Promise<void>;
  /** The token's name and scope when it is valid (not revoked, not expired); records the use. */
  useApiToken(tokenHash: string, now: Date): Promise<{ name: string; scope: ApiTokenScope } | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: string, now: Date): Promise<boolean>;

  close(): Promise<void>;
}
