// Choose and open the store: PostgreSQL when a connection string is given, embedded PGlite otherwise.
import type { Logger } from 'winston';
import { openPgDriver } from './pg-driver.js';
import { openPgliteDriver } from './pglite-driver.js';
import { createSqlStore } from './sql-store.js';
import type { Store } from './store.js';

/** Where the store lives. */
export type StoreLocation = { kind: 'postgres'; connectionString: string } | { kind: 'pglite'; dataDir: string | undefined };

/**
 * Open and migrate the store at `location`. `onLost` hears of an embedded database that stopped on its own: every
 * call fails from then on (PostgreSQL's pool reconnects by itself and never calls it).
 */
export async function openStore(location: StoreLocation, options: { onlineGraceMs: number; logger: Logger; onLost?: (error: Error) => void }): Promise<Store> {
  const driver =
    location.kind === 'postgres'
      ? await openPgDriver(location.connectionString, options.logger)
      : await openPgliteDriver(location.dataDir, { onStopped: options.onLost });
  return createSqlStore(driver, { onlineGraceMs: options.onlineGraceMs });
}
