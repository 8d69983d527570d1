// Open stores of each backend for tests. The PostgreSQL cluster is started once per test file (lazily) and each
// store gets its own database, so tests never see each other's rows.
import { afterAll } from 'vitest';
import { openPgDriver } from '../../../server/src/store/pg-driver.js';
import { openPgliteDriver } from '../../../server/src/store/pglite-driver.js';
import { createSqlStore } from '../../../server/src/store/sql-store.js';
import type { Store } from '../../../server/src/store/store.js';
import { silentLogger } from './logger.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './postgres.js';

export type BackendKind = 'pglite' | 'postgres';

/** Online grace used by tests: a device seen within 90 s and connected is online. */
export const TEST_ONLINE_GRACE_MS = 90_000;

/**
 * The backends the shared suites run on. PostgreSQL is required when CI is set (a missing install must fail,
 * not silently skip); elsewhere it is used when available.
 */
export function testBackends(): BackendKind[] {
  if (postgresAvailable()) return ['pglite', 'postgres'];
  if (process.env.CI !== undefined) throw new Error('PostgreSQL is required in CI: install the postgresql package or set DATABASE_URL');
  return ['pglite'];
}

let cluster: Promise<TestPostgres> | undefined;
afterAll(async () => {
  if (cluster !== undefined) await (await cluster).stop();
  cluster = undefined;
});

/** A fresh database URL on the file's PostgreSQL cluster. */
export async function freshPostgresUrl(): Promise<string> {
  cluster ??= startTestPostgres();
  return (await cluster).createDatabase();
}

/** Open a migrated, empty store of `kind`. */
export async function openTestStore(kind: BackendKind, connectionString?: string): Promise<Store> {
  if (kind === 'pglite') return createSqlStore(await openPgliteDriver(undefined), { onlineGraceMs: TEST_ONLINE_GRACE_MS });
  const url = connectionString ?? (await freshPostgresUrl());
  return createSqlStore(await openPgDriver(url, silentLogger()), { onlineGraceMs: TEST_ONLINE_GRACE_MS });
}

/**
 * A migrated, empty store of `kind` and a way to run SQL on its database: tests use it to make the real database
 * refuse a value (a CHECK constraint) the way it refuses NUL, so the refusal path is exercised end to end.
 */
export async function openTestStoreWithSql(
  kind: BackendKind,
): Promise<{ store: Store; exec(sql: string): Promise<void>; query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> }> {
  const driver = kind === 'pglite' ? await openPgliteDriver(undefined) : await openPgDriver(await freshPostgresUrl(), silentLogger());
  const store = await createSqlStore(driver, { onlineGraceMs: TEST_ONLINE_GRACE_MS });
  return { store, exec: (sql) => driver.exec(sql), query: (sql, params) => driver.query(sql, params) };
}
