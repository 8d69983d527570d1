import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { twoInstancesOnPostgres } from './helpers/instances.js';
import { postgresAvailable } from './helpers/postgres.js';

describe.skipIf(!postgresAvailable() && process.env.CI === undefined)('several instances on one PostgreSQL', () => {
  const pair = twoInstancesOnPostgres();

  async function connect(server: TestServer, device: { token: string; hardwareUuid: string; serial: string }): Promise<RawAgent> {
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return agent;
  }

  it('closes a revoked device socket held by another instance, and a rotated token socket too', async () => {
    const device = await pair.serverA.enroll();
    const agent = await connect(pair.serverB, device);
    expect((await pair.serverA.api('POST', `/api/v1/devices/${device.deviceId}/revoke`)).status).toBe(200);
    expect(await agent.closed).toBe(4401);

    const rotated = await pair.serverA.enroll();
    const old = await connect(pair.serverB, rotated);
    const again = await fetch(`${pair.serverA.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pair.serverA.enrollSecret}`, 'content-type': 'application/json', 'untether-device-token': rotated.token },
      body: JSON.stringify({ device: { hardwareUuid: rotated.hardwareUuid, serial: rotated.serial }, hostname: 'rotated', agentVersion: '0.1.0' }),
    });
    expect(again.status).toBe(200);
    expect(await old.closed).toBe(4401);
    const fresh = await connect(pair.serverB, { ...rotated, token: ((await again.json()) as { token: string }).token });
    fresh.close();
  });

  it('delivers a command created on one instance to a device connected to another', async () => {
    const device = await pair.serverA.enroll();
    const agent = await connect(pair.serverB, device);
    const started = Date.now();
    const created = await pair.serverA.api('POST', '/api/v1/commands', { target: { deviceId: device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    const received = await agent.waitFor('command', undefined, 3000);
    expect(received.command.id).toBe(created.body.commandIds[0]);
    expect(Date.now() - started).toBeLessThan(3000);
    agent.send({ type: 'commandResult', result: { commandId: received.command.id, outcome: 'succeeded', finishedAt: new Date().toISOString() } });
    await expect.poll(async () => (await pair.serverA.api('GET', `/api/v1/commands?deviceId=${device.deviceId}`)).body.commands[0].status).toBe('succeeded');
    agent.close();
  });

  it('delivers a group command to devices spread over both instances', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => pair.serverA.enroll()));
    const agents = await Promise.all(devices.map((device, index) => connect(index % 2 === 0 ? pair.serverA : pair.serverB, device)));
    const created = await pair.serverB.api('POST', '/api/v1/commands', {
      target: { filter: { online: true } },
      action: { type: 'rescan', params: {} },
      confirmCount: (await pair.serverB.api('POST', '/api/v1/commands/preview', { target: { filter: { online: true } } })).body.count,
    });
    expect(created.body.count).toBeGreaterThanOrEqual(6);
    await Promise.all(agents.map((agent) => agent.waitFor('command', undefined, 5000)));
    for (const agent of agents) agent.close();
  });

  it('keeps a device online when it moves to another instance and the old socket closes late', async () => {
    const device = await pair.serverA.enroll();
    const first = await connect(pair.serverA, device);
    const second = await connect(pair.serverB, device);
    first.close();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await pair.storeA.getDevice(device.deviceId, new Date()))?.online).toBe(true);
    second.close();
    await expect.poll(async () => (await pair.storeA.getDevice(device.deviceId, new Date()))?.online).toBe(false);
  });

  it('delivers through the sweep when a notification was missed', async () => {
    const swept = await startTestServer(pair.storeB, { commandSweepMs: 300 });
    const device = await pair.serverA.enroll();
    const agent = await connect(swept, device);
    const id = randomUUID();
    // Stored without NOTIFY, as if the notification was lost.
    await pair.storeA.createCommands([
      { id, deviceId: device.deviceId, batchId: id, action: { type: 'rescan', params: {} }, issuedAt: new Date(), validUntil: new Date(Date.now() + 60_000), createdBy: 'test' },
    ]);
    expect((await agent.waitFor('command', undefined, 5000)).command.id).toBe(id);
    agent.close();
    await swept.close();
  });
});
