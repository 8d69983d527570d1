import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken, hashPassword, hashToken } from '../../server/src/auth/secrets.js';
import { ChangeFeed } from '../../server/src/live/change-feed.js';
import { decodeChangeNotice } from '../../server/src/live/topics.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent, sampleInventory } from '../protocol/samples.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { TestEventStream } from './helpers/live-stream.js';
import { silentLogger } from './helpers/logger.js';
import { openTestStore } from './helpers/stores.js';

describe('live dashboard stream (GET /api/stream)', () => {
  let store: Store;
  let server: TestServer;
  const streamUrl = (target: TestServer = server): string => `${target.url}/api/stream`;
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store);
    await store.createAdmin('admin', await hashPassword('live-pass'), new Date());
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  async function readToken(): Promise<{ id: string; token: string }> {
    const token = generateToken();
    const id = randomUUID();
    await store.createApiToken({ id, name: `read-${id.slice(0, 4)}`, tokenHash: hashToken(token), createdBy: 'test', now: new Date(), scope: 'read', expiresAt: null });
    return { id, token };
  }

  async function connectAgent(target: TestServer = server): Promise<{ agent: RawAgent; deviceId: string }> {
    const device = await target.enroll();
    const agent = new RawAgent(target.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return { agent, deviceId: device.deviceId };
  }

  it('refuses a request without a credential or with an unknown one', async () => {
    const anonymous = await TestEventStream.open(streamUrl());
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: 'E_UNAUTHENTICATED' });
    const unknown = await TestEventStream.open(streamUrl(), bearer(generateToken()));
    expect(unknown.status).toBe(401);
    const badCookie = await TestEventStream.open(streamUrl(), { cookie: `untether_session=${'A'.repeat(43)}` });
    expect(badCookie.status).toBe(401);
  });

  it('streams to a read-scope token with a retry hint, and names the topic after an agent sends inventory over its socket', async () => {
    const { token } = await readToken();
    const stream = await TestEventStream.open(streamUrl(), bearer(token));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    await stream.waitUntil(() => stream.retryMs !== undefined, 'the retry hint');
    expect(stream.retryMs).toBe(5000);

    const { agent, deviceId } = await connectAgent();
    await stream.waitForTopic('devices');
    const before = stream.events.length;
    agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory({ hostname: 'mac-streamed' }) });
    await stream.waitUntil(() => stream.changes().slice(before).some((topics) => topics.includes('devices') && topics.includes('progress')), 'devices+progress after inventory');
    // The notice only names topics: the data itself is fetched through the API.
    expect((await store.getDevice(deviceId, new Date()))?.hostname).toBe('mac-streamed');
    expect(stream.events.every((event) => event.event !== 'change' || !event.data.includes('mac-streamed'))).toBe(true);
    agent.close();
    await stream.waitUntil(() => stream.changes().slice(before).length >= 2, 'devices after the disconnect');
    stream.close();
  });

  it('streams to a logged-in session, and a logout on this instance ends the stream', async () => {
    const session = await server.login('admin', 'live-pass');
    const me = await session('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'live-pass' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const stream = await TestEventStream.open(streamUrl(), { cookie });
    expect(stream.status).toBe(200);
    const logout = await fetch(`${server.url}/api/v1/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(200);
    await stream.ended;
    expect(stream.events.at(-1)).toEqual({ event: 'ended', data: JSON.stringify({ reason: 'unauthenticated' }) });
    // The other session's requests still work: only the logged-out credential lost its stream.
    expect((await session('GET', '/api/v1/me')).status).toBe(200);
  });

  it('sends a few notices, not one per report, when many agents report at once', async () => {
    const notices: string[] = [];
    const unlisten = await store.onChangeNotice((payload) => notices.push(payload));
    const { token } = await readToken();
    const stream = await TestEventStream.open(streamUrl(), bearer(token));
    const agents = await Promise.all(Array.from({ length: 40 }, () => connectAgent()));
    await stream.waitForTopic('devices');
    await server.app.changes.flush();
    const publishedBefore = server.app.changes.stats.published;
    const changesBefore = stream.changes().length;
    const noticesBefore = notices.length;
    // Every agent: an inventory (one store write each) and ten events.
    const sent = agents.map(({ agent }) => {
      agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory() });
      const events = Array.from({ length: 10 }, (_, index) => sampleEvent(index + 1));
      for (const event of events) agent.send({ type: 'event', event });
      return { agent, events };
    });
    await stream.waitUntil(() => sent.every(({ agent, events }) => {
      const acked = new Set(agent.messages.flatMap((message) => (message.type === 'ack' ? message.ids : [])));
      return events.every((event) => acked.has(event.id));
    }), 'every event acked');
    const inventoried = async (): Promise<boolean> =>
      (await Promise.all(agents.map(({ deviceId }) => store.getDevice(deviceId, new Date())))).every((device) => device?.inventoryAt !== null);
    const started = Date.now();
    while (!(await inventoried()) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    await server.app.changes.flush();
    await stream.waitUntil(() => stream.changes().slice(changesBefore).some((topics) => topics.includes('events')), 'a change of events');
    const published = server.app.changes.stats.published - publishedBefore;
    // 40 inventories and 400 events: a few windows, never one notice per report.
    expect(published).toBeGreaterThanOrEqual(1);
    expect(published).toBeLessThan(20);
    // One change event per window (plus, at most, the window flushed just before counting began still in flight).
    await stream.waitUntil(() => stream.changes().length - changesBefore >= published, 'one change event per window');
    expect(stream.changes().length - changesBefore).toBeLessThanOrEqual(published + 1);
    // Each window is one NOTIFY with this instance as its origin; its own listener skips it (delivered locally).
    await stream.waitUntil(() => notices.length - noticesBefore >= published, 'the NOTIFYs of those windows');
    expect(notices.length - noticesBefore).toBeLessThanOrEqual(published + 1);
    expect(notices.every((payload) => decodeChangeNotice(payload)?.origin === server.app.gateway.instanceId)).toBe(true);
    expect(server.app.changes.stats.received).toBe(0);
    await unlisten();
    for (const { agent } of agents) agent.close();
    stream.close();
  });

  it('serves fleet counts that include the change a notice announced, though they are cached', async () => {
    const { token } = await readToken();
    const stream = await TestEventStream.open(streamUrl(), bearer(token));
    const { agent } = await connectAgent();
    await stream.waitForTopic('devices');
    const failedBefore = (await server.api('GET', '/api/v1/overview')).body.failed as number;
    // Read again: the cache holds this value now.
    expect((await server.api('GET', '/api/v1/overview')).body.failed).toBe(failedBefore);
    const before = stream.changes().length;
    const at = new Date().toISOString();
    agent.send({ type: 'stageState', at, state: { stage: 'demobilize', waitingFor: null, lastResult: { demobilize: { outcome: 'failed', at, code: 'E_TOOL_TIMEOUT' } } } });
    await stream.waitUntil(() => stream.changes().slice(before).some((topics) => topics.includes('devices')), 'the stage change');
    expect((await server.api('GET', '/api/v1/overview')).body.failed).toBe(failedBefore + 1);
    agent.close();
    stream.close();
  });

  it('gathers changes of one window into one NOTIFY', async () => {
    const notices: string[] = [];
    const unlisten = await store.onChangeNotice((payload) => notices.push(payload));
    const feed = new ChangeFeed({ store, instanceId: 'feed-under-test', logger: silentLogger(), coalesceMs: 60_000 });
    const heard: string[][] = [];
    feed.subscribe((topics) => heard.push(topics));
    for (let index = 0; index < 20_000; index += 1) feed.changed(index % 2 === 0 ? 'events' : 'devices');
    feed.changed('commands');
    await feed.flush();
    expect(heard).toEqual([['devices', 'events', 'commands']]);
    expect(feed.stats.published).toBe(1);
    const mine = (): string[] => notices.filter((payload) => decodeChangeNotice(payload)?.origin === 'feed-under-test');
    const started = Date.now();
    while (mine().length === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(mine().map((payload) => decodeChangeNotice(payload)?.topics)).toEqual([['devices', 'events', 'commands']]);
    await feed.close();
    await unlisten();
  });

  it('refuses streams past the cap with 503 and Retry-After, and takes one again when a stream closes', async () => {
    const capped = await startTestServer(store, { maxLiveStreams: 2 });
    try {
      const first = await TestEventStream.open(streamUrl(capped), bearer(capped.apiToken));
      const second = await TestEventStream.open(streamUrl(capped), bearer(capped.apiToken));
      expect([first.status, second.status]).toEqual([200, 200]);
      const third = await TestEventStream.open(streamUrl(capped), bearer(capped.apiToken));
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('30');
      expect(JSON.parse(third.body)).toMatchObject({ error: 'E_STREAM_LIMIT' });
      first.close();
      await first.ended;
      await second.waitUntil(() => capped.app.live.size === 1, 'the closed stream to be released');
      const fourth = await TestEventStream.open(streamUrl(capped), bearer(capped.apiToken));
      expect(fourth.status).toBe(200);
      second.close();
      fourth.close();
    } finally {
      await capped.close();
    }
  });

  it('drops a client that stopped reading once its buffer passes the limit', async () => {
    const small = await startTestServer(store, { maxLiveBufferedBytes: 4096 });
    try {
      const stream = await TestEventStream.open(streamUrl(small), bearer(small.apiToken));
      await stream.waitUntil(() => stream.retryMs !== undefined, 'the stream to start');
      stream.pause();
      // Far more than loopback socket buffers hold, published straight into the hub (the feed would coalesce it).
      for (let round = 0; round < 2000 && small.app.live.stats.droppedSlow === 0; round += 1) {
        for (let index = 0; index < 200; index += 1) small.app.live.publish(['devices', 'events', 'commands', 'progress']);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(small.app.live.stats.droppedSlow).toBe(1);
      expect(small.app.live.size).toBe(0);
      stream.response.resume();
      stream.response.socket.resume();
      await stream.ended;
    } finally {
      await small.close();
    }
  });

  it('ends a stream at the heartbeat once its credential is no longer valid (revoked elsewhere), with comment heartbeats before', async () => {
    const beating = await startTestServer(store, { liveHeartbeatMs: 100 });
    try {
      const { id, token } = await readToken();
      const stream = await TestEventStream.open(streamUrl(beating), bearer(token));
      await stream.waitUntil(() => stream.comments.includes('ping'), 'a heartbeat comment');
      expect(stream.endedBy).toBeUndefined();
      // Revoked in the store, as another instance would: no local hook, only the heartbeat's re-check sees it.
      expect(await store.revokeApiToken(id, new Date())).toBe(true);
      await stream.ended;
      expect(stream.endedBy).toBe('end');
      expect(stream.events.at(-1)).toEqual({ event: 'ended', data: JSON.stringify({ reason: 'unauthenticated' }) });
    } finally {
      await beating.close();
    }
  });

  it('ends every stream cleanly on shutdown and refuses new ones', async () => {
    const stopping = await startTestServer(store);
    const stream = await TestEventStream.open(streamUrl(stopping), bearer(stopping.apiToken));
    await stream.waitUntil(() => stream.retryMs !== undefined, 'the stream to start');
    stopping.app.live.close();
    await stream.ended;
    expect(stream.endedBy).toBe('end');
    expect(stream.events.at(-1)).toEqual({ event: 'ended', data: JSON.stringify({ reason: 'shutdown' }) });
    const refused = await TestEventStream.open(streamUrl(stopping), bearer(stopping.apiToken));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'E_SHUTTING_DOWN' });
    await stopping.close();

    // The whole server stopping (app.close) does the same before it cuts the sockets.
    const stopped = await startTestServer(store);
    const last = await TestEventStream.open(streamUrl(stopped), bearer(stopped.apiToken));
    await last.waitUntil(() => last.retryMs !== undefined, 'the stream to start');
    await stopped.close();
    await last.ended;
    expect(last.events.at(-1)).toEqual({ event: 'ended', data: JSON.stringify({ reason: 'shutdown' }) });
  });
});
