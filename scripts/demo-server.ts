// The server half of `npm run demo`: the fleet server on the embedded database, an admin login and an
// enrollment secret, ready for real agents (wired by the demo script) to enroll against.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../server/src/app.js';
import { generateToken, hashToken } from '../server/src/auth/secrets.js';
import { systemClock } from '../server/src/clock.js';
import { DEFAULT_CONFIG, onlineGraceMs, type ServerConfig } from '../server/src/config.js';
import { defaultDashboardDirs } from '../server/src/env.js';
import { componentLogger, createServerLogger } from '../server/src/log.js';
import { openStore } from '../server/src/store/open.js';

/** What the demo needs to point agents and a browser at the server. */
export interface DemoServer {
  /** Dashboard and API base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  adminUser: string;
  adminPassword: string;
  /** Give this to each agent as its enrollment secret (configuration profile in real life). */
  enrollSecret: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Start the server with the embedded database on 127.0.0.1; port 0 picks a free one. */
export async function startDemoServer(options: { port?: number; dataDir?: string; dashboard?: ServerConfig['dashboard']; quiet?: boolean } = {}): Promise<DemoServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'untether-demo-'));
  const root = createServerLogger({ level: 'warn', silent: options.quiet ?? false });
  const adminPassword = randomBytes(9).toString('base64url');
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    instanceId: 'demo',
    // A short heartbeat so the demo's online/offline status reacts within seconds.
    heartbeatIntervalMs: 5000,
    commandSweepMs: 2000,
    initialAdmin: { username: 'admin', password: adminPassword },
    dashboard: options.dashboard ?? defaultDashboardDirs(),
  };
  const store = await openStore({ kind: 'pglite', dataDir }, { onlineGraceMs: onlineGraceMs(config), logger: componentLogger(root, 'store') });
  const app = buildServer({ store, clock: systemClock, logger: root, config });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(options.port ?? 8080, '127.0.0.1', resolve));
  const enrollSecret = generateToken();
  await store.createEnrollmentSecret({ id: randomUUID(), name: 'demo', secretHash: hashToken(enrollSecret), now: new Date(), expiresAt: null, maxDevices: 100_000 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    adminUser: 'admin',
    adminPassword,
    enrollSecret,
    dataDir,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
