// Device SQL: connection state, inventory, stage, and the fleet views (lists, overview, progress).
import type { Inventory, StageState } from '../../../../protocol/src/index.js';
import type { SqlDriver } from '../driver.js';
import type {
  DeviceCursor,
  DeviceDetail,
  DeviceFilter,
  DevicePage,
  DevicePageRequest,
  DeviceState,
  DeviceSummary,
  FleetOverview,
  ProgressPoint,
  Store,
} from '../store.js';
import { iso, isoRequired, type Row } from './rows.js';
import { WarmCache } from './warm-cache.js';

/**
 * Fleet aggregates are served from a cache at most about a second old with PostgreSQL, four seconds with PGlite (see
 * warm-cache.ts). Callers whose `now` is not the wall clock (tests with a fixed clock) bypass it and get an exact
 * answer.
 */
/** Kept warm 10 s after the last read: two polls of the dashboard (every 5 s), and no longer (each refresh scans). */
const FLEET_CACHE = { freshMs: 1000, maxStaleMs: 10_000, keepWarmMs: 10_000, maxKeys: 64 };
/**
 * PGlite runs one statement at a time: while a kept key is recounted (tens of ms over 50,000 devices) every other
 * call waits. Recounting each key every 4 s instead of every second (still fresh at each of the dashboard's 5 s polls)
 * took the dashboard API's p99 from 37–120 ms to 14–68 ms in bench:api.
 */
const PGLITE_FRESH_MS = 4000;
const WALL_CLOCK_SLACK_MS = 5000;

/** Where a device's migration stands, from its stage state (pure). */
export function deriveDeviceState(state: StageState): DeviceState {
  if (state.stage === 'done') return 'done';
  if (state.lastResult[state.stage]?.outcome === 'failed') return 'failed';
  if (state.waitingFor !== null) return 'waiting';
  return 'in_progress';
}

const DEVICE_COLUMNS = `d.id, d.hardware_uuid, d.serial, d.hostname, d.agent_version, d.domain, d.bound, d.mobile_count, d.login_kind,
  d.filevault, d.macos_version, d.stage, d.state, d.waiting_for, d.last_seen_at, d.enrolled_at, d.revoked_at,
  (select count(*) from device_reenrollments r where r.device_id = d.id and r.approved_at is null)::int as pending_reenrollments,
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
    revokedAt: iso(row.revoked_at),
    pendingReenrollments: Number(row.pending_reenrollments ?? 0),
  };
}

/** Build the WHERE clause of a device filter, appending its values to `params`. */
function deviceWhere(filter: DeviceFilter, params: unknown[], onlineSince: Date): string {
  return whereOf(deviceClauses(filter, params, onlineSince));
}

function whereOf(clauses: readonly string[]): string {
  return clauses.length === 0 ? '' : `where ${clauses.join(' and ')}`;
}

/** The conditions of a device filter, appending their values to `params`, to be joined with others. */
function deviceClauses(filter: DeviceFilter, params: unknown[], onlineSince: Date): string[] {
  const clauses: string[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const online = (): string => `(d.connected_instance is not null and d.last_seen_at >= ${add(onlineSince)})`;
  if (filter.stage !== undefined) clauses.push(`d.stage = ${add(filter.stage)}`);
  if (filter.state !== undefined) clauses.push(`d.state = ${add(filter.state)}`);
  if (filter.domain !== undefined) clauses.push(`d.domain = ${add(filter.domain)}`);
  if (filter.online === true) clauses.push(online());
  if (filter.online === false) clauses.push(`not coalesce(${online()}, false)`);
  if (filter.search !== undefined) {
    const pattern = add(`%${filter.search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
    // The first test is what the trigram index over both columns answers (migration 6); it may also match across the
    // space between them, which the second test, on each column, rules out.
    clauses.push(`(d.hostname || ' ' || d.serial) ilike ${pattern} and (d.hostname ilike ${pattern} or d.serial ilike ${pattern})`);
  }
  if (filter.ids !== undefined) clauses.push(`d.id = any(${add(filter.ids)}::uuid[])`);
  return clauses;
}

function isUnfiltered(filter: DeviceFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/** The cache of fleet aggregates one store shares between its parts. */
export function fleetCache(kind: SqlDriver['kind']): WarmCache {
  return new WarmCache(kind === 'pglite' ? { ...FLEET_CACHE, freshMs: PGLITE_FRESH_MS } : FLEET_CACHE);
}

/** The device part of the Store. */
export type DeviceQueries = Pick<
  Store,
  | 'findDeviceByTokenHash'
  | 'recordConnect'
  | 'recordDisconnect'
  | 'touchDevices'
  | 'releaseInstance'
  | 'saveInventory'
  | 'saveStageState'
  | 'listDevices'
  | 'countDevices'
  | 'deviceIdsMatching'
  | 'getDevice'
  | 'overview'
  | 'progress'
>;

/** Device queries over `db`; `onlineSince(now)` is the last-seen threshold of an online device. */
export function deviceQueries(db: SqlDriver, onlineSince: (now: Date) => Date, cache: WarmCache): DeviceQueries {
  async function computeOverview(now: Date): Promise<FleetOverview> {
    const rows = await db.query<Row>(
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
      [onlineSince(now)],
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

  async function computeProgress(since: Date): Promise<ProgressPoint[]> {
    const rows = await db.query<Row>(
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

  async function overview(now: Date): Promise<FleetOverview> {
    if (Math.abs(now.getTime() - Date.now()) > WALL_CLOCK_SLACK_MS) return computeOverview(now);
    const readAt = Date.now();
    return cache.get('overview', () => computeOverview(new Date(now.getTime() + Date.now() - readAt)));
  }

  async function countDevices(filter: DeviceFilter, now: Date): Promise<number> {
    const params: unknown[] = [];
    const rows = await db.query<Row>(`select count(*)::int as n from devices d ${deviceWhere(filter, params, onlineSince(now))}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * The total shown with a page of a filtered list: counting 50,000 rows costs more than the page itself, so it comes
   * from the fleet cache like the overview (at most about a second old; a search is not kept warm).
   */
  async function listTotal(filter: DeviceFilter, now: Date): Promise<number> {
    if (Math.abs(now.getTime() - Date.now()) > WALL_CLOCK_SLACK_MS || filter.ids !== undefined) return countDevices(filter, now);
    const readAt = Date.now();
    const key = `count:${JSON.stringify([filter.stage, filter.state, filter.domain, filter.online, filter.search])}`;
    return cache.get(key, () => countDevices(filter, new Date(now.getTime() + Date.now() - readAt)), { keepWarm: filter.search === undefined });
  }

  /**
   * The ids of a page in list order, and whether a row lies beyond it in the direction of travel (one more is read).
   * A cursor page walks the list's index from the cursor (a row comparison on (hostname, id)), so page 500 costs what
   * page 1 costs; an offset page walks every skipped entry.
   */
  async function pageIds(filter: DeviceFilter, page: DevicePageRequest, now: Date): Promise<{ ids: string[]; more: boolean }> {
    const params: unknown[] = [];
    const clauses = deviceClauses(filter, params, onlineSince(now));
    const cursor = page.after ?? page.before;
    const backwards = page.after === undefined && page.before !== undefined;
    if (cursor !== undefined) {
      params.push(cursor.hostname, cursor.id);
      clauses.push(`(d.hostname, d.id) ${backwards ? '<' : '>'} ($${params.length - 1}, $${params.length}::uuid)`);
    }
    const direction = backwards ? 'desc' : 'asc';
    params.push(page.limit + 1);
    let sql = `select d.id from devices d ${whereOf(clauses)} order by d.hostname ${direction}, d.id ${direction} limit $${params.length}`;
    if (cursor === undefined && (page.offset ?? 0) > 0) {
      params.push(page.offset);
      sql += ` offset $${params.length}`;
    }
    const ids = (await db.query<Row>(sql, params)).map((row) => String(row.id));
    const more = ids.length > page.limit;
    return { ids: ids.slice(0, page.limit), more };
  }

  /** Whether a device matching `filter` lies after (or before) `key` in list order. */
  async function anyBeyond(filter: DeviceFilter, key: DeviceCursor, side: 'after' | 'before', now: Date): Promise<boolean> {
    const params: unknown[] = [];
    const clauses = deviceClauses(filter, params, onlineSince(now));
    params.push(key.hostname, key.id);
    clauses.push(`(d.hostname, d.id) ${side === 'after' ? '>' : '<'} ($${params.length - 1}, $${params.length}::uuid)`);
    const direction = side === 'after' ? 'asc' : 'desc';
    const rows = await db.query(`select 1 from devices d ${whereOf(clauses)} order by d.hostname ${direction}, d.id ${direction} limit 1`, params);
    return rows.length > 0;
  }

  return {
    async findDeviceByTokenHash(tokenHash: string): Promise<{ id: string; hardwareUuid: string; serial: string } | null> {
      const rows = await db.query<Row>('select id, hardware_uuid, serial from devices where token_hash = $1', [tokenHash]);
      const row = rows[0];
      return row === undefined ? null : { id: String(row.id), hardwareUuid: String(row.hardware_uuid), serial: String(row.serial) };
    },

    async recordConnect(
      deviceId: string,
      input: { agentVersion: string; protocolVersion: number; capabilities: string[]; instanceId: string; now: Date },
    ): Promise<void> {
      await db.query(
        `update devices set agent_version = $2, protocol_version = $3, capabilities = $4::jsonb, connected_instance = $5, last_seen_at = $6
         where id = $1`,
        [deviceId, input.agentVersion, input.protocolVersion, JSON.stringify(input.capabilities), input.instanceId, input.now],
      );
    },

    async recordDisconnect(deviceId: string, instanceId: string, now: Date): Promise<void> {
      await db.query('update devices set connected_instance = null, last_seen_at = $3 where id = $1 and connected_instance = $2', [
        deviceId,
        instanceId,
        now,
      ]);
    },

    async touchDevices(deviceIds: readonly string[], now: Date): Promise<void> {
      if (deviceIds.length === 0) return;
      await db.query('update devices set last_seen_at = $2 where id = any($1::uuid[])', [deviceIds, now]);
    },

    async releaseInstance(instanceId: string, now: Date): Promise<void> {
      await db.query('update devices set connected_instance = null, last_seen_at = $2 where connected_instance = $1', [instanceId, now]);
    },

    async saveInventory(deviceId: string, inventory: Inventory, collectedAt: Date, now: Date): Promise<void> {
      const mobileCount = inventory.users.filter((user) => user.kind === 'mobile').length;
      const bound = inventory.binding.kind === 'ad' ? true : inventory.binding.kind === 'none' ? false : null;
      const domain = inventory.binding.kind === 'ad' ? inventory.binding.domain : null;
      const text = JSON.stringify(inventory);
      // Agents send their inventory on every connection; after a server restart 20,000 of them send the one stored
      // already. Then only its time moves: one statement, no rewrite of the document, no milestone to look for.
      const unchanged = await db.query('update devices set inventory_at = $3 where id = $1 and inventory = $2::jsonb returning 1', [
        deviceId,
        text,
        collectedAt,
      ]);
      if (unchanged.length > 0) return;
      let reachedAny = false;
      await db.transaction(async (tx) => {
        const rows = await tx.query<Row>(
          `update devices set inventory = $2::jsonb, inventory_at = $3, hostname = $4, bound = $5, domain = coalesce($6, domain),
             ever_bound = ever_bound or coalesce($5, false), mobile_count = $7, ever_mobile = ever_mobile or $7 > 0,
             login_kind = $8, filevault = $9, macos_version = $10
           where id = $1 returning ever_bound, ever_mobile`,
          [deviceId, text, collectedAt, inventory.hostname, bound, domain, mobileCount, inventory.loginChain.kind, inventory.fileVault, inventory.macos.version],
        );
        const row = rows[0];
        if (row === undefined) return;
        const reached: string[] = [];
        if (row.ever_mobile === true && mobileCount === 0) reached.push('demobilized');
        if (row.ever_bound === true && bound === false) reached.push('unbound');
        if (inventory.loginChain.kind === 'idp') reached.push('idp_login');
        reachedAny = reached.length > 0;
        for (const milestone of reached) {
          await tx.query('insert into device_milestones (device_id, milestone, at) values ($1, $2, $3) on conflict do nothing', [deviceId, milestone, now]);
        }
      });
      // Milestones are rare (a few per device in its life): progress is recomputed at once after one.
      if (reachedAny) cache.invalidate();
    },

    async saveStageState(deviceId: string, state: StageState, at: Date): Promise<void> {
      await db.query('update devices set stage = $2, state = $3, waiting_for = $4, stage_state = $5::jsonb, stage_at = $6 where id = $1', [
        deviceId,
        state.stage,
        deriveDeviceState(state),
        state.waitingFor,
        JSON.stringify(state),
        at,
      ]);
    },

    async listDevices(filter: DeviceFilter, page: DevicePageRequest, now: Date): Promise<DevicePage> {
      const { ids, more } = await pageIds(filter, page, now);
      // The page's ids come first (index order, no per-row subqueries over the skipped rows), then their columns.
      const rows =
        ids.length === 0
          ? []
          : await db.query<Row>(
              `select ${DEVICE_COLUMNS} from devices d where d.id = any($2::uuid[]) order by d.hostname, d.id`,
              [onlineSince(now), ids],
            );
      const devices = rows.map(toDeviceSummary);
      const first = devices[0];
      const last = devices.at(-1);
      // Beyond the page in the direction of travel: `more` (one row past the limit was there). Behind it: the offset,
      // or for a cursor one indexed look-up, since rows may have come or gone around the cursor since it was made.
      let next: DeviceCursor | null = null;
      let previous: DeviceCursor | null = null;
      if (first !== undefined && last !== undefined) {
        const firstKey = { hostname: first.hostname, id: first.id };
        const lastKey = { hostname: last.hostname, id: last.id };
        if (page.after === undefined && page.before !== undefined) {
          previous = more ? firstKey : null;
          next = (await anyBeyond(filter, lastKey, 'after', now)) ? lastKey : null;
        } else {
          next = more ? lastKey : null;
          const behind = page.after !== undefined ? await anyBeyond(filter, firstKey, 'before', now) : (page.offset ?? 0) > 0;
          previous = behind ? firstKey : null;
        }
      }
      const total = isUnfiltered(filter) ? (await overview(now)).total : await listTotal(filter, now);
      return { devices, total, next, previous };
    },

    countDevices,

    async deviceIdsMatching(filter: DeviceFilter, now: Date, limit: number): Promise<string[]> {
      const params: unknown[] = [];
      const where = deviceWhere(filter, params, onlineSince(now));
      params.push(limit);
      const rows = await db.query<Row>(`select d.id from devices d ${where} order by d.id limit $${params.length}`, params);
      return rows.map((row) => String(row.id));
    },

    async getDevice(deviceId: string, now: Date): Promise<DeviceDetail | null> {
      const rows = await db.query<Row>(
        `select ${DEVICE_COLUMNS}, d.capabilities, d.protocol_version, d.inventory, d.inventory_at, d.stage_state, d.identity_changed_at
         from devices d where d.id = $2`,
        [onlineSince(now), deviceId],
      );
      const row = rows[0];
      if (row === undefined) return null;
      const requests = await db.query<Row>('select * from device_reenrollments where device_id = $1 order by requested_at, id', [deviceId]);
      return {
        ...toDeviceSummary(row),
        capabilities: (row.capabilities as string[] | null) ?? [],
        protocolVersion: row.protocol_version === null ? null : Number(row.protocol_version),
        inventory: (row.inventory as Inventory | null) ?? null,
        inventoryAt: iso(row.inventory_at),
        stageState: (row.stage_state as StageState | null) ?? null,
        identityChangedAt: iso(row.identity_changed_at),
        reenrollmentRequests: requests.map((request) => ({
          id: String(request.id),
          serial: String(request.serial),
          hostname: String(request.hostname),
          agentVersion: String(request.agent_version),
          remoteAddress: (request.remote_address as string | null) ?? null,
          requestedAt: isoRequired(request.requested_at),
          approvedAt: iso(request.approved_at),
          approvedBy: (request.approved_by as string | null) ?? null,
        })),
      };
    },

    overview,

    async progress(since: Date): Promise<ProgressPoint[]> {
      const sinceDay = since.toISOString().slice(0, 10);
      return cache.get(`progress:${sinceDay}`, () => computeProgress(since));
    },
  };
}
