// Events have no per-row foreign key to devices (migration 7): insertEvents locks each device of a batch once and
// deleteDevice deletes the device row before its events. These tests delete devices while batches of their events
// are being inserted (at once, on PostgreSQL) and count what is left in the events table itself: listing events
// joins devices, so it would not show an orphan.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent } from '../protocol/samples.js';
import { openTestStoreWithSql, testBackends } from './helpers/stores.js';

const NOW = new Date('2026-11-01T12:00:00Z');
const ROUNDS = 6;
/** Insert loops per device: on PostgreSQL one of them nearly always holds the device when it is deleted. */
const INSERTERS = 3;

describe.each(testBackends())('deleting a device while its events are stored, on %s', (backend) => {
  let store: Store;
  let query: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
  let secretId: string;

  beforeAll(async () => {
    ({ store, query } = await openTestStoreWithSql(backend));
    secretId = randomUUID();
    await store.createEnrollmentSecret({ id: secretId, name: 'default', secretHash: 'secret-hash', now: NOW, expiresAt: null, maxDevices: 1000 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  async function enroll(index: number): Promise<string> {
    const outcome = await store.enrollDevice({
      newDeviceId: randomUUID(), hardwareUuid: randomUUID().toUpperCase(), serial: `SERIAL${index}`, hostname: `mac-${index}`, agentVersion: '0.1.0',
      tokenHash: `hash-${randomUUID()}`, secretId, now: NOW, presentedTokenHash: null, pollRequestHash: null,
      newRequest: { id: randomUUID(), requestHash: `request-${randomUUID()}`, remoteAddress: '127.0.0.1' }, maxPendingPerDevice: 5,
    });
    if (outcome.kind !== 'enrolled') throw new Error(`enrolling test device: ${outcome.kind}`);
    return outcome.deviceId;
  }

  async function eventsOf(deviceId: string): Promise<number> {
    const [row] = await query<{ n: number }>('select count(*)::int as n from events where device_id = $1', [deviceId]);
    return Number(row?.n);
  }

  it('leaves no event behind, whether a batch holding the device commits first or the deletion does', async () => {
    const bystander = await enroll(0);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const deviceId = await enroll(round);
      let deleted = false;
      let stored = 0;
      const inserters = Array.from({ length: INSERTERS }, async () => {
        let seq = 0;
        while (!deleted) {
          const batch = Array.from({ length: 100 }, () => ({ deviceId, event: sampleEvent((seq += 1)) }));
          // A bystander's event rides in the same batches: deleting one device must not cost another its events.
          batch.push({ deviceId: bystander, event: sampleEvent(seq) });
          stored += (await store.insertEvents(batch, NOW)).inserted;
        }
      });
      while (stored === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await store.deleteDevice(deviceId)).toBe(true);
      deleted = true;
      await Promise.all(inserters);
      expect(await eventsOf(deviceId)).toBe(0);
    }
    expect(await eventsOf(bystander)).toBeGreaterThan(ROUNDS);
  });

  it('stores nothing for a device that no longer exists, and still stores the rest of the batch', async () => {
    const gone = randomUUID();
    const present = await enroll(100);
    const result = await store.insertEvents([{ deviceId: gone, event: sampleEvent(1) }, { deviceId: present, event: sampleEvent(1) }], NOW);
    expect(result).toEqual({ inserted: 1 });
    expect(await eventsOf(gone)).toBe(0);
    expect(await eventsOf(present)).toBe(1);
  });
});
