import { describe, expect, it } from 'vitest';
import { sampleInventory } from '../protocol/samples.js';
import { RawAgent } from './helpers/harness.js';
import { TestEventStream } from './helpers/live-stream.js';
import { twoInstancesOnPostgres } from './helpers/instances.js';
import { postgresAvailable } from './helpers/postgres.js';

describe.skipIf(!postgresAvailable() && process.env.CI === undefined)('live dashboard across instances on one PostgreSQL', () => {
  const pair = twoInstancesOnPostgres();

  it('tells a browser on instance B about an inventory an agent sent to instance A, and a command created on A', async () => {
    const stream = await TestEventStream.open(`${pair.serverB.url}/api/stream`, { authorization: `Bearer ${pair.serverB.apiToken}` });
    expect(stream.status).toBe(200);
    const device = await pair.serverA.enroll();
    const agent = new RawAgent(pair.serverA.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    await stream.waitForTopic('devices');
    const before = stream.changes().length;
    agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory({ hostname: 'mac-on-a' }) });
    await stream.waitUntil(() => stream.changes().slice(before).some((topics) => topics.includes('progress')), 'the inventory change from A');
    // B heard it through NOTIFY (B's own producers saw nothing), and reading through B shows the new state.
    expect(pair.serverB.app.changes.stats.received).toBeGreaterThan(0);
    expect((await pair.serverB.api('GET', `/api/v1/devices/${device.deviceId}`)).body.device.hostname).toBe('mac-on-a');

    const created = await pair.serverA.api('POST', '/api/v1/commands', { target: { deviceId: device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    await stream.waitForTopic('commands');
    agent.close();
    stream.close();
  });

  it('does not echo an instance its own changes: a stream on A hears each of A’s windows once', async () => {
    const stream = await TestEventStream.open(`${pair.serverA.url}/api/stream`, { authorization: `Bearer ${pair.serverA.apiToken}` });
    await stream.waitUntil(() => stream.retryMs !== undefined, 'the stream to start');
    const receivedBefore = pair.serverA.app.changes.stats.received;
    const seen: string[] = [];
    const unlisten = await pair.storeB.onChangeNotice((payload) => seen.push(payload));
    pair.serverA.app.changes.changed('locks');
    await pair.serverA.app.changes.flush();
    await stream.waitForTopic('locks');
    // The NOTIFY went out (B's connection sees it) and came back to A too, where it was skipped.
    await stream.waitUntil(() => seen.some((payload) => payload.includes('"locks"')), 'the NOTIFY on the database');
    await pair.serverB.app.changes.flush();
    expect(stream.changes().filter((topics) => topics.includes('locks'))).toHaveLength(1);
    expect(pair.serverA.app.changes.stats.received).toBe(receivedBefore);
    await unlisten();
    stream.close();
  });
});
