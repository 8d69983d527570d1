// The dashboard's fleet views at scale: the indexes migration 3 adds are there and usable by the store's filters,
// and the cached fleet counts change at once when this instance enrolls or deletes a device.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../../server/src/store/driver.js';
import { openPgDriver } from '../../server/src/store/pg-driver.js';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { createSqlStore } from '../../server/src/store/sql-store.js';
import type { Store } from '../../server/src/store/store.js';
import { silentLogger } from './helpers/logger.js';
import { freshPostgresUrl, testBackends, TEST_ONLINE_GRACE_MS } from './helpers/stores.js';

async function enroll(store: Store, secretId: string, hostname: string): Promise<string> {
  const outcome = await store.enrollDevice({
    newDeviceId: randomUUID(),
    hardwareUuid: randomUUID().toUpperCase(),
    serial: `S${hostname}`,
    hostname,
    agentVersion: '0.1.0',
    tokenHash: `hash-${randomUUID()}`,
    secretId,
    now: new Date(),
    presentedTokenHash: null,
    pollRequestHash: null,
    newRequest: { id: randomUUID(), requestHash: `request-${randomUUID()}`, remoteAddress: '127.0.0.1' },
    maxPendingPerDevice: 5,
  });
  if (outcome.kind !== 'enrolled') throw new Error(`enrolling test device: ${outcome.kind}`);
  return outcome.deviceId;
}

/** The plan of `sql` with sequential scans discouraged, so a usable index shows up even on a small table. */
async function planOf(driver: SqlDriver, sql: string): Promise<string> {
  return driver.transaction(async (tx) => {
    await tx.exec('set local enable_seqscan = off');
    const rows = await tx.query<Record<string, string>>(`explain ${sql}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe.each(testBackends())('fleet views on %s', (backend) => {
  let driver: SqlDriver;
  let store: Store;
  let secretId: string;

  beforeAll(async () => {
    driver = backend === 'pglite' ? await openPgliteDriver(undefined) : await openPgDriver(await freshPostgresUrl(), silentLogger());
    store = await createSqlStore(driver, { onlineGraceMs: TEST_ONLINE_GRACE_MS });
    secretId = randomUUID();
    await store.createEnrollmentSecret({ id: secretId, name: 'default', secretHash: 'secret-hash', now: new Date(), expiresAt: null, maxDevices: 1000 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('has an index in list order for each dashboard filter and trigram indexes for substring search', async () => {
    const indexes = (await driver.query<{ indexname: string }>(`select indexname from pg_indexes where tablename = 'devices'`)).map((row) => row.indexname);
    expect(indexes).toEqual(
      expect.arrayContaining(['devices_stage_hostname', 'devices_state_hostname', 'devices_domain_hostname', 'devices_connected_hostname', 'devices_search_trgm']),
    );
    expect(indexes).not.toContain('devices_last_seen');
    const search = `(d.hostname || ' ' || d.serial) ilike '%ac-04%' and (d.hostname ilike '%ac-04%' or d.serial ilike '%ac-04%')`;
    expect(await planOf(driver, `select id from devices d where ${search}`)).toMatch(/devices_search_trgm/);
    expect(await planOf(driver, `select id from devices d where d.stage = 'unbind' order by d.hostname, d.id limit 50`)).toMatch(/devices_stage_hostname/);
  });

  it('finds devices by a substring of hostname or serial, in hostname order', async () => {
    for (const name of ['lab-0421-a', 'lab-1421-b', 'lab-0421-c', 'office-7']) await enroll(store, secretId, name);
    const page = await store.listDevices({ search: '0421' }, { limit: 50, offset: 0 }, new Date());
    expect(page.devices.map((device) => device.hostname)).toEqual(['lab-0421-a', 'lab-0421-c']);
    expect(page.total).toBe(2);
    // Serials here are 'S' + hostname: a term spanning the end of one column and the start of the other matches neither.
    expect((await store.listDevices({ search: 'office-7 Soffice' }, { limit: 50, offset: 0 }, new Date())).devices).toEqual([]);
    expect((await store.listDevices({ search: 'SOFFICE-7' }, { limit: 50, offset: 0 }, new Date())).devices.map((device) => device.hostname)).toEqual(['office-7']);
  });

  it('keeps the search index free of a pending list, so updated rows never push search off the index', async () => {
    const rows = await driver.query<{ reloptions: string[] | null }>(`select reloptions from pg_class where relname = 'devices_search_trgm'`);
    expect(rows[0]?.reloptions).toContain('fastupdate=off');
  });

  it('counts an enrolled or deleted device at once, though fleet counts are cached', async () => {
    const before = await store.overview(new Date());
    expect((await store.listDevices({}, { limit: 1, offset: 0 }, new Date())).total).toBe(before.total);
    const id = await enroll(store, secretId, 'lab-new');
    expect((await store.overview(new Date())).total).toBe(before.total + 1);
    expect((await store.listDevices({}, { limit: 1, offset: 0 }, new Date())).total).toBe(before.total + 1);
    expect((await store.progress(new Date(Date.now() - 86_400_000))).at(-1)?.enrolled).toBe(before.total + 1);
    expect(await store.deleteDevice(id)).toBe(true);
    expect((await store.overview(new Date())).total).toBe(before.total);
  });
});
