// Choose and open the store: PostgreSQL when a connection string is given, embedded PGlite otherwise.
import type { Logger } from 'winston';
import { openPgDriver } from './pg-driver.js';
import { openPgliteDriver } from './pglite-driver.js';
import { createSqlStore } from './sql-store.js';
import type { Store } from './store.js';

/** Where the store lives. */
export type StoreLocation = { kind: 'postgres'; connectionString: string } | { kind: 'pglite'; dataDir: string | undefined };

/** Open and migrate the store at `location`. */
export async function openStore(location: StoreLocation, options: { onlineGraceMs: number; logger: Logger }): Promise<Store> {
  const driver =
    location.kind === 'postgres' ? await openPgDriver(location.connectionString, options.logger) : await openPgliteDriver(location.dataDir);
  return createSqlStore(driver, { onlineGraceMs: options.onlineGraceMs });
}
