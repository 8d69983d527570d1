// SqlStore: the Store over a SqlDriver. This file is long (~450 lines) on purpose: it holds every SQL statement
// of the server in one place, so a reader can check that both backends get exactly the same text.
import type { AgentEvent, CommandResult, Inventory, StageState } from '../../../protocol/src/index.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import type {
  ApiTokenRecord,
  CommandStatus,
  DeviceDetail,
  DeviceFilter,
  DevicePage,
  DeviceState,
  DeviceSummary,
  EnrollDeviceInput,
  EnrollOutcome,
  EnrollmentSecretRecord,
  FleetOverview,
  NewCommand,
  ProgressPoint,
  Store,
  StoredCommand,
  StoredEvent,
} from './store.js';

/** NOTIFY channel for "these devices have new commands". */
const COMMAND_CHANNEL = 'untether_commands';
/** NOTIFY payloads are limited to 8000 bytes: past this many ids, send "*" (every instance sweeps). */
const MAX_IDS_PER_NOTICE = 150;

type Row = Record<string, unknown>;

/** Options of the SQL store. */
export interface SqlStoreOptions {
  /** A device counts as online while connected and seen within this many milliseconds. */
  onlineGraceMs: number;
}

/** Build a Store over `driver`, applying migrations first. */
export async function createSqlStore(driver: SqlDriver, options: SqlStoreOptions): Promise<Store> {
  await migrate(driver);
  return new SqlStore(driver, options);
}

/** Where a device's migration stands, from its stage state (pure). */
export function deriveDeviceState(state: StageState): DeviceState {
  if (state.stage === 'done') return 'done';
  if (state.lastResult[state.stage]?.outcome === 'failed') return 'failed';
  if (state.waitingFor !== null) return 'waiting';
  return 'in_progress';
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : new Date(String(value)).toISOString();
}

function isoRequired(value: unknown): string {
  return iso(value) ?? new Date(0).toISOString();
}

const DEVICE_COLUMNS = `d.id, d.hardware_uuid, d.serial, d.hostname, d.agent_version, d.domain, d.bound, d.mobile_count, d.login_kind,
  d.filevault, d.macos_version, d.stage, d.state, d.waiting_for, d.last_seen_at, d.enrolled_at,
  (d.connected_instance is not null and d.last_seen_at >= $1) as online`;

function toDeviceSummary(row: Row): DeviceSummary {
  return {
    id: String(row.id),
    hardwareUuid: String(row.hardware_uuid),
    serial: String(row.serial),
    hostname: String(row.hostname),
    agentVersion: String(row.agent_version),
    domain: (row.domain as string | null) ?? null,
    bound: (row.bound as boolean | null) ?? null,
    mobileCount: row.mobile_count === null || row.mobile_count === undefined ? null : Number(row.mobile_count),
    loginKind: (row.login_kind as string | null) ?? null,
    fileVault: (row.filevault as string | null) ?? null,
    macosVersion: (row.macos_version as string | null) ?? null,
    stage: String(row.stage),
    state: row.state as DeviceState,
    waitingFor: (row.waiting_for as string | null) ?? null,
    online: row.online === true,
    lastSeenAt: iso(row.last_seen_at),
    enrolledAt: isoRequired(row.enrolled_at),
  };
}

function toStoredCommand(row: Row): StoredCommand {
  return {
    id: String(row.id),
    deviceId: String(row.device_id),
    hostname: String(row.hostname ?? ''),
    batchId: String(row.batch_id),
    type: String(row.type),
    params: row.params as Record<string, unknown>,
    issuedAt: isoRequired(row.issued_at),
    validUntil: isoRequired(row.valid_until),
    createdBy: String(row.created_by),
    status: row.status as CommandStatus,
    sentAt: iso(row.sent_at),
    finishedAt: iso(row.finished_at),
    result: (row.result as CommandResult | null) ?? null,
  };
}

/**
 * Build the WHERE clause of a device filter, appending its values to `params`. `onlineRef` is the placeholder of
 * the online threshold when the query already binds it (as `$1`), or undefined to bind it here when needed.
 */
function deviceWhere(filter: DeviceFilter, params: unknown[], onlineSince: Date, onlineRef?: string): string {
  const clauses: string[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const online = (): string => `(d.connected_instance is not null and d.last_seen_at >= ${onlineRef ?? add(onlineSince)})`;
  if (filter.stage !== undefined) clauses.push(`d.stage = ${add(filter.stage)}`);
  if (filter.state !== undefined) clauses.push(`d.state = ${add(filter.state)}`);
  if (filter.domain !== undefined) clauses.push(`d.domain = ${add(filter.domain)}`);
  if (filter.online === true) clauses.push(online());
  if (filter.online === false) clauses.push(`not coalesce(${online()}, false)`);
  if (filter.search !== undefined) {
    const pattern = add(`%${filter.search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
    clauses.push(`(d.hostname ilike ${pattern} or d.serial ilike ${pattern})`);
  }
  if (filter.ids !== undefined) clauses.push(`d.id = any(${add(filter.ids)}::uuid[])`);
  return clauses.length === 0 ? '' : `where ${clauses.join(' and ')}`;
}

class SqlStore implements Store {
  readonly #db: SqlDriver;
  readonly #onlineGraceMs: number;

  constructor(driver: SqlDriver, options: SqlStoreOptions) {
    this.#db = driver;
    this.#onlineGraceMs = options.onlineGraceMs;
  }

  get kind(): 'pglite' | 'postgres' {
    return this.#db.kind;
  }

  #onlineSince(now: Date): Date {
    return new Date(now.getTime() - this.#onlineGraceMs);
  }

  // --- enrollment secrets -------------------------------------------------------------------------------------

  async createEnrollmentSecret(input: { id: string; name: string; secretHash: string; now: Date; expiresAt: Date | null }): Promise<void> {
    await this.#db.query('insert into enrollment_secrets (id, name, secret_hash, created_at, expires_at) values ($1, $2, $3, $4, $5)', [
      input.id,
      input.name,
      input.secretHash,
      input.now,
      input.expiresAt,
    ]);
  }

  async listEnrollmentSecrets(): Promise<EnrollmentSecretRecord[]> {
    const rows = await this.#db.query<Row>('select id, name, created_at, expires_at, revoked_at, uses from enrollment_secrets order by created_at desc');
    return rows.map((row) => ({
      id: String(row.id),
      name: String(row.name),
      createdAt: isoRequired(row.created_at),
      expiresAt: iso(row.expires_at),
      revokedAt: iso(row.revoked_at),
      uses: Number(row.uses),
    }));
  }

  async revokeEnrollmentSecret(id: string, now: Date): Promise<boolean> {
    const rows = await this.#db.query('update enrollment_secrets set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
    return rows.length > 0;
  }

  async useEnrollmentSecret(secretHash: string, now: Date): Promise<{ id: string } | null> {
    const rows = await this.#db.query<Row>(
      `update enrollment_secrets set uses = uses + 1
       where secret_hash = $1 and revoked_at is null and (expires_at is null or expires_at > $2) returning id`,
      [secretHash, now],
    );
    return rows[0] === undefined ? null : { id: String(rows[0].id) };
  }

  // --- devices ------------------------------------------------------------------------------------------------

  async enrollDevice(input: EnrollDeviceInput): Promise<EnrollOutcome> {
    const hardwareUuid = input.hardwareUuid.toUpperCase();
    return this.#db.transaction(async (tx) => {
      const existing = await tx.query<Row>('select id, serial from devices where hardware_uuid = $1 for update', [hardwareUuid]);
      const known = existing[0];
      if (known !== undefined) {
        const serialChanged = String(known.serial) !== input.serial;
        await tx.query(
          `update devices set token_hash = $2, serial = $3, hostname = $4, agent_version = $5, enrollment_secret_id = $6,
             identity_changed_at = case when $7 then $8 else identity_changed_at end
           where id = $1`,
          [known.id, input.tokenHash, input.serial, input.hostname, input.agentVersion, input.secretId, serialChanged, input.now],
        );
        return { deviceId: String(known.id), reenrolled: true, serialChanged };
      }
      await tx.query(
        `insert into devices (id, hardware_uuid, serial, hostname, token_hash, enrolled_at, enrollment_secret_id, agent_version)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [input.newDeviceId, hardwareUuid, input.serial, input.hostname, input.tokenHash, input.now, input.secretId, input.agentVersion],
      );
      await tx.query(`insert into device_milestones (device_id, milestone, at) values ($1, 'enrolled', $2) on conflict do nothing`, [
        input.newDeviceId,
        input.now,
      ]);
      return { deviceId: input.newDeviceId, reenrolled: false, serialChanged: false };
    });
  }

  async findDeviceByTokenHash(tokenHash: string): Promise<{ id: string; hardwareUuid: string; serial: string } | null> {
    const rows = await this.#db.query<Row>('select id, hardware_uuid, serial from devices where token_hash = $1', [tokenHash]);
    const row = rows[0];
    return row === undefined ? null : { id: String(row.id), hardwareUuid: String(row.hardware_uuid), serial: String(row.serial) };
  }

  async recordConnect(
    deviceId: string,
    input: { agentVersion: string; protocolVersion: number; capabilities: string[]; instanceId: string; now: Date },
  ): Promise<void> {
    await this.#db.query(
      `update devices set agent_version = $2, protocol_version = $3, capabilities = $4::jsonb, connected_instance = $5, last_seen_at = $6
       where id = $1`,
      [deviceId, input.agentVersion, input.protocolVersion, JSON.stringify(input.capabilities), input.instanceId, input.now],
    );
  }

  async recordDisconnect(deviceId: string, instanceId: string, now: Date): Promise<void> {
    await this.#db.query('update devices set connected_instance = null, last_seen_at = $3 where id = $1 and connected_instance = $2', [
      deviceId,
      instanceId,
      now,
    ]);
  }

  async touchDevices(deviceIds: readonly string[], now: Date): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.#db.query('update devices set last_seen_at = $2 where id = any($1::uuid[])', [deviceIds, now]);
  }

  async releaseInstance(instanceId: string, now: Date): Promise<void> {
    await this.#db.query('update devices set connected_instance = null, last_seen_at = $2 where connected_instance = $1', [instanceId, now]);
  }

  async saveInventory(deviceId: string, inventory: Inventory, collectedAt: Date, now: Date): Promise<void> {
    const mobileCount = inventory.users.filter((user) => user.kind === 'mobile').length;
    const bound = inventory.binding.kind === 'ad' ? true : inventory.binding.kind === 'none' ? false : null;
    const domain = inventory.binding.kind === 'ad' ? inventory.binding.domain : null;
    await this.#db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `update devices set inventory = $2::jsonb, inventory_at = $3, hostname = $4, bound = $5, domain = coalesce($6, domain),
           ever_bound = ever_bound or coalesce($5, false), mobile_count = $7, ever_mobile = ever_mobile or $7 > 0,
           login_kind = $8, filevault = $9, macos_version = $10
         where id = $1 returning ever_bound, ever_mobile`,
        [deviceId, JSON.stringify(inventory), collectedAt, inventory.hostname, bound, domain, mobileCount, inventory.loginChain.kind, inventory.fileVault, inventory.macos.version],
      );
      const row = rows[0];
      if (row === undefined) return;
      const reached: string[] = [];
      if (row.ever_mobile === true && mobileCount === 0) reached.push('demobilized');
      if (row.ever_bound === true && bound === false) reached.push('unbound');
      if (inventory.loginChain.kind === 'idp') reached.push('idp_login');
      for (const milestone of reached) {
        await tx.query('insert into device_milestones (device_id, milestone, at) values ($1, $2, $3) on conflict do nothing', [deviceId, milestone, now]);
      }
    });
  }

  async saveStageState(deviceId: string, state: StageState, at: Date): Promise<void> {
    await this.#db.query('update devices set stage = $2, state = $3, waiting_for = $4, stage_state = $5::jsonb, stage_at = $6 where id = $1', [
      deviceId,
      state.stage,
      deriveDeviceState(state),
      state.waitingFor,
      JSON.stringify(state),
      at,
    ]);
  }

  // --- events -------------------------------------------------------------------------------------------------

  async insertEvents(batch: ReadonlyArray<{ deviceId: string; event: AgentEvent }>, receivedAt: Date): Promise<{ inserted: number }> {
    if (batch.length === 0) return { inserted: 0 };
    const records = batch.map(({ deviceId, event }) => ({
      event_id: event.id,
      device_id: deviceId,
      seq: event.seq,
      time: event.time,
      kind: event.kind,
      user_name: event.user ?? null,
      stage: event.stage ?? null,
      code: event.code ?? null,
      message: event.message ?? null,
      detail: event.detail ?? null,
    }));
    const rows = await this.#db.query<Row>(
      `with inserted as (
         insert into events (event_id, device_id, seq, time, received_at, kind, user_name, stage, code, message, detail)
         select e.event_id, e.device_id, e.seq, e.time, $2, e.kind, e.user_name, e.stage, e.code, e.message, e.detail
         from jsonb_to_recordset($1::jsonb) as e(event_id uuid, device_id uuid, seq bigint, time timestamptz, kind text,
           user_name text, stage text, code text, message text, detail jsonb)
         on conflict (event_id) do nothing
         returning 1)
       select count(*)::int as n from inserted`,
      [JSON.stringify(records), receivedAt],
    );
    return { inserted: Number(rows[0]?.n ?? 0) };
  }

  async listEvents(query: { deviceId?: string; kind?: string; before?: Date; limit: number }): Promise<StoredEvent[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    if (query.deviceId !== undefined) {
      params.push(query.deviceId);
      clauses.push(`e.device_id = $${params.length}`);
    }
    if (query.kind !== undefined) {
      params.push(query.kind);
      clauses.push(`e.kind = $${params.length}`);
    }
    if (query.before !== undefined) {
      params.push(query.before);
      clauses.push(`e.time < $${params.length}`);
    }
    params.push(query.limit);
    const rows = await this.#db.query<Row>(
      `select e.*, d.hostname from events e join devices d on d.id = e.device_id
       ${clauses.length > 0 ? `where ${clauses.join(' and ')}` : ''}
       order by e.time desc, e.seq desc limit $${params.length}`,
      params,
    );
    return rows.map((row) => ({
      id: String(row.event_id),
      deviceId: String(row.device_id),
      hostname: String(row.hostname),
      seq: Number(row.seq),
      time: isoRequired(row.time),
      receivedAt: isoRequired(row.received_at),
      kind: String(row.kind),
      user: (row.user_name as string | null) ?? null,
      stage: (row.stage as string | null) ?? null,
      code: (row.code as string | null) ?? null,
      message: (row.message as string | null) ?? null,
      detail: (row.detail as Record<string, unknown> | null) ?? null,
    }));
  }

  // --- fleet views --------------------------------------------------------------------------------------------

  async listDevices(filter: DeviceFilter, page: { limit: number; offset: number }, now: Date): Promise<DevicePage> {
    const countParams: unknown[] = [];
    const countRows = await this.#db.query<Row>(`select count(*)::int as n from devices d ${deviceWhere(filter, countParams, this.#onlineSince(now))}`, countParams);
    const params: unknown[] = [this.#onlineSince(now)];
    const where = deviceWhere(filter, params, this.#onlineSince(now), '$1');
    params.push(page.limit, page.offset);
    const rows = await this.#db.query<Row>(
      `select ${DEVICE_COLUMNS} from devices d ${where} order by d.hostname, d.id limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { devices: rows.map(toDeviceSummary), total: Number(countRows[0]?.n ?? 0) };
  }

  async countDevices(filter: DeviceFilter, now: Date): Promise<number> {
    const params: unknown[] = [];
    const rows = await this.#db.query<Row>(`select count(*)::int as n from devices d ${deviceWhere(filter, params, this.#onlineSince(now))}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async deviceIdsMatching(filter: DeviceFilter, now: Date, limit: number): Promise<string[]> {
    const params: unknown[] = [];
    const where = deviceWhere(filter, params, this.#onlineSince(now));
    params.push(limit);
    const rows = await this.#db.query<Row>(`select d.id from devices d ${where} order by d.id limit $${params.length}`, params);
    return rows.map((row) => String(row.id));
  }

  async getDevice(deviceId: string, now: Date): Promise<DeviceDetail | null> {
    const rows = await this.#db.query<Row>(
      `select ${DEVICE_COLUMNS}, d.capabilities, d.protocol_version, d.inventory, d.inventory_at, d.stage_state, d.identity_changed_at
       from devices d where d.id = $2`,
      [this.#onlineSince(now), deviceId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      ...toDeviceSummary(row),
      capabilities: (row.capabilities as string[] | null) ?? [],
      protocolVersion: row.protocol_version === null ? null : Number(row.protocol_version),
      inventory: (row.inventory as Inventory | null) ?? null,
      inventoryAt: iso(row.inventory_at),
      stageState: (row.stage_state as StageState | null) ?? null,
      identityChangedAt: iso(row.identity_changed_at),
    };
  }

  async overview(now: Date): Promise<FleetOverview> {
    const rows = await this.#db.query<Row>(
      `select count(*)::int as total,
         count(*) filter (where connected_instance is not null and last_seen_at >= $1)::int as online,
         count(*) filter (where bound)::int as bound,
         count(*) filter (where mobile_count > 0)::int as with_mobile,
         count(*) filter (where ever_mobile and mobile_count = 0)::int as demobilized,
         count(*) filter (where bound = false)::int as unbound,
         count(*) filter (where login_kind = 'idp')::int as idp,
         count(*) filter (where state = 'failed')::int as failed,
         count(*) filter (where state = 'waiting')::int as waiting,
         count(*) filter (where state = 'done')::int as done
       from devices`,
      [this.#onlineSince(now)],
    );
    const row = rows[0] ?? {};
    const total = Number(row.total ?? 0);
    const online = Number(row.online ?? 0);
    return {
      total,
      online,
      offline: total - online,
      bound: Number(row.bound ?? 0),
      withMobileAccounts: Number(row.with_mobile ?? 0),
      demobilized: Number(row.demobilized ?? 0),
      unbound: Number(row.unbound ?? 0),
      idpLoginWindow: Number(row.idp ?? 0),
      failed: Number(row.failed ?? 0),
      waiting: Number(row.waiting ?? 0),
      done: Number(row.done ?? 0),
    };
  }

  async progress(since: Date): Promise<ProgressPoint[]> {
    const rows = await this.#db.query<Row>(
      `select milestone, to_char(date_trunc('day', at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as n
       from device_milestones group by 1, 2 order by 2`,
    );
    const sinceDay = since.toISOString().slice(0, 10);
    const totals = { enrolled: 0, demobilized: 0, unbound: 0, idpLoginWindow: 0 };
    const key = { enrolled: 'enrolled', demobilized: 'demobilized', unbound: 'unbound', idp_login: 'idpLoginWindow' } as const;
    const points = new Map<string, ProgressPoint>();
    for (const row of rows) {
      const field = key[String(row.milestone) as keyof typeof key];
      if (field === undefined) continue;
      totals[field] += Number(row.n);
      const day = String(row.day) < sinceDay ? sinceDay : String(row.day);
      points.set(day, { day, ...totals });
    }
    return [...points.values()];
  }

  // --- commands -----------------------------------------------------------------------------------------------

  async createCommands(commands: readonly NewCommand[]): Promise<void> {
    if (commands.length === 0) return;
    const records = commands.map((command) => ({
      id: command.id,
      device_id: command.deviceId,
      batch_id: command.batchId,
      type: command.action.type,
      params: command.action.params,
      issued_at: command.issuedAt.toISOString(),
      valid_until: command.validUntil.toISOString(),
      created_by: command.createdBy,
    }));
    await this.#db.query(
      `insert into commands (id, device_id, batch_id, type, params, issued_at, valid_until, created_by, status)
       select c.id, c.device_id, c.batch_id, c.type, c.params, c.issued_at, c.valid_until, c.created_by, 'pending'
       from jsonb_to_recordset($1::jsonb) as c(id uuid, device_id uuid, batch_id uuid, type text, params jsonb,
         issued_at timestamptz, valid_until timestamptz, created_by text)`,
      [JSON.stringify(records)],
    );
  }

  async deliverableCommands(deviceIds: readonly string[], now: Date): Promise<StoredCommand[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.#db.query<Row>(
      `select c.*, d.hostname from commands c join devices d on d.id = c.device_id
       where c.device_id = any($1::uuid[]) and c.status in ('pending', 'sent') and c.valid_until > $2
       order by c.issued_at, c.id`,
      [deviceIds, now],
    );
    return rows.map(toStoredCommand);
  }

  async devicesWithPendingCommands(now: Date, limit: number): Promise<string[]> {
    const rows = await this.#db.query<Row>(
      `select distinct device_id from commands where status = 'pending' and valid_until > $1 limit $2`,
      [now, limit],
    );
    return rows.map((row) => String(row.device_id));
  }

  async markCommandsSent(commandIds: readonly string[], instanceId: string, now: Date): Promise<void> {
    if (commandIds.length === 0) return;
    await this.#db.query(
      `update commands set status = 'sent', sent_at = coalesce(sent_at, $3), sent_by_instance = $2
       where id = any($1::uuid[]) and status in ('pending', 'sent')`,
      [commandIds, instanceId, now],
    );
  }

  async recordCommandResult(deviceId: string, result: CommandResult, now: Date): Promise<boolean> {
    const rows = await this.#db.query(
      `update commands set status = $3, finished_at = $4, result = $5::jsonb
       where id = $1 and device_id = $2 and status in ('pending', 'sent', 'expired') returning id`,
      [result.commandId, deviceId, result.outcome, now, JSON.stringify(result)],
    );
    return rows.length > 0;
  }

  async expireCommands(now: Date): Promise<number> {
    const rows = await this.#db.query(`update commands set status = 'expired' where status in ('pending', 'sent') and valid_until <= $1 returning id`, [now]);
    return rows.length;
  }

  async listCommands(query: { deviceId?: string; status?: CommandStatus; limit: number }): Promise<StoredCommand[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    if (query.deviceId !== undefined) {
      params.push(query.deviceId);
      clauses.push(`c.device_id = $${params.length}`);
    }
    if (query.status !== undefined) {
      params.push(query.status);
      clauses.push(`c.status = $${params.length}`);
    }
    params.push(query.limit);
    const rows = await this.#db.query<Row>(
      `select c.*, d.hostname from commands c join devices d on d.id = c.device_id
       ${clauses.length > 0 ? `where ${clauses.join(' and ')}` : ''} order by c.issued_at desc, c.id limit $${params.length}`,
      params,
    );
    return rows.map(toStoredCommand);
  }

  async notifyCommands(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    const payload = deviceIds.length > MAX_IDS_PER_NOTICE ? '*' : deviceIds.join(',');
    await this.#db.query('select pg_notify($1, $2)', [COMMAND_CHANNEL, payload]);
  }

  async onCommandNotice(handler: (deviceIds: string[]) => void): Promise<() => Promise<void>> {
    return this.#db.listen(COMMAND_CHANNEL, (payload) => handler(payload === '*' ? ['*'] : payload.split(',').filter((id) => id.length > 0)));
  }

  // --- admins, sessions, API tokens ---------------------------------------------------------------------------

  async countAdmins(): Promise<number> {
    const rows = await this.#db.query<Row>('select count(*)::int as n from admins');
    return Number(rows[0]?.n ?? 0);
  }

  async createAdmin(username: string, passwordHash: string, now: Date): Promise<void> {
    await this.#db.query(
      'insert into admins (username, password_hash, created_at) values ($1, $2, $3) on conflict (username) do update set password_hash = excluded.password_hash',
      [username, passwordHash, now],
    );
  }

  async findAdminPasswordHash(username: string): Promise<string | null> {
    const rows = await this.#db.query<Row>('select password_hash from admins where username = $1', [username]);
    return rows[0] === undefined ? null : String(rows[0].password_hash);
  }

  async createSession(tokenHash: string, username: string, now: Date, expiresAt: Date): Promise<void> {
    await this.#db.query('delete from sessions where expires_at <= $1', [now]);
    await this.#db.query('insert into sessions (token_hash, username, created_at, expires_at) values ($1, $2, $3, $4)', [tokenHash, username, now, expiresAt]);
  }

  async findSession(tokenHash: string, now: Date): Promise<{ username: string } | null> {
    const rows = await this.#db.query<Row>('select username from sessions where token_hash = $1 and expires_at > $2', [tokenHash, now]);
    return rows[0] === undefined ? null : { username: String(rows[0].username) };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.#db.query('delete from sessions where token_hash = $1', [tokenHash]);
  }

  async createApiToken(input: { id: string; name: string; tokenHash: string; createdBy: string; now: Date }): Promise<void> {
    await this.#db.query('insert into api_tokens (id, name, token_hash, created_at, created_by) values ($1, $2, $3, $4, $5)', [
      input.id,
      input.name,
      input.tokenHash,
      input.now,
      input.createdBy,
    ]);
  }

  async useApiToken(tokenHash: string, now: Date): Promise<{ name: string } | null> {
    const rows = await this.#db.query<Row>('update api_tokens set last_used_at = $2 where token_hash = $1 and revoked_at is null returning name', [
      tokenHash,
      now,
    ]);
    return rows[0] === undefined ? null : { name: String(rows[0].name) };
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    const rows = await this.#db.query<Row>('select id, name, created_at, created_by, last_used_at, revoked_at from api_tokens order by created_at desc');
    return rows.map((row) => ({
      id: String(row.id),
      name: String(row.name),
      createdAt: isoRequired(row.created_at),
      createdBy: String(row.created_by),
      lastUsedAt: iso(row.last_used_at),
      revokedAt: iso(row.revoked_at),
    }));
  }

  async revokeApiToken(id: string, now: Date): Promise<boolean> {
    const rows = await this.#db.query('update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
