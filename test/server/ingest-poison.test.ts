// Issue 11 item 3: one agent's poisoned event must not silence the other devices of the same ingest batch, and the
// poisoned frame is refused once (the agent drops it) instead of being re-sent on every reconnect. Every attack runs
// over real WebSockets against PGlite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent } from '../protocol/samples.js';
import { testLink } from '../link/helpers.js';
import { capturingLogger } from './helpers/logger.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStoreWithSql, testBackends } from './helpers/stores.js';

/** Good agents sending alongside the poisoned one. */
const GOOD_AGENTS = 5;

/** Events in flight are gathered this long, so every agent's frames land in the same INSERT. */
const BATCH_WINDOW_MS = 400;

/** A message the test database refuses with a CHECK constraint, standing in for any value a schema let through. */
const STORE_POISON = 'store-refuses-this-message';

describe.each(testBackends())('ingest under a poisoned event on %s', (backend) => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    const opened = await openTestStoreWithSql(backend);
    store = opened.store;
    await opened.exec(`alter table events add constraint test_refuses_poison check (message is distinct from '${STORE_POISON}')`);
    server = await startTestServer(store, { ingestFlushMs: BATCH_WINDOW_MS, ingestBatchSize: 5000 });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  async function connected(capabilities: string[] = ['refuse.v1']): Promise<{ agent: RawAgent; deviceId: string }> {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial, undefined, capabilities);
    await agent.waitFor('welcome');
    return { agent, deviceId: device.deviceId };
  }

  async function storedIds(deviceId: string): Promise<string[]> {
    return (await store.listEvents({ deviceId, limit: 1000 })).map((event) => event.id);
  }

  function ackedIds(agent: RawAgent): string[] {
    return agent.messages.flatMap((message) => (message.type === 'ack' ? message.ids : []));
  }

  function refusedIds(agent: RawAgent): string[] {
    return agent.messages.flatMap((message) => (message.type === 'refused' ? message.ids : []));
  }

  /** Start N good agents, each sending three events in the same batch window as the attack. */
  async function goodAgentsSending(): Promise<Array<{ agent: RawAgent; deviceId: string; events: AgentEvent[] }>> {
    const good = await Promise.all(Array.from({ length: GOOD_AGENTS }, () => connected()));
    return good.map(({ agent, deviceId }) => {
      const events = [sampleEvent(1), sampleEvent(2), sampleEvent(3)];
      for (const event of events) agent.send({ type: 'event', event });
      return { agent, deviceId, events };
    });
  }

  async function expectGoodAgentsServed(good: Awaited<ReturnType<typeof goodAgentsSending>>): Promise<void> {
    for (const { agent, deviceId, events } of good) {
      await expect.poll(() => storedIds(deviceId), { timeout: 10_000 }).toEqual(expect.arrayContaining(events.map((event) => event.id)));
      await expect.poll(() => ackedIds(agent).length, { timeout: 5000 }).toBe(events.length);
      expect(agent.closeCode).toBeUndefined();
      expect(agent.socket.readyState).toBe(agent.socket.OPEN);
    }
  }

  it('refuses each value the store cannot hold by its id, and every other event of the batch is stored', async () => {
    const poisoned = await connected();
    const good = await goodAgentsSending();
    const now = Date.now();
    const poison: AgentEvent[] = [
      sampleEvent(10, { message: 'before\u0000after' }),
      sampleEvent(11, { detail: { 'key\u0000': 'value' } }),
      sampleEvent(12, { detail: { list: ['ok', 'bad\u0000'] } }),
      sampleEvent(13, { time: '0000-01-01T00:00:00Z' }),
      sampleEvent(14, { time: '1999-12-31T23:59:59Z' }),
      sampleEvent(15, { time: new Date(now + 30 * 86_400_000).toISOString() }),
      sampleEvent(16, { message: 'lone \ud800 surrogate' }),
      sampleEvent(17, { user: 'u'.repeat(257) }),
    ];
    const fine = sampleEvent(20, { time: new Date(now + 3600_000).toISOString() });
    for (const event of [...poison, fine]) poisoned.agent.send({ type: 'event', event });

    await expectGoodAgentsServed(good);
    await expect.poll(() => refusedIds(poisoned.agent).sort(), { timeout: 10_000 }).toEqual(poison.map((event) => event.id).sort());
    await expect.poll(() => ackedIds(poisoned.agent), { timeout: 5000 }).toEqual([fine.id]);
    expect(poisoned.agent.messages.find((message) => message.type === 'refused')).toMatchObject({ code: 'E_BAD_MESSAGE' });
    expect(await storedIds(poisoned.deviceId)).toEqual([fine.id]);
    expect(poisoned.agent.closeCode).toBeUndefined();
    for (const agent of [poisoned.agent, ...good.map((entry) => entry.agent)]) agent.close();
  });

  it('isolates a value the database refuses inside a shared INSERT: only that frame is refused, no socket closes', async () => {
    const before = { ...server.app.gateway.ingest.stats };
    const poisoned = await connected();
    const good = await goodAgentsSending();
    const bad = sampleEvent(1, { message: STORE_POISON });
    const neighbours = [sampleEvent(2), sampleEvent(3)];
    for (const event of [neighbours[0], bad, neighbours[1]]) poisoned.agent.send({ type: 'event', event });

    await expectGoodAgentsServed(good);
    await expect.poll(() => refusedIds(poisoned.agent), { timeout: 10_000 }).toEqual([bad.id]);
    expect(poisoned.agent.messages.find((message) => message.type === 'refused')).toMatchObject({ code: 'E_UNSTORABLE' });
    await expect.poll(() => storedIds(poisoned.deviceId), { timeout: 5000 }).toEqual(expect.arrayContaining(neighbours.map((event) => event.id)));
    expect(await storedIds(poisoned.deviceId)).toHaveLength(2);
    expect(poisoned.agent.closeCode).toBeUndefined();
    const stats = server.app.gateway.ingest.stats;
    expect(stats.failedBatches).toBeGreaterThan(before.failedBatches);
    expect(stats.refused - before.refused).toBe(1);
    for (const agent of [poisoned.agent, ...good.map((entry) => entry.agent)]) agent.close();
  });

  it('acks a refused frame to an agent that does not know `refused`, so even an old agent stops re-sending it', async () => {
    const old = await connected([]);
    const bad = sampleEvent(1, { message: STORE_POISON });
    old.agent.send({ type: 'event', event: bad });
    await expect.poll(() => ackedIds(old.agent), { timeout: 10_000 }).toEqual([bad.id]);
    expect(old.agent.messages.some((message) => message.type === 'refused')).toBe(false);
    expect(old.agent.closeCode).toBeUndefined();
    old.agent.close();
  });

  it('the real agent drops a refused event from its durable queue with a log line and never sends it again', async () => {
    const { logger, lines } = capturingLogger();
    const first = testLink(server.url, server.enrollSecret, { logger });
    first.send({ kind: 'step.failed', message: STORE_POISON });
    first.send({ kind: 'step.succeeded', message: 'fine' });
    first.start();
    await expect.poll(() => (first as unknown as { queueDepth: number }).queueDepth, { timeout: 15_000 }).toBe(0);
    const refusedLine = lines.find((line) => line.includes('queue_item_refused'));
    expect(refusedLine).toBeDefined();
    expect(JSON.parse(refusedLine ?? '{}')).toMatchObject({ code: 'E_UNSTORABLE', item: 'event', what: 'step.failed' });
    await first.stop();

    // A restart reloads the queue from disk and reconnects: the refused event is not in it and is not sent again.
    const received = server.app.gateway.ingest.stats.received;
    const again = testLink(server.url, server.enrollSecret, { logger, dataDir: first.dataDir });
    again.send({ kind: 'step.succeeded', message: 'after restart' });
    again.start();
    await expect.poll(() => (again as unknown as { queueDepth: number }).queueDepth, { timeout: 15_000 }).toBe(0);
    expect(server.app.gateway.ingest.stats.received - received).toBe(1);
    expect(lines.filter((line) => line.includes('queue_item_refused'))).toHaveLength(1);
    await again.stop();
  });
});

describe('hostile values at the HTTP edge', () => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    store = (await openTestStoreWithSql('pglite')).store;
    server = await startTestServer(store);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('answers 400 naming the field to an enrollment with NUL in the hostname', async () => {
    const response = await fetch(`${server.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.enrollSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: { hardwareUuid: randomUUID(), serial: 'C02TEST1234' }, hostname: 'mac\u0000evil', agentVersion: '0.1.0' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'E_BAD_MESSAGE', message: expect.stringContaining('hostname') });
  });

  it('answers 404, not 500, to device ids that only look like UUIDs', async () => {
    for (const id of ['-'.repeat(36), `${'g'.repeat(8)}-0000-4000-8000-000000000000`, '00000000000000000000000000000000----']) {
      expect((await server.api('GET', `/api/v1/devices/${id}`)).status).toBe(404);
    }
    expect((await server.api('GET', `/api/v1/events?deviceId=${'-'.repeat(36)}`)).status).toBe(400);
  });
});
