// Command SQL: creation, delivery, results, expiry, and the cross-instance "new commands" notice.
import type { CommandResult } from '../../../../protocol/src/index.js';
import type { SqlDriver } from '../driver.js';
import type { AuditEntry, CommandStatus, NewCommand, Store, StoredCommand } from '../store.js';
import { withAudit } from './audit.js';
import { iso, isoRequired, type Row } from './rows.js';

/** NOTIFY channel for "these devices have new commands". */
export const COMMAND_CHANNEL = 'untether_commands';
/** NOTIFY payloads are limited to 8000 bytes: past this many ids, send "*" (every instance sweeps). */
const MAX_IDS_PER_NOTICE = 150;

/** The payload of a "new commands" notice for these devices. */
export function commandNoticePayload(deviceIds: readonly string[]): string {
  return deviceIds.length > MAX_IDS_PER_NOTICE ? '*' : deviceIds.join(',');
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

/** The command part of the Store. */
export type CommandQueries = Pick<
  Store,
  | 'createCommands'
  | 'deliverableCommands'
  | 'devicesWithPendingCommands'
  | 'markCommandsSent'
  | 'recordCommandResult'
  | 'expireCommands'
  | 'listCommands'
  | 'notifyCommands'
  | 'onCommandNotice'
>;

/** Command queries over `db`. */
export function commandQueries(db: SqlDriver): CommandQueries {
  return {
    async createCommands(commands: readonly NewCommand[], audit?: AuditEntry): Promise<void> {
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
      await withAudit(db, audit, commands[0]?.issuedAt ?? new Date(), (q) => q.query(
        `insert into commands (id, device_id, batch_id, type, params, issued_at, valid_until, created_by, status)
         select c.id, c.device_id, c.batch_id, c.type, c.params, c.issued_at, c.valid_until, c.created_by, 'pending'
         from jsonb_to_recordset($1::jsonb) as c(id uuid, device_id uuid, batch_id uuid, type text, params jsonb,
           issued_at timestamptz, valid_until timestamptz, created_by text)`,
        [JSON.stringify(records)],
      ));
    },

    async deliverableCommands(deviceIds: readonly string[], now: Date): Promise<StoredCommand[]> {
      if (deviceIds.length === 0) return [];
      const rows = await db.query<Row>(
        `select c.*, d.hostname from commands c join devices d on d.id = c.device_id
         where c.device_id = any($1::uuid[]) and c.status in ('pending', 'sent') and c.valid_until > $2
         order by c.issued_at, c.id`,
        [deviceIds, now],
      );
      return rows.map(toStoredCommand);
    },

    async devicesWithPendingCommands(now: Date, limit: number): Promise<string[]> {
      const rows = await db.query<Row>(
        `select distinct device_id from commands where status = 'pending' and valid_until > $1 limit $2`,
        [now, limit],
      );
      return rows.map((row) => String(row.device_id));
    },

    async markCommandsSent(commandIds: readonly string[], instanceId: string, now: Date): Promise<void> {
      if (commandIds.length === 0) return;
      await db.query(
        `update commands set status = 'sent', sent_at = coalesce(sent_at, $3), sent_by_instance = $2
         where id = any($1::uuid[]) and status in ('pending', 'sent')`,
        [commandIds, instanceId, now],
      );
    },

    // A cancelled command may have left in a race with its lock's release: its real outcome is still recorded, so the
    // lock's progress shows it and the next inventory sends the unlock.
    async recordCommandResult(deviceId: string, result: CommandResult, now: Date): Promise<boolean> {
      const rows = await db.query(
        // A result proves the command was sent, even when it arrived before the sender recorded the send.
        `update commands set status = $3, finished_at = $4, result = $5::jsonb, sent_at = coalesce(sent_at, $4)
         where id = $1 and device_id = $2 and status in ('pending', 'sent', 'expired', 'cancelled') returning id`,
        [result.commandId, deviceId, result.outcome, now, JSON.stringify(result)],
      );
      return rows.length > 0;
    },

    async expireCommands(now: Date): Promise<number> {
      const rows = await db.query(`update commands set status = 'expired' where status in ('pending', 'sent') and valid_until <= $1 returning id`, [now]);
      return rows.length;
    },

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
      const rows = await db.query<Row>(
        `select c.*, d.hostname from commands c join devices d on d.id = c.device_id
         ${clauses.length > 0 ? `where ${clauses.join(' and ')}` : ''} order by c.issued_at desc, c.id limit $${params.length}`,
        params,
      );
      return rows.map(toStoredCommand);
    },

    async notifyCommands(deviceIds: readonly string[]): Promise<void> {
      if (deviceIds.length === 0) return;
      await db.query('select pg_notify($1, $2)', [COMMAND_CHANNEL, commandNoticePayload(deviceIds)]);
    },

    async onCommandNotice(handler: (deviceIds: string[]) => void): Promise<() => Promise<void>> {
      return db.listen(COMMAND_CHANNEL, (payload) => handler(payload === '*' ? ['*'] : payload.split(',').filter((id) => id.length > 0)));
    },
  };
}
