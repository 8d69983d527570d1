// SqlDriver over PGlite: PostgreSQL compiled to WASM, running in this process. Used when DATABASE_URL is not set,
// so a newcomer needs no database to start the server. One instance per data directory; single server instance.
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Queryable, SqlDriver } from './driver.js';

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

  constructor(db: PGlite) {
    this.#db = db;
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
    await this.#db.close();
  }
}
