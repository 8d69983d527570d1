import { spawnSync } from 'node:child_process';
import { createPublicKey, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readToken } from '../../agent/src/link/token-file.js';
import type { Store } from '../../server/src/store/store.js';
import { capturingLogger } from '../server/helpers/logger.js';
import { startTestServer, type TestServer } from '../server/helpers/harness.js';
import { openTestStore } from '../server/helpers/stores.js';
import { tempDataDir, testLink } from './helpers.js';

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI. */
function makeCertificate(dir: string): { certFile: string; keyFile: string; pin: string } {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=untether-test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`making a test certificate: openssl exited ${result.status}: ${result.stderr}`);
  const spki = createPublicKey(readFileSync(certFile)).export({ type: 'spki', format: 'der' });
  return { certFile, keyFile, pin: createHash('sha256').update(spki).digest('base64') };
}

describe('agent link over TLS', () => {
  let store: Store;
  let server: TestServer;
  let cert: { certFile: string; keyFile: string; pin: string };

  beforeAll(async () => {
    cert = makeCertificate(tempDataDir());
    store = await openTestStore('pglite');
    server = await startTestServer(store, { tls: { cert: readFileSync(cert.certFile, 'utf8'), key: readFileSync(cert.keyFile, 'utf8') } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('enrolls and connects over wss with a CA file and a matching SPKI pin', async () => {
    const link = testLink(server.url, server.enrollSecret, { tls: { caFile: cert.certFile, spkiPins: ['AAAA', cert.pin] } });
    link.send({ kind: 'agent.started' });
    link.start();
    await expect.poll(() => readToken(link.dataDir) !== undefined, { timeout: 10_000 }).toBe(true);
    const deviceId = readToken(link.dataDir)?.deviceId ?? '';
    await expect.poll(async () => (await store.listEvents({ deviceId, limit: 10 })).length, { timeout: 10_000 }).toBe(1);
    await link.stop();
  });

  it('refuses a server whose key matches no pin, before sending the enrollment secret', async () => {
    const { logger, lines } = capturingLogger();
    const otherPin = createHash('sha256').update('another key').digest('base64');
    const usesBefore = (await store.listEnrollmentSecrets()).find((secret) => secret.name === 'test')?.uses;
    const link = testLink(server.url, server.enrollSecret, { logger, tls: { caFile: cert.certFile, spkiPins: [otherPin] } });
    link.start();
    await expect.poll(() => lines.some((line) => line.includes('enroll_failed') && line.includes('SPKI pin')), { timeout: 5000 }).toBe(true);
    await link.stop();
    expect(readToken(link.dataDir)).toBeUndefined();
    expect((await store.listEnrollmentSecrets()).find((secret) => secret.name === 'test')?.uses).toBe(usesBefore);
  });

  it('refuses a self-signed server with the system trust store', async () => {
    const { logger, lines } = capturingLogger();
    const link = testLink(server.url, server.enrollSecret, { logger });
    link.start();
    await expect.poll(() => lines.some((line) => line.includes('enroll_failed')), { timeout: 5000 }).toBe(true);
    await link.stop();
    expect(readToken(link.dataDir)).toBeUndefined();
  });

  it('sends session cookies with the Secure flag over TLS', async () => {
    const { hashPassword } = await import('../../server/src/auth/secrets.js');
    await store.createAdmin('tlsadmin', await hashPassword('pw-for-tls'), new Date());
    const https = await import('node:https');
    const cookie = await new Promise<string>((resolve, reject) => {
      const request = https.request(
        `${server.url}/api/v1/login`,
        { method: 'POST', ca: readFileSync(cert.certFile), headers: { 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          resolve(String(response.headers['set-cookie']?.[0] ?? ''));
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ username: 'tlsadmin', password: 'pw-for-tls' }));
    });
    expect(cookie).toMatch(/; Secure/);
  });
});
