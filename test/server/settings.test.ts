import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server.js';
import { settingsFromEnv } from '../../server/src/env.js';
import { capturingLogger } from './helpers/logger.js';

describe('settings from the environment', () => {
  it('uses the embedded database by default and PostgreSQL when DATABASE_URL is set', () => {
    expect(settingsFromEnv({}).store).toMatchObject({ kind: 'pglite' });
    expect(settingsFromEnv({}).port).toBe(8080);
    expect(settingsFromEnv({ DATABASE_URL: 'postgresql://u@db/untether' }).store).toEqual({ kind: 'postgres', connectionString: 'postgresql://u@db/untether' });
  });

  it('refuses half a TLS configuration and bad values, naming the variable', () => {
    expect(() => settingsFromEnv({ UNTETHER_TLS_CERT_FILE: '/x' })).toThrow(/UNTETHER_TLS_KEY_FILE/);
    expect(() => settingsFromEnv({ UNTETHER_PORT: 'eighty' })).toThrow(/UNTETHER_PORT/);
  });

  it('reads trusted proxies (addresses and CIDR ranges) and refuses a malformed one, naming the variable', () => {
    expect(settingsFromEnv({}).config.trustedProxies).toEqual([]);
    expect(settingsFromEnv({ UNTETHER_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.10,::1' }).config.trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.10', '::1']);
    expect(() => settingsFromEnv({ UNTETHER_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/UNTETHER_TRUSTED_PROXIES/);
    expect(() => settingsFromEnv({ UNTETHER_TRUSTED_PROXIES: 'proxy.example.com' })).toThrow(/UNTETHER_TRUSTED_PROXIES/);
  });

  it('reads the initial admin password from a file, never from a variable', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-env-')), 'pw');
    writeFileSync(file, 's3cret-pass\n');
    expect(settingsFromEnv({ UNTETHER_ADMIN_PASSWORD_FILE: file }).config.initialAdmin).toEqual({ username: 'admin', password: 's3cret-pass' });
  });
});

describe('log redaction', () => {
  it('masks secret fields at any depth and keeps the component', () => {
    const { logger, lines } = capturingLogger();
    logger.child({ component: 'api' }).info('login', { username: 'admin', password: 'hunter2', headers: { authorization: 'Bearer abc', cookie: 'x' } });
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ component: 'api', message: 'login', username: 'admin', password: '[redacted]', headers: { authorization: '[redacted]', cookie: '[redacted]' } });
  });
});

describe('demo server', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemoServer({ port: 0, quiet: true });
  }, 60_000);
  afterAll(async () => {
    await demo?.close();
  });

  it('starts on the embedded database with an admin and an enrollment secret that work', async () => {
    const login = await fetch(`${demo.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: demo.adminUser, password: demo.adminPassword }),
    });
    expect(login.status).toBe(200);
    const enroll = await fetch(`${demo.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.enrollSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: { hardwareUuid: '6F1C8B3E-1111-4222-8333-444455556666', serial: 'C02DEMO001' }, hostname: 'demo-mac', agentVersion: '0.1.0' }),
    });
    expect(enroll.status).toBe(200);
    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
  });
});
