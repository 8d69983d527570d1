// SqlDriver over node-postgres: a Pool for queries and one dedicated client for LISTEN. Used when DATABASE_URL is
// set; several server instances may share the database.
import pg from 'pg';
import type { Logger } from 'winston';
import * as z from 'zod';
import { summarizeIssues } from '../../../protocol/src/index.js';
import type { Queryable, SqlDriver } from './driver.js';

/** How long to wait before re-opening a LISTEN connection that failed. */
const LISTEN_RETRY_MS = 2000;

/** Bounds on waiting for PostgreSQL, so a stuck database fails requests instead of piling them up forever. */
export interface PgTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /** One statement, enforced by the server (`statement_timeout`); the client gives up a little later too. */
  statementMs: number;
  /** A transaction left idle (`idle_in_transaction_session_timeout`), so a stuck client cannot hold locks. */
  idleInTransactionMs: number;
}

export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 10_000, statementMs: 30_000, idleInTransactionMs: 60_000 };

const TimeoutMs = z.coerce.number().int().min(100).max(3_600_000);
const PgTimeoutEnv = z.object({
  UNTETHER_PG_CONNECT_TIMEOUT_MS: TimeoutMs.optional(),
  UNTETHER_PG_STATEMENT_TIMEOUT_MS: TimeoutMs.optional(),
  UNTETHER_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: TimeoutMs.optional(),
});

/** The timeouts from the environment (pure: the environment is passed in); throws naming a bad variable. */
export function pgTimeoutsFromEnv(rawEnv: Record<string, string | undefined>): PgTimeouts {
  const parsed = PgTimeoutEnv.safeParse(rawEnv);
  if (!parsed.success) throw new Error(`reading the environment: ${summarizeIssues(parsed.error.issues)}`);
  return {
    connectMs: parsed.data.UNTETHER_PG_CONNECT_TIMEOUT_MS ?? DEFAULT_PG_TIMEOUTS.connectMs,
    statementMs: parsed.data.UNTETHER_PG_STATEMENT_TIMEOUT_MS ?? DEFAULT_PG_TIMEOUTS.statementMs,
    idleInTransactionMs: parsed.data.UNTETHER_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? DEFAULT_PG_TIMEOUTS.idleInTransactionMs,
  };
}

/**
 * Open a pool to `connectionString`. The timeouts default to the environment's (UNTETHER_PG_*_TIMEOUT_MS): the
 * store is opened through open.ts, which does not carry them, so they are read here, once, at open.
 */
export async function openPgDriver(
  connectionString: string,
  logger: Logger,
  poolSize = 10,
  timeouts: PgTimeouts = pgTimeoutsFromEnv(process.env),
): Promise<SqlDriver> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    // The client-side bound covers a server that stopped answering altogether (statement_timeout needs it alive).
    query_timeout: timeouts.statementMs + 5000,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  });
  pool.on('error', (error) => logger.warn('pg_pool_error', { error: error.message }));
  // Fail early with a clear error rather than on the first request.
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`connecting to PostgreSQL: ${(error as Error).message}`);
  }
  return new PgDriver(pool, connectionString, logger, timeouts);
}

class PgDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #connectionString: string;
  readonly #logger: Logger;

  readonly #timeouts: PgTimeouts;

  constructor(pool: pg.Pool, connectionString: string, logger: Logger, timeouts: PgTimeouts) {
    this.#pool = pool;
    this.#timeouts = timeouts;
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
      const next = new pg.Client({ connectionString: this.#connectionString, connectionTimeoutMillis: this.#timeouts.connectMs });
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
