// SqlDriver over PGlite: PostgreSQL compiled to WASM, running in this process. Used when DATABASE_URL is not set,
// so a newcomer needs no database to start the server. One instance per data directory; single server instance.
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Queryable, SqlDriver } from './driver.js';

/**
 * PGlite has no autovacuum: without this, every last-seen update leaves a dead row version behind for good, the
 * planner's statistics never follow the fleet, index-only scans visit the heap, and the trigram indexes' pending
 * lists grow. Vacuuming the tables the dashboard reads every few minutes stands in for it (under a second at
 * 50,000 devices, while other queries wait).
 */
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;
const MAINTENANCE_SQL = ['vacuum (analyze) devices', 'vacuum (analyze) events', 'vacuum (analyze) device_milestones'];

/** Open an embedded database in `dataDir`, or in memory when dataDir is undefined. */
export async function openPgliteDriver(dataDir: string | undefined): Promise<SqlDriver> {
  // pg_trgm backs the device search's trigram indexes (migration 3).
  const options = { extensions: { pg_trgm } };
  const db = dataDir === undefined ? await PGlite.create(options) : await PGlite.create(dataDir, options);
  return new PgliteDriver(db);
}

class PgliteDriver implements SqlDriver {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  readonly #maintenance: NodeJS.Timeout;

  constructor(db: PGlite) {
    this.#db = db;
    this.#maintenance = setInterval(() => void this.vacuum().catch(() => undefined), MAINTENANCE_INTERVAL_MS);
    this.#maintenance.unref();
  }

  /** What autovacuum would do on PostgreSQL, for the tables that grow and churn. */
  async vacuum(): Promise<void> {
    for (const sql of MAINTENANCE_SQL) await this.#db.exec(sql);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.#db.query<Row>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (tx) =>
      work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await tx.query<Row>(sql, params as unknown[])).rows,
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      }),
    );
  }

  async listen(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>> {
    return this.#db.listen(channel, onNotice);
  }

  async close(): Promise<void> {
    clearInterval(this.#maintenance);
    await this.#db.close();
  }
}
