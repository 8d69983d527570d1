// Shared pieces of the benchmarks: a seeded store, a server, the forked load generator, and a bare ws baseline.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import { WebSocketServer } from 'ws';
import { buildServer, type UntetherServer } from '../../server/src/app.js';
import { systemClock } from '../../server/src/clock.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../server/src/config.js';
import type { SqlDriver } from '../../server/src/store/driver.js';
import { openPgDriver } from '../../server/src/store/pg-driver.js';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { createSqlStore } from '../../server/src/store/sql-store.js';
import type { Store } from '../../server/src/store/store.js';
import { startTestPostgres, type TestPostgres } from '../../test/server/helpers/postgres.js';
import type { LoadJob, LoadReport } from './load-agents.js';

export const quietLogger = winston.createLogger({ silent: true });

export interface BenchDevice {
  id: string;
  token: string;
  hardwareUuid: string;
  serial: string;
}

/** Deterministic bench devices. */
export function benchDevices(count: number): BenchDevice[] {
  return Array.from({ length: count }, (_, index) => {
    const hex = index.toString(16).padStart(12, '0');
    return { id: randomUUID(), token: `bench-token-${index}-${'x'.repeat(20)}`, hardwareUuid: `BE0C0000-0000-4000-8000-${hex}`.toUpperCase(), serial: `BENCH${index}` };
  });
}

/** Insert devices in bulk with plain SQL (enrollment one by one would dominate the benchmark). */
export async function seedDevices(driver: SqlDriver, devices: readonly BenchDevice[], extra: (index: number) => Record<string, unknown> = () => ({})): Promise<void> {
  for (let start = 0; start < devices.length; start += 5000) {
    const records = devices.slice(start, start + 5000).map((device, offset) => ({
      id: device.id,
      hardware_uuid: device.hardwareUuid,
      serial: device.serial,
      hostname: `mac-${String(start + offset).padStart(6, '0')}`,
      token_hash: createHash('sha256').update(device.token).digest('hex'),
      ...extra(start + offset),
    }));
    await driver.query(
      `insert into devices (id, hardware_uuid, serial, hostname, token_hash, enrolled_at, agent_version, domain, bound, ever_bound, mobile_count,
         ever_mobile, login_kind, stage, state, last_seen_at, connected_instance, filevault, macos_version)
       select r.id, r.hardware_uuid, r.serial, r.hostname, r.token_hash, now(), '0.1.0', r.domain, r.bound, coalesce(r.bound, false), r.mobile_count,
         coalesce(r.mobile_count, 0) > 0, r.login_kind, coalesce(r.stage, 'scan'), coalesce(r.state, 'unknown'), r.last_seen_at, r.connected_instance, 'on', '14.6'
       from jsonb_to_recordset($1::jsonb) as r(id uuid, hardware_uuid text, serial text, hostname text, token_hash text, domain text, bound boolean,
         mobile_count integer, login_kind text, stage text, state text, last_seen_at timestamptz, connected_instance text)`,
      [JSON.stringify(records)],
    );
  }
}

export type BackendName = 'pglite' | 'postgres';

/** Open a driver of the backend (PGlite on disk in a temp dir, like the default install). */
export async function openBackend(name: BackendName): Promise<{ driver: SqlDriver; stop(): Promise<void> }> {
  if (name === 'pglite') {
    const driver = await openPgliteDriver(mkdtempSync(path.join(os.tmpdir(), 'untether-bench-pglite-')));
    return { driver, stop: () => driver.close() };
  }
  const cluster: TestPostgres = await startTestPostgres();
  const driver = await openPgDriver(await cluster.createDatabase(), quietLogger, 20);
  return {
    driver,
    stop: async () => {
      await driver.close();
      await cluster.stop();
    },
  };
}

export async function storeOn(driver: SqlDriver): Promise<Store> {
  return createSqlStore(driver, { onlineGraceMs: 75_000 });
}

/** Start a server on 127.0.0.1 on a free port (clients may come from any 127.0.0.x source address). */
export async function startBenchServer(store: Store, overrides: Partial<ServerConfig> = {}): Promise<{ app: UntetherServer; url: string; wsUrl: string }> {
  const app = buildServer({ store, clock: systemClock, logger: quietLogger, config: { ...DEFAULT_CONFIG, instanceId: 'bench', ...overrides } });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  return { app, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/api/v1/agent` };
}

/** A ws server that only parses each frame's JSON and acks it: the floor any real gateway is compared with. */
export async function startBareServer(): Promise<{ wsUrl: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 256 * 1024 });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; event?: { id: string } };
      if (message.type === 'hello') socket.send('{"type":"welcome"}');
      else if (message.event !== undefined) socket.send(JSON.stringify({ type: 'ack', ids: [message.event.id] }));
    });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as AddressInfo).port;
  return { wsUrl: `ws://127.0.0.1:${port}/`, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

/** Fork the load generator. */
export function forkLoad(): ChildProcess {
  return fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-agents.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * Run a bundled bench script (`<name>.js` beside this one) in its own Node process whose open-files limit is raised
 * first, the way server/bin/untether-server raises the server's: the hard limit to `nofile` where this process may,
 * the soft limit to the hard one. The child keeps an IPC channel (it is `node` after exec).
 */
export function spawnWithLimit(name: string, nofile: number, stdio: Array<'ignore' | 'inherit' | 'pipe' | 'ipc'>, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), `${name}.js`);
  return spawn('/bin/sh', ['-c', RAISE_LIMIT_THEN_EXEC, 'sh', String(nofile), process.execPath, script], { stdio, env });
}

/** Fixed shell text (arguments come as $1..$3, never interpolated): raise the limits like the launcher, then become Node. */
const RAISE_LIMIT_THEN_EXEC = 'hard="$(ulimit -Hn)"; if [ "$hard" != unlimited ] && [ "$hard" -lt "$1" ]; then ulimit -Hn "$1" 2>/dev/null || true; fi; ulimit -Sn "$(ulimit -Hn)"; exec "$2" "$3"';

/** Fork a load generator with a raised open-files limit (each holds one descriptor per client socket). */
export function spawnLoad(nofile: number): ChildProcess {
  return spawnWithLimit('load-agents', nofile, ['ignore', 'inherit', 'inherit', 'ipc']);
}

/** Send a job and wait for the report matching `until`. */
export function runLoad<T extends LoadReport['type']>(child: ChildProcess, job: LoadJob, until: T, onProgress?: (report: LoadReport) => void): Promise<Extract<LoadReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (report: LoadReport): void => {
      if (report.type === until) {
        child.off('message', onMessage);
        resolve(report as Extract<LoadReport, { type: T }>);
      } else onProgress?.(report);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send(job);
  });
}

/** Resident and heap memory after a full GC (run with --expose-gc). */
export function memory(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed + usage.external + usage.arrayBuffers };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Whether PostgreSQL can be benchmarked here. */
export { postgresAvailable } from '../../test/server/helpers/postgres.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(check: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready within ${ms / 1000} s`);
}

/** Stop a child with SIGTERM (the server's graceful shutdown), SIGKILL after 20 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A server started the documented way, through server/bin/untether-server (which raises the open-files limit). */
export interface LaunchedServer {
  child: ChildProcess;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * Start untether-server through its launcher on a free loopback port, on PGlite in `dataDir` or on PostgreSQL at
 * `databaseUrl`; resolves once /healthz answers. The first few server log lines are echoed.
 */
export async function startLauncher(options: {
  dataDir?: string;
  databaseUrl?: string;
  nofile: number;
  port?: number;
  /** Called with the process as soon as it is spawned, before it answers (to sample it while it starts). */
  onSpawn?: (child: ChildProcess) => void;
}): Promise<LaunchedServer> {
  const port = options.port ?? (await freePort());
  const launcher = path.join(process.cwd(), 'server/bin/untether-server');
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(launcher, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...inherited,
      ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
      UNTETHER_NODE: process.execPath,
      UNTETHER_NOFILE: String(options.nofile),
      UNTETHER_HOST: '127.0.0.1',
      UNTETHER_PORT: String(port),
      UNTETHER_DATA_DIR: options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'untether-bench-unused-')),
      UNTETHER_INSTANCE_ID: 'bench',
      UNTETHER_LOG_LEVEL: 'warn',
    },
  });
  options.onSpawn?.(child);
  let lines = 0;
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      if (lines++ < 5) process.stdout.write(`  server: ${line.slice(0, 300)}\n`);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 'untether-server');
  return { child, url, wsUrl: `ws://127.0.0.1:${port}/api/v1/agent`, stop: () => stopChild(child) };
}


export { cpuMsOf, descriptorsOf, openFilesLimitOf, rssOf } from './proc.js';
