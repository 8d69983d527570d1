import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../server/src/store/store.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { freshPostgresUrl, openTestStore } from './helpers/stores.js';
import { postgresAvailable } from './helpers/postgres.js';

describe.skipIf(!postgresAvailable() && process.env.CI === undefined)('several instances on one PostgreSQL', () => {
  let storeA: Store;
  let storeB: Store;
  let serverA: TestServer;
  let serverB: TestServer;

  beforeAll(async () => {
    const url = await freshPostgresUrl();
    storeA = await openTestStore('postgres', url);
    storeB = await openTestStore('postgres', url);
    // A long sweep on A and B: delivery must come from NOTIFY, not from the sweep, unless a test says otherwise.
    serverA = await startTestServer(storeA, { commandSweepMs: 60_000 });
    serverB = await startTestServer(storeB, { commandSweepMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await serverA?.close();
    await serverB?.close();
    await storeA?.close();
    await storeB?.close();
  });

  async function connect(server: TestServer, device: { token: string; hardwareUuid: string; serial: string }): Promise<RawAgent> {
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return agent;
  }

  it('closes a revoked device socket held by another instance, and a rotated token socket too', async () => {
    const device = await serverA.enroll();
    const agent = await connect(serverB, device);
    expect((await serverA.api('POST', `/api/v1/devices/${device.deviceId}/revoke`)).status).toBe(200);
    expect(await agent.closed).toBe(4401);

    const rotated = await serverA.enroll();
    const old = await connect(serverB, rotated);
    const again = await fetch(`${serverA.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serverA.enrollSecret}`, 'content-type': 'application/json', 'untether-device-token': rotated.token },
      body: JSON.stringify({ device: { hardwareUuid: rotated.hardwareUuid, serial: rotated.serial }, hostname: 'rotated', agentVersion: '0.1.0' }),
    });
    expect(again.status).toBe(200);
    expect(await old.closed).toBe(4401);
    const fresh = await connect(serverB, { ...rotated, token: ((await again.json()) as { token: string }).token });
    fresh.close();
  });

  it('delivers a command created on one instance to a device connected to another', async () => {
    const device = await serverA.enroll();
    const agent = await connect(serverB, device);
    const started = Date.now();
    const created = await serverA.api('POST', '/api/v1/commands', { target: { deviceId: device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    const received = await agent.waitFor('command', undefined, 3000);
    expect(received.command.id).toBe(created.body.commandIds[0]);
    expect(Date.now() - started).toBeLessThan(3000);
    agent.send({ type: 'commandResult', result: { commandId: received.command.id, outcome: 'succeeded', finishedAt: new Date().toISOString() } });
    await expect.poll(async () => (await serverA.api('GET', `/api/v1/commands?deviceId=${device.deviceId}`)).body.commands[0].status).toBe('succeeded');
    agent.close();
  });

  it('delivers a group command to devices spread over both instances', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => serverA.enroll()));
    const agents = await Promise.all(devices.map((device, index) => connect(index % 2 === 0 ? serverA : serverB, device)));
    const created = await serverB.api('POST', '/api/v1/commands', {
      target: { filter: { online: true } },
      action: { type: 'rescan', params: {} },
      confirmCount: (await serverB.api('POST', '/api/v1/commands/preview', { target: { filter: { online: true } } })).body.count,
    });
    expect(created.body.count).toBeGreaterThanOrEqual(6);
    await Promise.all(agents.map((agent) => agent.waitFor('command', undefined, 5000)));
    for (const agent of agents) agent.close();
  });

  it('keeps a device online when it moves to another instance and the old socket closes late', async () => {
    const device = await serverA.enroll();
    const first = await connect(serverA, device);
    const second = await connect(serverB, device);
    first.close();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await storeA.getDevice(device.deviceId, new Date()))?.online).toBe(true);
    second.close();
    await expect.poll(async () => (await storeA.getDevice(device.deviceId, new Date()))?.online).toBe(false);
  });

  it('delivers through the sweep when a notification was missed', async () => {
    const swept = await startTestServer(storeB, { commandSweepMs: 300 });
    const device = await serverA.enroll();
    const agent = await connect(swept, device);
    const id = randomUUID();
    // Stored without NOTIFY, as if the notification was lost.
    await storeA.createCommands([
      { id, deviceId: device.deviceId, batchId: id, action: { type: 'rescan', params: {} }, issuedAt: new Date(), validUntil: new Date(Date.now() + 60_000), createdBy: 'test' },
    ]);
    expect((await agent.waitFor('command', undefined, 5000)).command.id).toBe(id);
    agent.close();
    await swept.close();
  });
});
