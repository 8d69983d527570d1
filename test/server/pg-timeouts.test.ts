// Issue 11 item 11: the PostgreSQL pool bounds connecting and each statement, so a stuck or unreachable database
// fails requests with an error instead of holding them (and their sockets) forever.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PG_TIMEOUTS, openPgDriver, pgTimeoutsFromEnv } from '../../server/src/store/pg-driver.js';
import { silentLogger } from './helpers/logger.js';
import { postgresAvailable } from './helpers/postgres.js';
import { freshPostgresUrl } from './helpers/stores.js';

describe('PostgreSQL pool timeouts', () => {
  it('reads the timeouts from the environment with defaults, and names a bad variable', () => {
    expect(pgTimeoutsFromEnv({})).toEqual(DEFAULT_PG_TIMEOUTS);
    expect(pgTimeoutsFromEnv({ UNTETHER_PG_CONNECT_TIMEOUT_MS: '2500', UNTETHER_PG_STATEMENT_TIMEOUT_MS: '9000' })).toMatchObject({ connectMs: 2500, statementMs: 9000 });
    expect(() => pgTimeoutsFromEnv({ UNTETHER_PG_STATEMENT_TIMEOUT_MS: 'soon' })).toThrow('UNTETHER_PG_STATEMENT_TIMEOUT_MS');
  });

  it('gives up connecting to a server that accepts TCP but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const started = Date.now();
    await expect(
      openPgDriver(`postgres://nobody@127.0.0.1:${port}/none`, silentLogger(), 2, { connectMs: 300, statementMs: 1000, idleInTransactionMs: 1000 }),
    ).rejects.toThrow(/connecting to PostgreSQL/);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it.skipIf(!postgresAvailable())('cancels a statement that runs past the statement timeout', async () => {
    const driver = await openPgDriver(await freshPostgresUrl(), silentLogger(), 2, { connectMs: 5000, statementMs: 300, idleInTransactionMs: 5000 });
    try {
      await expect(driver.query('select pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
      expect(await driver.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await driver.close();
    }
  }, 60_000);
});
