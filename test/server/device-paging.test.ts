// Keyset paging of the device list (what the dashboard's Previous/Next use): walking by cursor visits every device
// matching the filter once, in list order (hostname, then id, so devices sharing a hostname are neither skipped nor
// repeated), both ways, and stays anchored when rows come and go; the API hands cursors out and refuses forged ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceCursor, DeviceFilter, DevicePage, Store } from '../../server/src/store/store.js';
import { startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStoreWithSql, testBackends } from './helpers/stores.js';

const STAGES = ['scan', 'demobilize', 'unbind'];

/** `count` devices; hostnames repeat (host-00 … host-06), stages cycle, so filters and ties are both exercised. */
function insertDevicesSql(count: number, prefix: string): string {
  return `insert into devices (id, hardware_uuid, serial, hostname, enrolled_at, agent_version, stage)
    select gen_random_uuid(), '${prefix}-' || n, 'SER${prefix}' || n, '${prefix}-' || lpad((n % 7)::text, 2, '0'), now(), '0.1.0',
      (array['${STAGES.join("','")}'])[1 + n % 3]
    from generate_series(1, ${count}) as s(n)`;
}

async function walkForward(store: Store, filter: DeviceFilter, limit: number): Promise<{ ids: string[]; pages: DevicePage[] }> {
  const pages: DevicePage[] = [];
  let after: DeviceCursor | undefined;
  for (let guard = 0; guard < 1000; guard += 1) {
    const page = await store.listDevices(filter, { limit, after }, new Date());
    pages.push(page);
    if (page.next === null) break;
    after = page.next;
  }
  return { ids: pages.flatMap((page) => page.devices.map((device) => device.id)), pages };
}

describe.each(testBackends())('device list paging on %s', (backend) => {
  let store: Store;
  let exec: (sql: string) => Promise<void>;

  beforeAll(async () => {
    ({ store, exec } = await openTestStoreWithSql(backend));
    await exec(insertDevicesSql(40, 'host'));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  for (const [label, filter] of [
    ['no filter', {}],
    ['a stage filter', { stage: 'demobilize' }],
    ['a search', { search: 'host-03' }],
  ] as Array<[string, DeviceFilter]>) {
    it(`walks every device once in list order by cursor, forward and back, with ${label}`, async () => {
      const all = (await store.listDevices(filter, { limit: 500, offset: 0 }, new Date())).devices;
      expect(all.length).toBeGreaterThan(5);
      // Ties: several devices share each hostname, so a page boundary falls inside a run of equal hostnames.
      expect(new Set(all.map((device) => device.hostname)).size).toBeLessThan(all.length);
      const { ids, pages } = await walkForward(store, filter, 4);
      expect(ids).toEqual(all.map((device) => device.id));
      expect(pages[0]?.previous).toBeNull();
      expect(pages.at(-1)?.next).toBeNull();
      for (const page of pages.slice(1)) expect(page.previous).not.toBeNull();

      // Back from the last page by `before`: the same pages in reverse.
      const backwards: string[][] = [];
      let page = pages.at(-1)!;
      while (page.previous !== null) {
        page = await store.listDevices(filter, { limit: 4, before: page.previous }, new Date());
        backwards.push(page.devices.map((device) => device.id));
        expect(page.next).not.toBeNull();
      }
      expect(backwards.reverse()).toEqual(pages.slice(0, -1).map((each) => each.devices.map((device) => device.id)));
    });
  }

  it('says whether devices lie before a page by offset, and past its end', async () => {
    const first = await store.listDevices({}, { limit: 10, offset: 0 }, new Date());
    expect(first.previous).toBeNull();
    expect(first.next).toEqual({ hostname: first.devices[9]!.hostname, id: first.devices[9]!.id });
    const middle = await store.listDevices({}, { limit: 10, offset: 10 }, new Date());
    expect(middle.previous).toEqual({ hostname: middle.devices[0]!.hostname, id: middle.devices[0]!.id });
    const last = await store.listDevices({}, { limit: 10, offset: 30 }, new Date());
    expect(last.devices).toHaveLength(10);
    expect(last.next).toBeNull();
  });

  it('keeps a page anchored at its cursor while rows before it come and go', async () => {
    const { pages } = await walkForward(store, { stage: 'unbind' }, 3);
    const third = pages[2]!;
    const cursor = pages[1]!.next!;
    // New devices sorting before the cursor do not shift the page after it.
    await exec(insertDevicesSql(6, 'aaa'));
    const again = await store.listDevices({ stage: 'unbind' }, { limit: 3, after: cursor }, new Date());
    expect(again.devices.map((device) => device.id)).toEqual(third.devices.map((device) => device.id));
    // With every device before the page gone, it has nothing before it, and going back from it finds nothing.
    await exec(`delete from devices where stage = 'unbind' and (hostname, id) <= ('${cursor.hostname}', '${cursor.id}')`);
    const alone = await store.listDevices({ stage: 'unbind' }, { limit: 3, after: cursor }, new Date());
    expect(alone.devices.map((device) => device.id)).toEqual(third.devices.map((device) => device.id));
    expect(alone.previous).toBeNull();
    expect((await store.listDevices({ stage: 'unbind' }, { limit: 3, before: alone.devices[0]! }, new Date())).devices).toEqual([]);
  });
});

describe.each(testBackends())('device list cursors in the API on %s', (backend) => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    const opened = await openTestStoreWithSql(backend);
    store = opened.store;
    // More than one page of the CSV export (1,000 rows), which pages by cursor too.
    await opened.exec(insertDevicesSql(2100, 'mac'));
    server = await startTestServer(store);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('hands out opaque cursors that fetch the next and previous pages', async () => {
    const first = await server.api('GET', '/api/v1/devices?stage=scan&limit=50');
    expect(first.status).toBe(200);
    expect(first.body.previous).toBeNull();
    expect(typeof first.body.next).toBe('string');
    const second = await server.api('GET', `/api/v1/devices?stage=scan&limit=50&after=${first.body.next}`);
    const byOffset = await server.api('GET', '/api/v1/devices?stage=scan&limit=50&offset=50');
    expect(second.body.devices.map((device: { id: string }) => device.id)).toEqual(byOffset.body.devices.map((device: { id: string }) => device.id));
    expect(second.body.total).toBe(700);
    const back = await server.api('GET', `/api/v1/devices?stage=scan&limit=50&before=${second.body.previous}`);
    expect(back.body.devices).toEqual(first.body.devices);
    expect(back.body.previous).toBeNull();
  });

  it('refuses a forged cursor, and more than one of offset, after and before, with 400', async () => {
    const first = await server.api('GET', '/api/v1/devices?limit=5');
    const forged = Buffer.from(JSON.stringify(['mac-01', "x' or 1=1 --"])).toString('base64url');
    expect((await server.api('GET', `/api/v1/devices?after=${forged}`)).status).toBe(400);
    expect((await server.api('GET', '/api/v1/devices?after=not-a-cursor')).status).toBe(400);
    expect((await server.api('GET', `/api/v1/devices?after=${first.body.next}&offset=5`)).status).toBe(400);
    expect((await server.api('GET', `/api/v1/devices?after=${first.body.next}&before=${first.body.next}`)).status).toBe(400);
  });

  it('exports every device once in CSV across pages', async () => {
    const csv = await server.api('GET', '/api/v1/devices.csv');
    expect(csv.status).toBe(200);
    const ids = (csv.body as string).trim().split('\r\n').slice(1).map((line) => line.split(',')[0]);
    expect(ids).toHaveLength(2100);
    expect(new Set(ids).size).toBe(2100);
  });
});
