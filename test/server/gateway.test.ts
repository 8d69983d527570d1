import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent, sampleInventory, sampleStageState } from '../protocol/samples.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore, testBackends } from './helpers/stores.js';

describe.each(testBackends())('gateway on %s', (backend) => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    store = await openTestStore(backend);
    server = await startTestServer(store, { helloTimeoutMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  async function connected(): Promise<{ agent: RawAgent; deviceId: string }> {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return { agent, deviceId: device.deviceId };
  }

  async function eventCount(deviceId: string): Promise<number> {
    return (await store.listEvents({ deviceId, limit: 1000 })).length;
  }

  it('answers 401 to an upgrade without a token or with an unknown one', async () => {
    await expect(new RawAgent(server.wsUrl, undefined).opened).rejects.toThrow('HTTP 401');
    await expect(new RawAgent(server.wsUrl, 'x'.repeat(43)).opened).rejects.toThrow('HTTP 401');
  });

  it('welcomes an enrolled device and marks it online', async () => {
    const { agent, deviceId } = await connected();
    const welcome = await agent.waitFor('welcome');
    expect(welcome).toMatchObject({ protocolVersion: 1, deviceId, heartbeatIntervalMs: 30_000 });
    expect((await store.getDevice(deviceId, new Date()))?.online).toBe(true);
    agent.close();
    await agent.closed;
    await expect.poll(async () => (await store.getDevice(deviceId, new Date()))?.online).toBe(false);
  });

  it('stores events, acks them, and ignores a repeated id', async () => {
    const { agent, deviceId } = await connected();
    const events = [sampleEvent(1), sampleEvent(2)];
    for (const event of events) agent.send({ type: 'event', event });
    agent.send({ type: 'event', event: events[0] });
    await expect.poll(() => agent.messages.filter((m) => m.type === 'ack').flatMap((m) => (m.type === 'ack' ? m.ids : [])).length).toBe(3);
    expect(await eventCount(deviceId)).toBe(2);
    agent.close();
  });

  it('stores inventory and stage state', async () => {
    const { agent, deviceId } = await connected();
    agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory() });
    agent.send({ type: 'stageState', at: new Date().toISOString(), state: sampleStageState() });
    await expect.poll(async () => (await store.getDevice(deviceId, new Date()))?.state).toBe('waiting');
    expect((await store.getDevice(deviceId, new Date()))?.mobileCount).toBe(1);
    agent.close();
  });

  it('closes with 4403 when the hello names another device than the token', async () => {
    const own = await server.enroll();
    const other = await server.enroll();
    const agent = new RawAgent(server.wsUrl, own.token);
    await agent.opened;
    agent.hello(other.hardwareUuid, other.serial);
    agent.send({ type: 'event', event: sampleEvent(1) });
    expect(await agent.closed).toBe(4403);
    expect(await eventCount(own.deviceId)).toBe(0);
    expect(await eventCount(other.deviceId)).toBe(0);
  });

  it('closes with 4406 on an unsupported protocol version', async () => {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial, 99);
    expect(await agent.closed).toBe(4406);
    expect(agent.messages).toContainEqual(expect.objectContaining({ type: 'error', code: 'E_UNSUPPORTED_VERSION' }));
  });

  it('closes with 4400 on malformed JSON and stores nothing from it', async () => {
    const { agent, deviceId } = await connected();
    agent.send('{"type":"event","event":');
    expect(await agent.closed).toBe(4400);
    expect(await eventCount(deviceId)).toBe(0);
  });

  it('refuses an event of the wrong schema by its id (an ack for an agent without refuse.v1), stores nothing, keeps the socket', async () => {
    const { agent, deviceId } = await connected();
    const bad = { ...sampleEvent(1), kind: 'rm -rf' };
    agent.send({ type: 'event', event: bad });
    await agent.waitFor('ack', (ack) => ack.ids.includes(bad.id));
    expect(agent.closeCode).toBeUndefined();
    expect(await eventCount(deviceId)).toBe(0);
    agent.close();
  });

  it('closes with 4400 on a frame of the wrong schema that names no item', async () => {
    const { agent, deviceId } = await connected();
    agent.send({ type: 'event', event: { ...sampleEvent(1), id: 'not-a-uuid' } });
    expect(await agent.closed).toBe(4400);
    expect(await eventCount(deviceId)).toBe(0);
  });

  it('closes with 1009 on a frame above maxPayload', async () => {
    const { agent, deviceId } = await connected();
    agent.send(JSON.stringify({ type: 'event', event: sampleEvent(1, { message: 'x'.repeat(MAX_FRAME_BYTES) }) }));
    expect(await agent.closed).toBe(1009);
    expect(await eventCount(deviceId)).toBe(0);
  });

  it('closes with 4400 when a message comes before hello', async () => {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.send({ type: 'event', event: sampleEvent(1) });
    expect(await agent.closed).toBe(4400);
    expect(await eventCount(device.deviceId)).toBe(0);
  });

  it('closes with 4408 when no hello arrives in time', async () => {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    expect(await agent.closed).toBe(4408);
  });

  it('replaces an older connection of the same device with 4409', async () => {
    const device = await server.enroll();
    const first = new RawAgent(server.wsUrl, device.token);
    await first.opened;
    first.hello(device.hardwareUuid, device.serial);
    await first.waitFor('welcome');
    const second = new RawAgent(server.wsUrl, device.token);
    await second.opened;
    second.hello(device.hardwareUuid, device.serial);
    await second.waitFor('welcome');
    expect(await first.closed).toBe(4409);
    expect((await store.getDevice(device.deviceId, new Date()))?.online).toBe(true);
    second.close();
  });

  it('delivers a command created through the API to the connected device, then records its result', async () => {
    const { agent, deviceId } = await connected();
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    const message = await agent.waitFor('command');
    expect(message.command).toMatchObject({ type: 'rescan', params: {}, id: created.body.commandIds[0] });
    agent.send({ type: 'commandResult', result: { commandId: message.command.id, outcome: 'succeeded', finishedAt: new Date().toISOString() } });
    await agent.waitFor('ack', (ack) => ack.ids.includes(message.command.id));
    const commands = await server.api('GET', `/api/v1/commands?deviceId=${deviceId}`);
    expect(commands.body.commands[0]).toMatchObject({ status: 'succeeded' });
    agent.close();
  });

  it('ignores a result for another device\'s command', async () => {
    const a = await connected();
    const b = await connected();
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId: a.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    const commandId = created.body.commandIds[0] as string;
    b.agent.send({ type: 'commandResult', result: { commandId, outcome: 'failed', finishedAt: new Date().toISOString() } });
    await b.agent.waitFor('ack', (ack) => ack.ids.includes(commandId));
    const commands = await server.api('GET', `/api/v1/commands?deviceId=${a.deviceId}`);
    expect(commands.body.commands[0].status).not.toBe('failed');
    a.agent.close();
    b.agent.close();
  });

  it('sends commands created while the device was offline when it connects', async () => {
    const device = await server.enroll();
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId: device.deviceId }, action: { type: 'unbind', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    expect((await agent.waitFor('command')).command.type).toBe('unbind');
    agent.close();
  });

  it('refuses events from an id of a closed connection to be stored twice after reconnect', async () => {
    const device = await server.enroll();
    const event = sampleEvent(7, { id: randomUUID() });
    for (let round = 0; round < 2; round += 1) {
      const agent = new RawAgent(server.wsUrl, device.token);
      await agent.opened;
      agent.hello(device.hardwareUuid, device.serial);
      await agent.waitFor('welcome');
      agent.send({ type: 'event', event });
      await agent.waitFor('ack');
      agent.close();
      await agent.closed;
    }
    expect(await eventCount(device.deviceId)).toBe(1);
  });

  it('closes with 4430 an agent that floods inventory and stage state frames, and keeps serving the device after', async () => {
    const limited = await startTestServer(store, { maxStateReportsPerMinute: 5 });
    try {
      const device = await limited.enroll();
      const agent = new RawAgent(limited.wsUrl, device.token);
      await agent.opened;
      agent.hello(device.hardwareUuid, device.serial);
      await agent.waitFor('welcome');
      for (let index = 0; index < 20; index += 1) agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory() });
      expect(await agent.closed).toBe(4430);
      expect(agent.messages).toContainEqual(expect.objectContaining({ type: 'error', code: 'E_FRAME_RATE_LIMITED' }));
      const again = new RawAgent(limited.wsUrl, device.token);
      await again.opened;
      again.hello(device.hardwareUuid, device.serial);
      await again.waitFor('welcome');
      again.send({ type: 'stageState', at: new Date().toISOString(), state: sampleStageState() });
      await expect.poll(async () => (await store.getDevice(device.deviceId, new Date()))?.state).toBe('waiting');
      again.close();
    } finally {
      await limited.close();
    }
  });
});
