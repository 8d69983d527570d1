// Attacks on enrollment and admin credentials, performed against a real server: taking over a Mac with the fleet
// secret and its hardware UUID, living on after revocation, enrolling without bound, and API tokens doing more
// than their scope.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_TOKEN_HEADER, ENROLLMENT_REQUEST_HEADER } from '../../protocol/src/index.js';
import { generateToken, hashPassword, hashToken } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { RawAgent, startTestServer, type ApiCall, type TestServer } from './helpers/harness.js';
import { openTestStore, testBackends } from './helpers/stores.js';

interface EnrollAnswer {
  status: number;
  body: { deviceId?: string; token?: string; status?: string; request?: string; error?: string };
}

describe.each(testBackends())('enrollment and credential attacks on %s', (backend) => {
  let store: Store;
  let server: TestServer;
  let session: ApiCall;

  beforeAll(async () => {
    store = await openTestStore(backend);
    server = await startTestServer(store);
    await store.createAdmin('admin', await hashPassword('correct horse battery'), new Date());
    session = await server.login('admin', 'correct horse battery');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  async function enroll(
    device: { hardwareUuid: string; serial: string },
    options: { hostname?: string; secret?: string; headers?: Record<string, string> } = {},
  ): Promise<EnrollAnswer> {
    const response = await fetch(`${server.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.secret ?? server.enrollSecret}`, 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify({ device: { hardwareUuid: device.hardwareUuid, serial: device.serial }, hostname: options.hostname ?? 'attacker', agentVersion: '0.1.0' }),
    });
    return { status: response.status, body: (await response.json()) as EnrollAnswer['body'] };
  }

  async function connect(device: { token: string; hardwareUuid: string; serial: string }): Promise<RawAgent> {
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return agent;
  }

  async function refusedUpgrade(token: string): Promise<string> {
    const agent = new RawAgent(server.wsUrl, token);
    return agent.opened.then(
      () => 'opened',
      (error: Error) => error.message,
    );
  }

  async function sendCommand(deviceId: string): Promise<string> {
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    expect(created.status).toBe(201);
    return created.body.commandIds[0] as string;
  }

  it('gives a second client with the fleet secret and the victim hardware UUID no token, no commands and no inventory', async () => {
    const victim = await server.enroll();
    const victimSocket = await connect(victim);
    victimSocket.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: { ...sampleInventory(), hostname: 'victim-mac' } });
    await expect.poll(async () => (await server.api('GET', `/api/v1/devices/${victim.deviceId}`)).body.device.hostname).toBe('victim-mac');

    const attack = await enroll(victim, { hostname: 'evil-mac' });
    expect(attack.status).toBe(202);
    expect(attack.body.status).toBe('pending');
    expect(attack.body.token).toBeUndefined();
    expect(attack.body.deviceId).toBeUndefined();
    // The request credential is not a device token.
    expect(await refusedUpgrade(attack.body.request ?? '')).toBe('HTTP 401');

    // The victim keeps its socket, receives its commands, and its record is unchanged.
    const commandId = await sendCommand(victim.deviceId);
    expect((await victimSocket.waitFor('command', (message) => message.command.id === commandId)).command.id).toBe(commandId);
    expect(victimSocket.closeCode).toBeUndefined();
    const detail = await server.api('GET', `/api/v1/devices/${victim.deviceId}`);
    expect(detail.body.device).toMatchObject({ hostname: 'victim-mac', serial: victim.serial, pendingReenrollments: 1 });
    expect(detail.body.device.reenrollmentRequests).toEqual([expect.objectContaining({ hostname: 'evil-mac', approvedAt: null })]);
    const listed = await server.api('GET', `/api/v1/devices?q=${victim.serial}`);
    expect(listed.body.devices[0]).toMatchObject({ id: victim.deviceId, pendingReenrollments: 1 });

    // Polling the request changes nothing until an admin decides.
    const poll = await enroll(victim, { hostname: 'evil-mac', headers: { [ENROLLMENT_REQUEST_HEADER]: attack.body.request ?? '' } });
    expect(poll).toMatchObject({ status: 202, body: { status: 'pending', request: attack.body.request } });
    victimSocket.close();
    await victimSocket.closed;
    const reconnected = await connect(victim);
    reconnected.close();
  });

  it('re-enrolls a known device at once when the agent presents its current token, closing the old socket', async () => {
    const device = await server.enroll();
    const oldSocket = await connect(device);
    const again = await enroll(device, { hostname: 'same-mac', headers: { [DEVICE_TOKEN_HEADER]: device.token } });
    expect(again.status).toBe(200);
    expect(again.body.deviceId).toBe(device.deviceId);
    expect(await oldSocket.closed).toBe(4401);
    expect(await refusedUpgrade(device.token)).toBe('HTTP 401');
    const fresh = await connect({ ...device, token: again.body.token ?? '' });
    fresh.close();
    // A token of another device proves nothing.
    const other = await server.enroll();
    expect((await enroll(device, { headers: { [DEVICE_TOKEN_HEADER]: other.token } })).status).toBe(202);
  });

  it('switches the device to the approved request: the old token and socket end, the requester collects a token', async () => {
    const victim = await server.enroll();
    const victimSocket = await connect(victim);
    const request = await enroll(victim, { hostname: 'reinstalled-mac' });
    expect(request.status).toBe(202);
    const other = await enroll(victim, { hostname: 'someone-else' });
    const detail = await server.api('GET', `/api/v1/devices/${victim.deviceId}`);
    const pending = detail.body.device.reenrollmentRequests as Array<{ id: string; hostname: string }>;
    const chosen = pending.find((entry) => entry.hostname === 'reinstalled-mac');
    expect(chosen).toBeDefined();

    const readOnly = await createToken('read');
    const refused = await server.api('POST', `/api/v1/devices/${victim.deviceId}/reenrollments/${chosen?.id}/approve`, undefined, { authorization: `Bearer ${readOnly}` });
    expect(refused.status).toBe(403);
    expect((await server.api('POST', `/api/v1/devices/${victim.deviceId}/reenrollments/${chosen?.id}/approve`)).status).toBe(200);

    expect(await victimSocket.closed).toBe(4401);
    expect(await refusedUpgrade(victim.token)).toBe('HTTP 401');
    // The other request was dropped with the approval; its poll starts over as a new pending request.
    const otherPoll = await enroll(victim, { hostname: 'someone-else', headers: { [ENROLLMENT_REQUEST_HEADER]: other.body.request ?? '' } });
    expect(otherPoll.status).toBe(202);
    expect(otherPoll.body.request).not.toBe(other.body.request);

    const collected = await enroll(victim, { hostname: 'reinstalled-mac', headers: { [ENROLLMENT_REQUEST_HEADER]: request.body.request ?? '' } });
    expect(collected.status).toBe(200);
    expect(collected.body.deviceId).toBe(victim.deviceId);
    const socket = await connect({ ...victim, token: collected.body.token ?? '' });
    socket.close();
  });

  it('rejecting deletes the request', async () => {
    const device = await server.enroll();
    const request = await enroll(device);
    const pending = (await server.api('GET', `/api/v1/devices/${device.deviceId}`)).body.device.reenrollmentRequests as Array<{ id: string }>;
    expect((await server.api('DELETE', `/api/v1/devices/${device.deviceId}/reenrollments/${pending[0]?.id}`)).status).toBe(200);
    expect((await server.api('GET', `/api/v1/devices/${device.deviceId}`)).body.device.reenrollmentRequests).toEqual([]);
    expect((await server.api('DELETE', `/api/v1/devices/${device.deviceId}/reenrollments/${pending[0]?.id}`)).status).toBe(404);
    expect(request.status).toBe(202);
  });

  it('revocation closes the live socket and refuses reconnects; re-enrolling with the secret only asks an admin', async () => {
    const device = await server.enroll();
    const socket = await connect(device);
    expect((await server.api('POST', `/api/v1/devices/${device.deviceId}/revoke`)).status).toBe(200);
    expect(await socket.closed).toBe(4401);
    expect(await refusedUpgrade(device.token)).toBe('HTTP 401');
    const detail = await server.api('GET', `/api/v1/devices/${device.deviceId}`);
    expect(detail.body.device.revokedAt).not.toBeNull();
    expect((await enroll(device, { headers: { [DEVICE_TOKEN_HEADER]: device.token } })).status).toBe(202);
    expect((await server.api('POST', `/api/v1/devices/${randomUUID()}/revoke`)).status).toBe(404);
  });

  it('refuses an upgrade whose token lookup overlapped the revocation (nothing slips between lookup and accept)', async () => {
    // A store whose token lookup for one token answers (with what it read) only after the revocation's notice
    // was handled: the stale answer must not let the socket in.
    let target = '';
    let releaseLookup: () => void = () => undefined;
    const lookupHeld = new Promise<void>((resolve) => (releaseLookup = resolve));
    let lookupStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (lookupStarted = resolve));
    let noticeHandled: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (noticeHandled = resolve));
    const racing: Store = {
      ...store,
      async findDeviceByTokenHash(tokenHash) {
        const found = await store.findDeviceByTokenHash(tokenHash);
        if (tokenHash === target) {
          target = '';
          lookupStarted();
          await lookupHeld;
        }
        return found;
      },
      async onDeviceAccessNotice(handler) {
        return store.onDeviceAccessNotice((deviceIds) => {
          handler(deviceIds);
          noticeHandled();
        });
      },
    };
    const racingServer = await startTestServer(racing);
    try {
      const device = await racingServer.enroll();
      target = hashToken(device.token);
      const agent = new RawAgent(racingServer.wsUrl, device.token);
      const outcome = agent.opened.then(
        () => 'opened',
        (error: Error) => error.message,
      );
      await started;
      expect((await racingServer.api('POST', `/api/v1/devices/${device.deviceId}/revoke`)).status).toBe(200);
      await handled;
      releaseLookup();
      expect(await outcome).toBe('HTTP 401');
    } finally {
      await racingServer.close();
    }
  });

  it('deletion removes the device with its events and commands and closes its socket', async () => {
    const device = await server.enroll();
    const socket = await connect(device);
    await sendCommand(device.deviceId);
    expect((await server.api('DELETE', `/api/v1/devices/${device.deviceId}`)).status).toBe(200);
    expect(await socket.closed).toBe(4401);
    expect((await server.api('GET', `/api/v1/devices/${device.deviceId}`)).status).toBe(404);
    expect((await server.api('GET', `/api/v1/commands?deviceId=${device.deviceId}`)).body.commands).toEqual([]);
    expect(await refusedUpgrade(device.token)).toBe('HTTP 401');
  });

  it('refuses new devices once a secret enrolled its maxDevices, with a clear error', async () => {
    const created = await server.api('POST', '/api/v1/enrollment-secrets', { name: 'lab', maxDevices: 2 });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    const device = () => ({ hardwareUuid: randomUUID().toUpperCase(), serial: `LAB${randomUUID().slice(0, 6).toUpperCase()}` });
    const first = device();
    expect((await enroll(first, { secret })).status).toBe(200);
    expect((await enroll(device(), { secret })).status).toBe(200);
    const refused = await enroll(device(), { secret });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('E_ENROLL_LIMIT_REACHED');
    // A known device is not a new one: its re-enrollment still goes to approval.
    expect((await enroll(first, { secret })).status).toBe(202);
    const listed = await server.api('GET', '/api/v1/enrollment-secrets');
    expect(listed.body.secrets.find((entry: { id: string }) => entry.id === created.body.id)).toMatchObject({ maxDevices: 2, enrolledDevices: 2 });
  });

  async function createToken(scope: 'read' | 'commands' | 'admin'): Promise<string> {
    const created = await session('POST', '/api/v1/tokens', { name: `${scope}-token`, scope, expiresInDays: 7 });
    expect(created.status).toBe(201);
    expect(created.body.scope).toBe(scope);
    return created.body.token as string;
  }

  it('holds API tokens to their scope, lets no token create tokens, and refuses expired tokens', async () => {
    const device = await server.enroll();
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const command = { target: { deviceId: device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 };

    const read = await createToken('read');
    expect((await server.api('GET', '/api/v1/devices', undefined, as(read))).status).toBe(200);
    const readCommand = await server.api('POST', '/api/v1/commands', command, as(read));
    expect(readCommand.status).toBe(403);
    expect(readCommand.body.error).toBe('E_FORBIDDEN');
    expect((await server.api('POST', `/api/v1/devices/${device.deviceId}/revoke`, undefined, as(read))).status).toBe(403);

    const commands = await createToken('commands');
    expect((await server.api('POST', '/api/v1/commands', command, as(commands))).status).toBe(201);
    expect((await server.api('POST', '/api/v1/enrollment-secrets', { name: 'nope' }, as(commands))).status).toBe(403);
    expect((await server.api('DELETE', `/api/v1/devices/${device.deviceId}`, undefined, as(commands))).status).toBe(403);

    const admin = await createToken('admin');
    for (const token of [read, commands, admin, server.apiToken]) {
      const minted = await server.api('POST', '/api/v1/tokens', { name: 'minted', scope: 'read' }, as(token));
      expect(minted.status).toBe(403);
      expect(minted.body.token).toBeUndefined();
    }

    const expiredToken = generateToken();
    const now = new Date();
    await store.createApiToken({
      id: randomUUID(), name: 'old', tokenHash: hashToken(expiredToken), createdBy: 'admin', now: new Date(now.getTime() - 2000), scope: 'admin', expiresAt: new Date(now.getTime() - 1000),
    });
    const expired = await server.api('GET', '/api/v1/devices', undefined, as(expiredToken));
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/);

    const listed = await session('GET', '/api/v1/tokens');
    expect(listed.body.tokens.find((token: { name: string }) => token.name === 'read-token')).toMatchObject({ scope: 'read', expiresAt: expect.any(String) });
    expect((await session('POST', '/api/v1/tokens', { name: 'too long', expiresInDays: 400 })).status).toBe(400);
  });
});
