// The Store interface: everything the gateway, the API and command delivery need from the database.
// One implementation (SqlStore) runs the same SQL on PGlite and PostgreSQL.
import type { AgentEvent, Command, CommandResult, Inventory, StageState } from '../../../protocol/src/index.js';

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
}

/** What enrolling a device records. */
export interface EnrollDeviceInput {
  newDeviceId: string;
  hardwareUuid: string;
  serial: string;
  hostname: string;
  agentVersion: string;
  tokenHash: string;
  secretId: string;
  now: Date;
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

/** A page of devices. */
export interface DevicePage {
  devices: DeviceSummary[];
  total: number;
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

/** Lifecycle of a command on the server. */
export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'rejected' | 'expired';

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
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What enrollment did. */
export interface EnrollOutcome {
  deviceId: string;
  /** The hardware UUID was known: its token was rotated instead of creating a duplicate record. */
  reenrolled: boolean;
  /** A known hardware UUID came back with another serial (logic board swap or clone). */
  serialChanged: boolean;
}

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

/** The storage the server runs on. */
export interface Store {
  readonly kind: 'pglite' | 'postgres';

  createEnrollmentSecret(input: { id: string; name: string; secretHash: string; now: Date; expiresAt: Date | null }): Promise<void>;
  listEnrollmentSecrets(): Promise<EnrollmentSecretRecord[]>;
  revokeEnrollmentSecret(id: string, now: Date): Promise<boolean>;
  /** Count a use of a valid (not revoked, not expired) secret; null when it is not valid. */
  useEnrollmentSecret(secretHash: string, now: Date): Promise<{ id: string } | null>;

  /** Create the device, or rotate the token of the device with the same hardware UUID. */
  enrollDevice(input: EnrollDeviceInput): Promise<EnrollOutcome>;
  findDeviceByTokenHash(tokenHash: string): Promise<DeviceIdentityRecord | null>;
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

  listDevices(filter: DeviceFilter, page: { limit: number; offset: number }, now: Date): Promise<DevicePage>;
  getDevice(deviceId: string, now: Date): Promise<DeviceDetail | null>;
  countDevices(filter: DeviceFilter, now: Date): Promise<number>;
  deviceIdsMatching(filter: DeviceFilter, now: Date, limit: number): Promise<string[]>;
  overview(now: Date): Promise<FleetOverview>;
  progress(since: Date): Promise<ProgressPoint[]>;

  createCommands(commands: readonly NewCommand[]): Promise<void>;
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

  countAdmins(): Promise<number>;
  createAdmin(username: string, passwordHash: string, now: Date): Promise<void>;
  findAdminPasswordHash(username: string): Promise<string | null>;
  createSession(tokenHash: string, username: string, now: Date, expiresAt: Date): Promise<void>;
  findSession(tokenHash: string, now: Date): Promise<{ username: string } | null>;
  deleteSession(tokenHash: string): Promise<void>;
  createApiToken(input: { id: string; name: string; tokenHash: string; createdBy: string; now: Date }): Promise<void>;
  /** The token's name when it is valid; records the use. */
  useApiToken(tokenHash: string, now: Date): Promise<{ name: string } | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: string, now: Date): Promise<boolean>;

  close(): Promise<void>;
}
