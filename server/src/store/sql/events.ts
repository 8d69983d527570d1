// Event SQL: idempotent batch insert and listing.
import type { AgentEvent } from '../../../../protocol/src/index.js';
import { sqlState, type SqlDriver } from '../driver.js';
import type { Store, StoredEvent } from '../store.js';
import { isoRequired, type Row } from './rows.js';

/** The event part of the Store. */
export type EventQueries = Pick<Store, 'insertEvents' | 'listEvents'>;

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * The batch INSERT; `onConflict` is empty or skips ids already stored. With `ordered`, rows are inserted in event-id
 * order, so two batches holding the same re-sent id take their row locks in the same order and cannot deadlock
 * (PostgreSQL runs several batches at once). PGlite runs one statement at a time and skips the sort (about 7 % of a
 * row's cost there).
 */
function insertEventsSql(onConflict: '' | 'on conflict (event_id) do nothing', ordered: boolean): string {
  return `with live as (
      select id from devices where id = any($3::uuid[]) order by id for key share),
    inserted as (
      insert into events (event_id, device_id, seq, time, received_at, kind, user_name, stage, code, message, detail)
      select e.event_id, e.device_id, e.seq, e.time, $2, e.kind, e.user_name, e.stage, e.code, e.message, e.detail
      from json_to_recordset($1::json) as e(event_id uuid, device_id uuid, seq bigint, time timestamptz, kind text,
        user_name text, stage text, code text, message text, detail jsonb)
      where e.device_id in (select id from live)
      ${ordered ? 'order by e.event_id' : ''}
      ${onConflict}
      returning 1)
    select count(*)::int as n from inserted`;
}

/** Event queries over `db`. */
export function eventQueries(db: SqlDriver): EventQueries {
  const ordered = db.kind === 'postgres';
  return {
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
      // No per-row foreign key (migration 7): the batch's devices are locked once each (FOR KEY SHARE, in id order)
      // and only events of a device still there are inserted. A device being deleted either waits for this batch to
      // commit and then deletes its events, or has deleted the row first so that this lock finds nothing
      // (deleteDevice deletes the device row before its events). Events of a deleted device are not stored, and
      // their ack tells the agent nothing it could act on: its credential went with the device.
      const deviceIds = [...new Set(records.map((record) => record.device_id))];
      const params = [JSON.stringify(records), receivedAt, deviceIds];
      let rows: Row[];
      try {
        rows = await db.query<Row>(insertEventsSql('', ordered), params);
      } catch (error) {
        // Some event of the batch is stored already (re-sent after a lost ack) or is in it twice: insert the batch
        // again, skipping those. The first try goes without ON CONFLICT because checking every row for a conflict
        // costs each event about a sixth more in PGlite, while a repeated id is rare.
        if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
        rows = await db.query<Row>(insertEventsSql('on conflict (event_id) do nothing', ordered), params);
      }
      return { inserted: Number(rows[0]?.n ?? 0) };
    },

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
      const rows = await db.query<Row>(
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
    },
  };
}
