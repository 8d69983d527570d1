// The cross-instance "the dashboard's data changed" notice: one NOTIFY channel; the payload is the live feed's
// (server/src/live/topics.ts), passed through untouched.
import type { SqlDriver } from '../driver.js';
import type { Store } from '../store.js';

/** NOTIFY channel for dashboard change notices. */
const CHANGE_CHANNEL = 'untether_changes';

/** The change-notice part of the Store. */
export type ChangeQueries = Pick<Store, 'notifyChanges' | 'onChangeNotice'>;

/** Change-notice queries over `db`. */
export function changeQueries(db: SqlDriver): ChangeQueries {
  return {
    async notifyChanges(payload: string): Promise<void> {
      await db.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
    },

    async onChangeNotice(handler: (payload: string) => void): Promise<() => Promise<void>> {
      return db.listen(CHANGE_CHANNEL, handler);
    },
  };
}
