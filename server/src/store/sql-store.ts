// SqlStore: the Store over a SqlDriver, composed of one part per concern (server/src/store/sql/). Every SQL
// statement of the server lives in those parts, so both backends get exactly the same text.
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import { changeQueries } from './sql/changes.js';
import { auditQueries } from './sql/audit.js';
import { commandQueries } from './sql/commands.js';
import { credentialQueries } from './sql/credentials.js';
import { deviceQueries, fleetCache } from './sql/devices.js';
import { enrollmentQueries } from './sql/enrollment.js';
import { eventQueries } from './sql/events.js';
import { lockQueries } from './sql/locks.js';
import type { Store } from './store.js';

export { deriveDeviceState } from './sql/devices.js';

/** Options of the SQL store. */
export interface SqlStoreOptions {
  /** A device counts as online while connected and seen within this many milliseconds. */
  onlineGraceMs: number;
}

/** Build a Store over `driver`, applying migrations first. */
export async function createSqlStore(driver: SqlDriver, options: SqlStoreOptions): Promise<Store> {
  await migrate(driver);
  const onlineSince = (now: Date): Date => new Date(now.getTime() - options.onlineGraceMs);
  const cache = fleetCache(driver.kind);
  const enrollment = enrollmentQueries(driver);
  /** Enrolling, revoking or deleting a device changes the fleet's membership: fleet aggregates are recomputed at once. */
  const invalidating = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await write(...args);
    } finally {
      cache.invalidate();
    }
  };
  return {
    kind: driver.kind,
    ...credentialQueries(driver),
    ...enrollment,
    enrollDevice: invalidating(enrollment.enrollDevice),
    revokeDevice: invalidating(enrollment.revokeDevice),
    deleteDevice: invalidating(enrollment.deleteDevice),
    ...deviceQueries(driver, onlineSince, cache),
    ...eventQueries(driver),
    ...commandQueries(driver),
    ...changeQueries(driver),
    fleetChanged: () => cache.invalidate(),
    ...lockQueries(driver, onlineSince),
    ...auditQueries(driver),
    close: async () => {
      cache.close();
      await driver.close();
    },
  };
}
