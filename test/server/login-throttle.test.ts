// Issue 11 item 4: login attempts are counted before the password hash, and limited per (user, address) and per
// address, so wrong passwords from one address neither get checked beyond the limit nor lock the admin out elsewhere.
// Clients come from distinct loopback addresses (127.0.0.0/8 all reach the server on 127.0.0.1).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/src/auth/secrets.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle } from '../../server/src/auth/login-throttle.js';
import type { Store } from '../../server/src/store/store.js';
import { startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore } from './helpers/stores.js';

const PASSWORD = 'correct horse battery';

/** POST /api/v1/login from `localAddress`, with optional extra headers; resolves to the status. */
function login(server: TestServer, username: string, password: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL('/api/v1/login', server.url);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('login throttling', () => {
  let store: Store;
  let server: TestServer;
  let proxied: TestServer;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    await store.createAdmin('admin', await hashPassword(PASSWORD), new Date());
    server = await startTestServer(store);
    proxied = await startTestServer(store, { trustedProxies: ['127.0.0.1'] });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await proxied?.close();
    await store?.close();
  });

  it('checks at most the limit of 40 concurrent wrong logins, and the admin still logs in from another address', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, index) => login(server, 'admin', `guess-${index}`, '127.0.0.11')));
    expect(statuses.filter((status) => status === 401)).toHaveLength(DEFAULT_LOGIN_LIMITS.perUserAndAddress);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40 - DEFAULT_LOGIN_LIMITS.perUserAndAddress);
    expect(await login(server, 'admin', PASSWORD, '127.0.0.11')).toBe(429);
    expect(await login(server, 'admin', PASSWORD, '127.0.0.12')).toBe(200);
  });

  it('limits one address across user names', async () => {
    const attempts = DEFAULT_LOGIN_LIMITS.perAddress + 2;
    const statuses = await Promise.all(Array.from({ length: attempts }, (_, index) => login(server, `nobody-${index % 5}`, 'x', '127.0.0.13')));
    expect(statuses.filter((status) => status === 401)).toHaveLength(DEFAULT_LOGIN_LIMITS.perAddress);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2);
    expect(await login(server, 'admin', PASSWORD, '127.0.0.14')).toBe(200);
  });

  it('behind a trusted proxy limits the forwarded client, and ignores X-Forwarded-For from anyone else', async () => {
    const attacker = { 'x-forwarded-for': '203.0.113.5' };
    const guesses = Array.from({ length: DEFAULT_LOGIN_LIMITS.perUserAndAddress }, (_, index) => login(proxied, 'admin', `guess-${index}`, '127.0.0.1', attacker));
    expect(await Promise.all(guesses)).toEqual(guesses.map(() => 401));
    expect(await login(proxied, 'admin', PASSWORD, '127.0.0.1', attacker)).toBe(429);
    // The real admin behind the same proxy, a client-written hop left of it proves nothing.
    expect(await login(proxied, 'admin', PASSWORD, '127.0.0.1', { 'x-forwarded-for': '203.0.113.5, 198.51.100.7' })).toBe(200);
    // An untrusted peer cannot pick its address: it is counted under its own, and spoofing the admin's changes nothing.
    const spoofed = Array.from({ length: DEFAULT_LOGIN_LIMITS.perUserAndAddress }, (_, index) =>
      login(proxied, 'admin', `guess-${index}`, '127.0.0.15', { 'x-forwarded-for': `192.0.2.${index}` }),
    );
    expect(await Promise.all(spoofed)).toEqual(spoofed.map(() => 401));
    expect(await login(proxied, 'admin', PASSWORD, '127.0.0.15', { 'x-forwarded-for': '192.0.2.200' })).toBe(429);
    expect(await login(proxied, 'admin', PASSWORD, '127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toBe(200);
  });

  it('slows a user down after many failures from many addresses instead of locking it', () => {
    const throttle = new LoginThrottle();
    let now = 1_000_000;
    for (let index = 0; index < DEFAULT_LOGIN_LIMITS.userSlowdownAfter; index += 1) expect(throttle.reserve('admin', `10.0.${index >> 8}.${index & 255}`, now).ok).toBe(true);
    expect(throttle.reserve('admin', '10.9.9.9', now).ok).toBe(true);
    expect(throttle.reserve('admin', '10.9.9.10', now)).toMatchObject({ ok: false, reason: 'user-slowdown' });
    now += DEFAULT_LOGIN_LIMITS.userSpacingMs;
    const reservation = throttle.reserve('admin', '10.9.9.10', now);
    expect(reservation.ok).toBe(true);
  });
});
