import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLL_REQUEST_FILE_NAME } from '../../agent/src/link/enroll-request-file.js';
import { DEFAULT_COMMAND_POLICY } from '../../agent/src/link/policy.js';
import { TOKEN_FILE_NAME, readToken } from '../../agent/src/link/token-file.js';
import { hashToken } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory, sampleStageState } from '../protocol/samples.js';
import { capturingLogger } from '../server/helpers/logger.js';
import { startTestServer, type TestServer } from '../server/helpers/harness.js';
import { openTestStore } from '../server/helpers/stores.js';
import { startCuttableProxy, tempDataDir, testLink } from './helpers.js';

async function storedEvents(store: Store, deviceId: string) {
  return store.listEvents({ deviceId, limit: 10_000 });
}

function deviceIdOf(dataDir: string): string {
  const token = readToken(dataDir);
  if (token === undefined) throw new Error('no token yet');
  return token.deviceId;
}

describe('agent link against a real server', () => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('enrolls, connects, delivers events, inventory and stage state, and empties its queue on ack', async () => {
    const { logger, lines } = capturingLogger();
    const link = testLink(server.url, server.enrollSecret, { logger });
    link.report({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory() });
    link.report({ type: 'stageState', at: new Date().toISOString(), state: sampleStageState() });
    for (let index = 0; index < 20; index += 1) link.send({ kind: 'step.succeeded', stage: 'demobilize', detail: { index } });
    link.start();
    await expect.poll(() => readToken(link.dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = deviceIdOf(link.dataDir);
    await expect.poll(async () => (await storedEvents(store, deviceId)).length, { timeout: 10_000 }).toBe(20);
    await expect.poll(() => (link as unknown as { queueDepth: number }).queueDepth, { timeout: 5000 }).toBe(0);
    const device = await store.getDevice(deviceId, new Date());
    expect(device).toMatchObject({ online: true, mobileCount: 1, state: 'waiting' });
    expect((await storedEvents(store, deviceId)).map((event) => event.seq).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect((readFileSync(path.join(link.dataDir, TOKEN_FILE_NAME)).length > 0)).toBe(true);
    // Neither the enrollment secret nor the device token ever reaches a log line.
    const token = readToken(link.dataDir)?.token ?? 'missing';
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).not.toContain(server.enrollSecret);
    await link.stop();
  });

  it('loses and duplicates no event across a server restart', async () => {
    const local = await openTestStore('pglite');
    let running = await startTestServer(local);
    const port = Number(new URL(running.url).port);
    const link = testLink(running.url, running.enrollSecret);
    link.start();
    for (let index = 0; index < 50; index += 1) link.send({ kind: 'step.started', detail: { index } });
    await expect.poll(() => readToken(link.dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = deviceIdOf(link.dataDir);
    await expect.poll(async () => (await storedEvents(local, deviceId)).length, { timeout: 10_000 }).toBe(50);

    await running.close();
    for (let index = 50; index < 120; index += 1) link.send({ kind: 'step.started', detail: { index } });
    running = await startTestServer(local, {}, { port });
    await expect.poll(async () => (await storedEvents(local, deviceId)).length, { timeout: 15_000 }).toBe(120);
    const events = await storedEvents(local, deviceId);
    expect(new Set(events.map((event) => event.detail?.index)).size).toBe(120);
    await link.stop();
    await running.close();
    await local.close();
  });

  it('loses and duplicates no event across network cuts while sending', async () => {
    const proxy = await startCuttableProxy(Number(new URL(server.url).port));
    const link = testLink(`http://127.0.0.1:${proxy.port}`, server.enrollSecret);
    link.start();
    await expect.poll(() => readToken(link.dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = deviceIdOf(link.dataDir);
    for (let round = 0; round < 5; round += 1) {
      for (let index = 0; index < 40; index += 1) link.send({ kind: 'step.succeeded', detail: { index: round * 40 + index } });
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 15));
      proxy.cut();
    }
    await expect.poll(async () => (await storedEvents(store, deviceId)).length, { timeout: 20_000 }).toBe(200);
    const events = await storedEvents(store, deviceId);
    expect(new Set(events.map((event) => event.detail?.index)).size).toBe(200);
    await expect.poll(() => (link as unknown as { queueDepth: number }).queueDepth, { timeout: 10_000 }).toBe(0);
    await link.stop();
    await proxy.close();
  });

  it('keeps events queued across an agent restart while the server is unreachable', async () => {
    const dataDir = tempDataDir();
    const device = { hardwareUuid: '11111111-2222-4333-8444-555555555555', serial: 'C02RESTART1', hostname: 'mac-restart' };
    const first = testLink(server.url, server.enrollSecret, { dataDir, device });
    first.start();
    await expect.poll(() => readToken(dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    await first.stop();
    const deviceId = deviceIdOf(dataDir);
    const offline = testLink('http://127.0.0.1:9', server.enrollSecret, { dataDir, device });
    for (let index = 0; index < 10; index += 1) offline.send({ kind: 'step.failed', code: 'E_TOOL_TIMEOUT', detail: { index } });
    await offline.stop();
    const second = testLink(server.url, server.enrollSecret, { dataDir, device });
    second.start();
    await expect.poll(async () => (await storedEvents(store, deviceId)).length, { timeout: 10_000 }).toBe(10);
    await second.stop();
  });

  it('re-enrolls as itself when its token belongs to another Mac (a cloned disk)', async () => {
    const dataDir = tempDataDir();
    const original = testLink(server.url, server.enrollSecret, { dataDir });
    original.start();
    await expect.poll(() => readToken(dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    await original.stop();
    const originalId = deviceIdOf(dataDir);
    const clone = testLink(server.url, server.enrollSecret, { dataDir });
    clone.start();
    await expect.poll(() => readToken(dataDir)?.deviceId, { timeout: 10_000 }).not.toBe(originalId);
    await clone.stop();
  });

  it('a reinstalled Mac (token lost) waits for approval, keeps polling the same request, then connects', async () => {
    const device = { hardwareUuid: '22222222-3333-4444-8555-666666666666', serial: 'C02REINST01', hostname: 'mac-reinstall' };
    const firstDir = tempDataDir();
    const first = testLink(server.url, server.enrollSecret, { dataDir: firstDir, device });
    first.start();
    await expect.poll(() => readToken(firstDir) !== undefined, { timeout: 10_000 }).toBe(true);
    await first.stop();
    const deviceId = deviceIdOf(firstDir);

    const reinstalledDir = tempDataDir();
    const reinstalled = testLink(server.url, server.enrollSecret, { dataDir: reinstalledDir, device });
    reinstalled.start();
    await expect.poll(() => existsSync(path.join(reinstalledDir, ENROLL_REQUEST_FILE_NAME)), { timeout: 10_000 }).toBe(true);
    expect(statSync(path.join(reinstalledDir, ENROLL_REQUEST_FILE_NAME)).mode & 0o077).toBe(0);
    // Several polls later there is still one request: the agent polls it instead of filing new ones.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const detail = await server.api('GET', `/api/v1/devices/${deviceId}`);
    expect(detail.body.device.reenrollmentRequests).toHaveLength(1);
    expect(readToken(reinstalledDir)).toBeUndefined();
    // The first installation's token still works until approval.
    expect(await store.findDeviceByTokenHash(hashToken(readToken(firstDir)?.token ?? ''))).toMatchObject({ id: deviceId });

    const requestId = detail.body.device.reenrollmentRequests[0].id as string;
    expect((await server.api('POST', `/api/v1/devices/${deviceId}/reenrollments/${requestId}/approve`)).status).toBe(200);
    await expect.poll(() => readToken(reinstalledDir)?.deviceId, { timeout: 10_000 }).toBe(deviceId);
    await expect.poll(async () => (await server.api('GET', `/api/v1/devices/${deviceId}`)).body.device.online, { timeout: 10_000 }).toBe(true);
    expect(existsSync(path.join(reinstalledDir, ENROLL_REQUEST_FILE_NAME))).toBe(false);
    await reinstalled.stop();
  });

  it('reports how many events a full queue dropped', async () => {
    const dataDir = tempDataDir();
    const offline = testLink('http://127.0.0.1:9', server.enrollSecret, { dataDir, queueLimits: { maxItems: 5, maxBytes: 1_000_000 } });
    for (let index = 0; index < 12; index += 1) offline.send({ kind: 'step.started', detail: { index } });
    await offline.stop();
    const online = testLink(server.url, server.enrollSecret, { dataDir, queueLimits: { maxItems: 5, maxBytes: 1_000_000 } });
    online.start();
    await expect.poll(() => readToken(dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = deviceIdOf(dataDir);
    await expect.poll(async () => (await storedEvents(store, deviceId)).some((event) => event.kind === 'queue.dropped'), { timeout: 10_000 }).toBe(true);
    const dropped = (await storedEvents(store, deviceId)).find((event) => event.kind === 'queue.dropped');
    expect(dropped?.detail).toEqual({ count: 7 });
    await online.stop();
  });

  it('runs an allowed command, rejects a disallowed one, and reports both', async () => {
    const link = testLink(server.url, server.enrollSecret, { policy: DEFAULT_COMMAND_POLICY });
    const ran: string[] = [];
    link.onCommand('rescan', async (command) => {
      ran.push(command.id);
      return { outcome: 'succeeded', detail: { users: 2 } };
    });
    link.onCommand('unbind', async () => {
      throw new Error('must not run: unbind is off by default');
    });
    link.start();
    await expect.poll(() => readToken(link.dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = deviceIdOf(link.dataDir);
    await expect.poll(async () => (await store.getDevice(deviceId, new Date()))?.online, { timeout: 10_000 }).toBe(true);
    const rescan = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    const unbind = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action: { type: 'unbind', params: {} }, confirmCount: 1 });
    const statusOf = async (id: string) => (await store.listCommands({ deviceId, limit: 10 })).find((command) => command.id === id);
    await expect.poll(async () => (await statusOf(rescan.body.commandIds[0]))?.status, { timeout: 10_000 }).toBe('succeeded');
    await expect.poll(async () => (await statusOf(unbind.body.commandIds[0]))?.status, { timeout: 10_000 }).toBe('rejected');
    expect((await statusOf(unbind.body.commandIds[0]))?.result).toMatchObject({ code: 'E_COMMAND_NOT_ALLOWED' });
    expect(ran).toEqual([rescan.body.commandIds[0]]);
    await link.stop();
  });
});

describe('agent link and 401 answers', () => {
  it('keeps its token through passing 401s and re-enrolls only when they persist', async () => {
    let enrollCalls = 0;
    const fake = http.createServer((_request, response) => {
      enrollCalls += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ deviceId: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', token: 'N'.repeat(43) }));
    });
    fake.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const dataDir = tempDataDir();
    const { writeToken } = await import('../../agent/src/link/token-file.js');
    writeToken(dataDir, { deviceId: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', token: 'O'.repeat(43), serverUrl: url });

    let clock = Date.parse('2026-11-01T12:00:00Z');
    const patient = testLink(url, 'enroll-secret-value', { dataDir, reenrollAfterMs: 60_000, now: () => new Date(clock) });
    patient.start();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await patient.stop();
    expect(enrollCalls).toBe(0);
    expect(readToken(dataDir)?.token).toBe('O'.repeat(43));

    const impatient = testLink(url, 'enroll-secret-value', { dataDir, reenrollAfterMs: 60_000, now: () => new Date((clock += 30_000)) });
    impatient.start();
    await expect.poll(() => enrollCalls, { timeout: 5000 }).toBeGreaterThan(0);
    await impatient.stop();
    expect(readToken(dataDir)?.token).toBe('N'.repeat(43));
    await new Promise<void>((resolve) => fake.close(() => resolve()));
  });
});
