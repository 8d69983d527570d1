// Audit SQL: one row per admin action (locks, unlocks, commands, tokens, secrets), written in the same transaction
// as the action so that neither exists without the other.
import type { Queryable, SqlDriver } from '../driver.js';
import type { AuditEntry, Store, StoredAuditEntry } from '../store.js';
import { isoRequired, type Row } from './rows.js';

/** Write one audit row inside the caller's transaction. */
export async function insertAudit(tx: Queryable, entry: AuditEntry, at: Date): Promise<void> {
  await tx.query('insert into audit_log (at, actor, action, subject, detail) values ($1, $2, $3, $4, $5::jsonb)', [
    at,
    entry.actor,
    entry.action,
    entry.subject,
    JSON.stringify(entry.detail),
  ]);
}

/**
 * Run `write` with its audit row in one transaction; without an entry, `write` runs on the driver alone (a single
 * statement needs no transaction).
 */
export async function withAudit<T>(db: SqlDriver, audit: AuditEntry | undefined, at: Date, write: (q: Queryable) => Promise<T>): Promise<T> {
  if (audit === undefined) return write(db);
  return db.transaction(async (tx) => {
    const result = await write(tx);
    await insertAudit(tx, audit, at);
    return result;
  });
}

/** The audit part of the Store. */
export type AuditQueries = Pick<Store, 'listAudit'>;

/** Audit queries over `db`. */
export function auditQueries(db: SqlDriver): AuditQueries {
  return {
    async listAudit(query: { limit: number; before?: string }): Promise<StoredAuditEntry[]> {
      const params: unknown[] = [];
      let where = '';
      if (query.before !== undefined) {
        params.push(query.before);
        where = `where id < $${params.length}`;
      }
      params.push(query.limit);
      const rows = await db.query<Row>(`select * from audit_log ${where} order by id desc limit $${params.length}`, params);
      return rows.map((row) => ({
        id: String(row.id),
        at: isoRequired(row.at),
        actor: String(row.actor),
        action: String(row.action),
        subject: String(row.subject),
        detail: (row.detail as Record<string, unknown> | null) ?? {},
      }));
    },
  };
}
