import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { TestEventStream } from './helpers/live-stream.js';
import { postgresAvailable } from './helpers/postgres.js';
import { freshPostgresUrl, openTestStore } from './helpers/stores.js';

describe.skipIf(!postgresAvailable() && process.env.CI === undefined)('live dashboard across instances on one PostgreSQL', () => {
  let storeA: Store;
  let storeB: Store;
  let serverA: TestServer;
  let serverB: TestServer;

  beforeAll(async () => {
    const url = await freshPostgresUrl();
    storeA = await openTestStore('postgres', url);
    storeB = await openTestStore('postgres', url);
    serverA = await startTestServer(storeA, { commandSweepMs: 60_000 });
    serverB = await startTestServer(storeB, { commandSweepMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await serverA?.close();
    await serverB?.close();
    await storeA?.close();
    await storeB?.close();
  });

  it('tells a browser on instance B about an inventory an agent sent to instance A, and a command created on A', async () => {
    const stream = await TestEventStream.open(`${serverB.url}/api/stream`, { authorization: `Bearer ${serverB.apiToken}` });
    expect(stream.status).toBe(200);
    const device = await serverA.enroll();
    const agent = new RawAgent(serverA.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    await stream.waitForTopic('devices');
    const before = stream.changes().length;
    agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory({ hostname: 'mac-on-a' }) });
    await stream.waitUntil(() => stream.changes().slice(before).some((topics) => topics.includes('progress')), 'the inventory change from A');
    // B heard it through NOTIFY (B's own producers saw nothing), and reading through B shows the new state.
    expect(serverB.app.changes.stats.received).toBeGreaterThan(0);
    expect((await serverB.api('GET', `/api/v1/devices/${device.deviceId}`)).body.device.hostname).toBe('mac-on-a');

    const created = await serverA.api('POST', '/api/v1/commands', { target: { deviceId: device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    await stream.waitForTopic('commands');
    agent.close();
    stream.close();
  });

  it('does not echo an instance its own changes: a stream on A hears each of A’s windows once', async () => {
    const stream = await TestEventStream.open(`${serverA.url}/api/stream`, { authorization: `Bearer ${serverA.apiToken}` });
    await stream.waitUntil(() => stream.retryMs !== undefined, 'the stream to start');
    const receivedBefore = serverA.app.changes.stats.received;
    const seen: string[] = [];
    const unlisten = await storeB.onChangeNotice((payload) => seen.push(payload));
    serverA.app.changes.changed('locks');
    await serverA.app.changes.flush();
    await stream.waitForTopic('locks');
    // The NOTIFY went out (B's connection sees it) and came back to A too, where it was skipped.
    await stream.waitUntil(() => seen.some((payload) => payload.includes('"locks"')), 'the NOTIFY on the database');
    await serverB.app.changes.flush();
    expect(stream.changes().filter((topics) => topics.includes('locks'))).toHaveLength(1);
    expect(serverA.app.changes.stats.received).toBe(receivedBefore);
    await unlisten();
    stream.close();
  });
});
