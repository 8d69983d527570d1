// SqlDriver over node-postgres: a Pool for queries and one dedicated client for LISTEN. Used when DATABASE_URL is
// set; several server instances may share the database.
import pg from 'pg';
import type { Logger } from 'winston';
import type { Queryable, SqlDriver } from './driver.js';

/** How long to wait before re-opening a LISTEN connection that failed. */
const LISTEN_RETRY_MS = 2000;

/** Open a pool to `connectionString`. */
export async function openPgDriver(connectionString: string, logger: Logger, poolSize = 10): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  pool.on('error', (error) => logger.warn('pg_pool_error', { error: error.message }));
  // Fail early with a clear error rather than on the first request.
  await pool.query('select 1');
  return new PgDriver(pool, connectionString, logger);
}

class PgDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #connectionString: string;
  readonly #logger: Logger;

  constructor(pool: pg.Pool, connectionString: string, logger: Logger) {
    this.#pool = pool;
    this.#connectionString = connectionString;
    this.#logger = logger;
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.#pool.query(sql, params as unknown[]);
    return result.rows as Row[];
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('begin');
      const result = await work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as Row[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async listen(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_]+$/.test(channel)) throw new Error(`listening on channel "${channel}": invalid channel name`);
    let stopped = false;
    let client: pg.Client | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.#connectionString });
      next.on('notification', (notice) => {
        if (notice.channel === channel) onNotice(notice.payload ?? '');
      });
      next.on('error', (error) => {
        this.#logger.warn('pg_listen_error', { channel, error: error.message });
        next.end().catch(() => undefined);
        if (!stopped) setTimeout(() => void reconnect(), LISTEN_RETRY_MS).unref();
      });
      await next.connect();
      await next.query(`listen ${channel}`);
      client = next;
    };
    const reconnect = async (): Promise<void> => {
      try {
        await connect();
      } catch (error) {
        this.#logger.warn('pg_listen_reconnect_failed', { channel, error: (error as Error).message });
        if (!stopped) setTimeout(() => void reconnect(), LISTEN_RETRY_MS).unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
