// Several event batches in the store at once (PostgreSQL): every event is still acked only after it is stored, an
// event whose duplicate sits in another batch at the same moment is stored once (no deadlock between the two
// INSERTs), and PGlite, which runs one statement at a time in its worker thread, never gets more than two batches
// (one running, the next waiting in the worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent } from '../protocol/samples.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore, testBackends } from './helpers/stores.js';

const AGENTS = 4;
const EVENTS_PER_AGENT = 40;
/** Small batches held in the store for a while, so that batches overlap on every machine, however loaded. */
const BATCH_SIZE = 5;
const INSERT_DELAY_MS = 40;

describe.each(testBackends())('overlapping event batches on %s', (backend) => {
  let store: Store;
  let server: TestServer;
  let inserting = 0;
  let mostAtOnce = 0;
  /** Event ids of every INSERT, recorded when it committed. */
  const committed = new Set<string>();

  beforeAll(async () => {
    const real = await openTestStore(backend);
    // The real store, held back before each INSERT: a batch stays in flight long enough for others to start.
    store = {
      ...real,
      insertEvents: async (batch, receivedAt) => {
        inserting += 1;
        mostAtOnce = Math.max(mostAtOnce, inserting);
        try {
          await new Promise((resolve) => setTimeout(resolve, INSERT_DELAY_MS));
          const result = await real.insertEvents(batch, receivedAt);
          for (const { event } of batch) committed.add(event.id);
          return result;
        } finally {
          inserting -= 1;
        }
      },
    };
    server = await startTestServer(store, { ingestBatchSize: BATCH_SIZE, ingestFlushMs: 1, ingestConcurrency: 4 });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('stores every event once, duplicates across batches included, and acks each only after its batch committed', async () => {
    const agents = await Promise.all(
      Array.from({ length: AGENTS }, async () => {
        const device = await server.enroll();
        const agent = new RawAgent(server.wsUrl, device.token);
        await agent.opened;
        agent.hello(device.hardwareUuid, device.serial, undefined, ['refuse.v1']);
        await agent.waitFor('welcome');
        return { agent, deviceId: device.deviceId };
      }),
    );
    // An event id is not acked before its batch committed: checked on every ack as it arrives.
    const ackedEarly: string[] = [];
    for (const { agent } of agents) {
      agent.socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; ids?: string[] };
        if (message.type === 'ack') ackedEarly.push(...(message.ids ?? []).filter((id) => !committed.has(id)));
      });
    }
    const sent = agents.map(({ agent, deviceId }) => {
      const events: AgentEvent[] = Array.from({ length: EVENTS_PER_AGENT }, (_, index) => sampleEvent(index));
      // Every event goes twice, the second time a few frames later, like a re-send after a lost ack: the two
      // copies land in different batches that are in the store at the same time.
      for (let index = 0; index < events.length; index += 1) {
        agent.send({ type: 'event', event: events[index] });
        if (index >= 3) agent.send({ type: 'event', event: events[index - 3] });
      }
      for (const event of events.slice(-3)) agent.send({ type: 'event', event });
      return { agent, deviceId, events };
    });

    for (const { agent, deviceId, events } of sent) {
      const acked = (): string[] => agent.messages.flatMap((message) => (message.type === 'ack' ? message.ids : []));
      await expect.poll(() => acked().length, { timeout: 20_000 }).toBe(2 * EVENTS_PER_AGENT);
      expect(new Set(acked())).toEqual(new Set(events.map((event) => event.id)));
      const stored = (await store.listEvents({ deviceId, limit: 1000 })).map((event) => event.id);
      expect(stored.sort()).toEqual(events.map((event) => event.id).sort());
      expect(agent.closeCode).toBeUndefined();
    }
    expect(ackedEarly).toEqual([]);
    expect(server.app.gateway.ingest.stats.failedBatches).toBe(0);
    // PostgreSQL overlaps batches (up to ingestConcurrency); PGlite runs one statement at a time in its worker, so
    // it gets two: one running, the next waiting there, and more would only be smaller.
    if (backend === 'postgres') expect(mostAtOnce).toBeGreaterThan(1);
    else expect(mostAtOnce).toBe(2);
    for (const { agent } of agents) agent.close();
  });
});
