import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HTTP_BODY_BYTES } from '../../protocol/src/index.js';
import { hashPassword } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore, testBackends } from './helpers/stores.js';

describe.each(testBackends())('REST API on %s', (backend) => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    store = await openTestStore(backend);
    server = await startTestServer(store);
    await store.createAdmin('admin', await hashPassword('correct horse battery'), new Date());
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  describe('admin authentication', () => {
    it('refuses requests without a credential or with an unknown token', async () => {
      expect((await fetch(`${server.url}/api/v1/devices`)).status).toBe(401);
      expect((await server.api('GET', '/api/v1/devices', undefined, { authorization: `Bearer ${'z'.repeat(43)}` })).status).toBe(401);
    });

    it('logs in with a password into an HttpOnly SameSite=Strict session, and logs out', async () => {
      const wrong = await fetch(`${server.url}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'nope' }),
      });
      expect(wrong.status).toBe(401);
      const login = await fetch(`${server.url}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const session = cookie.split(';')[0] ?? '';
      const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie: session } });
      expect(await me.json()).toEqual({ name: 'admin', via: 'session' });
      await fetch(`${server.url}/api/v1/logout`, { method: 'POST', headers: { cookie: session } });
      expect((await fetch(`${server.url}/api/v1/me`, { headers: { cookie: session } })).status).toBe(401);
    });

    it('blocks a user after ten wrong passwords, even with the right one', async () => {
      await store.createAdmin('victim', await hashPassword('the-right-one'), new Date());
      const attempt = (password: string) =>
        fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'victim', password }) });
      for (let index = 0; index < 10; index += 1) expect((await attempt(`guess-${index}`)).status).toBe(401);
      const blocked = await attempt('the-right-one');
      expect(blocked.status).toBe(429);
      expect(((await blocked.json()) as { error: string }).error).toBe('E_RATE_LIMITED');
    });

    it('creates, lists and revokes API tokens, storing only hashes', async () => {
      const session = await server.login('admin', 'correct horse battery');
      const created = await session('POST', '/api/v1/tokens', { name: 'script' });
      expect(created.status).toBe(201);
      const token = created.body.token as string;
      expect((await server.api('GET', '/api/v1/overview', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
      const listed = await server.api('GET', '/api/v1/tokens');
      expect(JSON.stringify(listed.body)).not.toContain(token);
      expect((await server.api('DELETE', `/api/v1/tokens/${created.body.id}`)).status).toBe(200);
      expect((await server.api('GET', '/api/v1/overview', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
    });
  });

  describe('enrollment', () => {
    it('refuses an unknown secret and a malformed body, storing no device', async () => {
      const before = (await store.overview(new Date())).total;
      const unknown = await fetch(`${server.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { authorization: `Bearer ${'q'.repeat(43)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: { hardwareUuid: randomUUID(), serial: 'C02ABC123' }, hostname: 'x', agentVersion: '0.1.0' }),
      });
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { error: string }).error).toBe('E_ENROLL_SECRET_INVALID');
      const malformed = await fetch(`${server.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.enrollSecret}`, 'content-type': 'application/json' },
        body: '{"device":',
      });
      expect(malformed.status).toBe(400);
      const wrongSchema = await fetch(`${server.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.enrollSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: { hardwareUuid: 'not-a-uuid', serial: '!' }, hostname: 'x', agentVersion: '0.1.0' }),
      });
      expect(wrongSchema.status).toBe(400);
      expect((await store.overview(new Date())).total).toBe(before);
    });

    it('creates enrollment secrets that work until revoked', async () => {
      const created = await server.api('POST', '/api/v1/enrollment-secrets', { name: 'wave 2', expiresInDays: 30 });
      expect(created.status).toBe(201);
      const enroll = () =>
        fetch(`${server.url}/api/v1/enroll`, {
          method: 'POST',
          headers: { authorization: `Bearer ${created.body.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ device: { hardwareUuid: randomUUID(), serial: 'C02WAVE2' }, hostname: 'wave2', agentVersion: '0.1.0' }),
        });
      expect((await enroll()).status).toBe(200);
      const listed = await server.api('GET', '/api/v1/enrollment-secrets');
      expect(listed.body.secrets.find((secret: { id: string }) => secret.id === created.body.id)).toMatchObject({ uses: 1, name: 'wave 2' });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
      expect((await server.api('DELETE', `/api/v1/enrollment-secrets/${created.body.id}`)).status).toBe(200);
      expect((await enroll()).status).toBe(401);
    });
  });

  describe('bodies and queries', () => {
    it('refuses an oversize body with 413', async () => {
      const response = await server.api('POST', '/api/v1/enrollment-secrets', { name: 'x'.repeat(MAX_HTTP_BODY_BYTES + 10) });
      expect(response.status).toBe(413);
    });

    it('refuses a body that is not JSON by content type with 415', async () => {
      const response = await server.api('POST', '/api/v1/enrollment-secrets', undefined, { 'content-type': 'text/plain' });
      expect(response.status).toBe(415);
    });

    it('refuses unknown query parameters and bad values with 400', async () => {
      expect((await server.api('GET', '/api/v1/devices?stage=nope')).status).toBe(400);
      expect((await server.api('GET', '/api/v1/devices?limit=100000')).status).toBe(400);
      expect((await server.api('GET', '/api/v1/devices?sql=1')).status).toBe(400);
    });

    it('answers 404 for unknown endpoints and devices', async () => {
      expect((await server.api('GET', '/api/v1/nothing')).status).toBe(404);
      expect((await server.api('GET', `/api/v1/devices/${randomUUID()}`)).status).toBe(404);
    });
  });

  describe('fleet views and commands', () => {
    let deviceIds: string[] = [];

    beforeAll(async () => {
      deviceIds = [];
      for (let index = 0; index < 4; index += 1) {
        const device = await server.enroll();
        deviceIds.push(device.deviceId);
        const inventory = sampleInventory({ hostname: `=cmd|${index}`, binding: { kind: 'ad', domain: index < 2 ? 'emea.example.com' : 'us.example.com', computerId: null } });
        await store.saveInventory(device.deviceId, inventory, new Date(), new Date());
      }
    });

    it('filters devices by domain and returns a total', async () => {
      const page = await server.api('GET', '/api/v1/devices?domain=emea.example.com&limit=1');
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(2);
      expect(page.body.devices).toHaveLength(1);
    });

    it('shows device detail with accounts, timeline and commands', async () => {
      const detail = await server.api('GET', `/api/v1/devices/${deviceIds[0]}`);
      expect(detail.status).toBe(200);
      expect(detail.body.device.inventory.users.map((user: { name: string }) => user.name)).toEqual(['jdoe', 'localadmin']);
      expect(detail.body.timeline).toEqual([]);
      expect(detail.body.commands).toEqual([]);
    });

    it('exports CSV with formula cells neutralized', async () => {
      const csv = await server.api('GET', '/api/v1/devices.csv?domain=us.example.com');
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      const lines = (csv.body as string).trim().split('\r\n');
      expect(lines[0]).toMatch(/^id,hostname,serial/);
      expect(lines).toHaveLength(3);
      expect(lines[1]).toContain(`"'=cmd|`);
    });

    it('previews a group command and refuses a confirmation for another count', async () => {
      const target = { filter: { domain: 'emea.example.com' } };
      const preview = await server.api('POST', '/api/v1/commands/preview', { target });
      expect(preview.body).toEqual({ count: 2 });
      const mismatch = await server.api('POST', '/api/v1/commands', { target, action: { type: 'rescan', params: {} }, confirmCount: 3 });
      expect(mismatch.status).toBe(409);
      expect(mismatch.body.error).toBe('E_CONFIRMATION_MISMATCH');
      expect(await store.listCommands({ deviceId: deviceIds[0], limit: 10 })).toEqual([]);
      const created = await server.api('POST', '/api/v1/commands', {
        target,
        action: { type: 'demobilize', params: { scope: 'all' } },
        confirmCount: 2,
        validForSeconds: 600,
      });
      expect(created.status).toBe(201);
      expect(created.body.count).toBe(2);
      const listed = await server.api('GET', `/api/v1/commands?deviceId=${deviceIds[0]}`);
      expect(listed.body.commands[0]).toMatchObject({ type: 'demobilize', status: 'pending', params: { scope: 'all' } });
    });

    it('refuses a command whose params do not match its type', async () => {
      const response = await server.api('POST', '/api/v1/commands', {
        target: { deviceId: deviceIds[0] },
        action: { type: 'loginwindow', params: {} },
        confirmCount: 1,
      });
      expect(response.status).toBe(400);
    });

    it('reports the fleet overview and progress', async () => {
      const overview = await server.api('GET', '/api/v1/overview');
      expect(overview.body).toMatchObject({ bound: expect.any(Number), withMobileAccounts: expect.any(Number) });
      expect(overview.body.bound).toBeGreaterThanOrEqual(4);
      const progress = await server.api('GET', '/api/v1/progress?days=7');
      expect(progress.body.points.at(-1).enrolled).toBeGreaterThanOrEqual(4);
    });
  });
});
