// Fleet benchmarks on one server instance, for each backend (PGlite, then PostgreSQL when installed):
//  1. Fan-out: BENCH_AGENTS (default 20,000) simulated agents connected; an admin locks one person fleet-wide by
//     cloud identity through the API; how long until each agent has acknowledged the lock (p50/p99/max from the
//     API call, share within 10 s and 60 s), and the same for the unlock. The server's own count of applied
//     devices is read back through the lock's progress endpoint.
//  2. Reconnect storm: the server is stopped (graceful shutdown) and started again on the same storage and port;
//     the agents come back with the agent's own backoff and jitter. Prints the curve (agents back = welcomed, and
//     current = their flushed event acked) per second, and the server's peak memory and CPU.
// The server runs the documented way (server/bin/untether-server); agents are simulated by forked processes
// (scripts/bench/fleet-agents.ts), several thousand each. A process cannot hold more sockets than its open-files
// limit: when the limit here is lower than asked, the count is capped and the output says so.
// Knobs: BENCH_AGENTS, BENCH_BACKEND=pglite|postgres (default both), BENCH_PARTS=fanout,storm.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateToken, hashToken } from '../../server/src/auth/secrets.js';
import { openPgDriver } from '../../server/src/store/pg-driver.js';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { startTestPostgres, type TestPostgres } from '../../test/server/helpers/postgres.js';
import {
  benchDevices,
  cpuMsOf,
  descriptorsOf,
  mib,
  openFilesLimitOf,
  postgresAvailable,
  quietLogger,
  rssOf,
  seedDevices,
  sleep,
  spawnWithLimit,
  startLauncher,
  storeOn,
  waitFor,
  type BackendName,
  type BenchDevice,
  type LaunchedServer,
} from './common.js';
import type { AgentTimes, FleetJob, FleetReport } from './fleet-agents.js';

const REQUESTED = Number(process.env.BENCH_AGENTS ?? 20_000);
const PER_CLIENT = 7000;
const NOFILE = 65_536;
/** Descriptors kept free in the server for what it opens itself (database, logs, API calls of this benchmark). */
const MARGIN = 80;
const PERSON = { name: 'departed', identity: 'departed@example.com' };
const FAN_OUT_LIMIT_MS = 60_000;
const STORM_LIMIT_MS = 90_000;
/** Which parts to run (BENCH_PARTS=fanout,storm). */
const PARTS = (process.env.BENCH_PARTS ?? 'fanout,storm').split(',');

interface Fleet {
  server: LaunchedServer;
  clients: ChildProcess[];
  token: string;
  connected: number;
  /** Stop the server; resolves when its process has exited. */
  stopServer(): Promise<void>;
  /** Start it again on the same storage and port; `onSpawn` gets the process before it answers. */
  startServer(onSpawn?: (child: ChildProcess) => void): Promise<void>;
  close(): Promise<void>;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function ask<T extends FleetReport['type']>(child: ChildProcess, job: FleetJob, until: T): Promise<Extract<FleetReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FleetReport): void => {
      if (message.type !== until) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as Extract<FleetReport, { type: T }>);
    };
    const onExit = (code: number | null): void => reject(new Error(`fleet agents exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(job);
  });
}

async function agentTimes(fleet: Fleet): Promise<AgentTimes[]> {
  const reports = await Promise.all(fleet.clients.map((client) => ask(client, { mode: 'stats' }, 'stats')));
  return reports.flatMap((report) => report.agents);
}

async function api<T>(fleet: Fleet, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${fleet.server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${fleet.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Seed the devices and an API token into fresh storage, then start the server on it. */
async function openFleet(backend: BackendName, devices: BenchDevice[]): Promise<Fleet> {
  let cluster: TestPostgres | undefined;
  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  if (backend === 'postgres') {
    cluster = await startTestPostgres();
    databaseUrl = await cluster.createDatabase();
  } else {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'untether-bench-fleet-'));
  }
  const driver = databaseUrl === undefined ? await openPgliteDriver(dataDir!) : await openPgDriver(databaseUrl, quietLogger, 4);
  const store = await storeOn(driver);
  await seedDevices(driver, devices);
  const token = generateToken();
  await store.createApiToken({ id: crypto.randomUUID(), name: 'bench', tokenHash: hashToken(token), createdBy: 'bench', now: new Date(), scope: 'admin', expiresAt: null });
  await store.close();
  let server = await startLauncher({ dataDir, databaseUrl, nofile: NOFILE });
  const port = Number(new URL(server.url).port);
  const fleet: Fleet = {
    server,
    clients: [],
    token,
    connected: 0,
    stopServer: () => server.stop(),
    async startServer(onSpawn) {
      server = await startLauncher({ dataDir, databaseUrl, nofile: NOFILE, port, onSpawn });
      fleet.server = server;
    },
    async close() {
      await Promise.all(fleet.clients.map((client) => ask(client, { mode: 'close' }, 'closed').catch(() => undefined)));
      for (const client of fleet.clients) client.kill();
      await server.stop();
      await cluster?.stop();
    },
  };
  return fleet;
}

/** Connect as many agents as the server has room for; returns how many were asked. */
async function connectAgents(fleet: Fleet, devices: BenchDevice[]): Promise<{ asked: number; limit: number }> {
  const pid = fleet.server.child.pid ?? 0;
  const limit = openFilesLimitOf(pid);
  const asked = Math.min(devices.length, Math.max(0, limit - descriptorsOf(pid).all - MARGIN));
  const count = Math.max(1, Math.ceil(asked / PER_CLIENT));
  fleet.clients = Array.from({ length: count }, () => spawnWithLimit('fleet-agents', PER_CLIENT + 256, ['ignore', 'inherit', 'inherit', 'ipc']));
  const started = Date.now();
  const reports = await Promise.all(
    fleet.clients.map((client, index) => {
      const slice = devices.slice(index * PER_CLIENT, Math.min(asked, (index + 1) * PER_CLIENT));
      const fleetDevices = slice.map((device, offset) => ({ ...device, hostname: `mac-${String(index * PER_CLIENT + offset).padStart(6, '0')}` }));
      return ask(client, { mode: 'connect', url: fleet.server.wsUrl, devices: fleetDevices, concurrency: 100, user: PERSON }, 'connected');
    }),
  );
  fleet.connected = reports.reduce((sum, report) => sum + report.connected, 0);
  const failed = reports.reduce((sum, report) => sum + report.failed, 0);
  console.log(`  ${fleet.connected.toLocaleString()} agents connected in ${((Date.now() - started) / 1000).toFixed(1)} s (${failed} first attempts failed and retry with backoff)`);
  // Every agent online and its inventory stored: the state a lock is matched against.
  await waitFor(async () => (await api<{ online: number }>(fleet, 'GET', '/api/v1/overview')).online >= fleet.connected, 'agents online', 120_000);
  await sleep(3000);
  return { asked, limit };
}

/** Samples of the server process: resident memory and CPU share per interval. */
class ServerSampler {
  #timer: NodeJS.Timeout | undefined;
  #lastCpu = 0;
  #lastAt = 0;
  peakRss = 0;
  peakCpu = 0;
  #cpuStart = 0;
  #wallStart = 0;

  start(pid: number): void {
    this.stop();
    this.peakRss = 0;
    this.peakCpu = 0;
    this.#cpuStart = this.#lastCpu = cpuMsOf(pid);
    this.#wallStart = this.#lastAt = Date.now();
    this.#timer = setInterval(() => {
      try {
        const cpu = cpuMsOf(pid);
        const now = Date.now();
        this.peakRss = Math.max(this.peakRss, rssOf(pid));
        if (now - this.#lastAt >= 1000) {
          this.peakCpu = Math.max(this.peakCpu, (cpu - this.#lastCpu) / (now - this.#lastAt));
          this.#lastCpu = cpu;
          this.#lastAt = now;
        }
      } catch {
        // the process ended between samples
      }
    }, 200);
  }

  /** Mean CPU share since start (1.0 = one core busy). */
  mean(pid: number): number {
    return (cpuMsOf(pid) - this.#cpuStart) / Math.max(1, Date.now() - this.#wallStart);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

interface LockView {
  id: string;
  counts: Record<string, number>;
}

/** The server's own view of the lock: devices per state, as the dashboard shows them. */
async function serverCounts(fleet: Fleet, lockId: string, state: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { lock } = await api<{ lock: LockView }>(fleet, 'GET', `/api/v1/locks/${lockId}?limit=1`);
    if ((lock.counts[state] ?? 0) >= fleet.connected || Date.now() > deadline) {
      return Object.entries(lock.counts)
        .filter(([, count]) => count > 0)
        .map(([name, count]) => `${name} ${count.toLocaleString()}`)
        .join(', ');
    }
    await sleep(500);
  }
}

/** Wait until every connected agent answered a command of `type` sent after `since`; latencies from `since`. */
async function acknowledgements(fleet: Fleet, type: string, since: number): Promise<number[]> {
  const deadline = since + FAN_OUT_LIMIT_MS;
  for (;;) {
    const times = await agentTimes(fleet);
    const answered = times.filter((agent) => agent.commandType === type && agent.answeredAt >= since).map((agent) => agent.answeredAt - since);
    if (answered.length >= fleet.connected || Date.now() > deadline) return answered.sort((a, b) => a - b);
    await sleep(500);
  }
}

function describeLatencies(label: string, latencies: number[], total: number): void {
  const within = (ms: number) => latencies.filter((latency) => latency <= ms).length / Math.max(1, total);
  console.log(
    `  ${label.padEnd(8)} acknowledged by ${latencies.length.toLocaleString()} of ${total.toLocaleString()}: p50 ${(percentile(latencies, 0.5) / 1000).toFixed(2)} s, ` +
      `p99 ${(percentile(latencies, 0.99) / 1000).toFixed(2)} s, max ${(latencies.at(-1) ?? Number.NaN) / 1000} s; ` +
      `${(within(10_000) * 100).toFixed(1)} % within 10 s (goal 99 %), ${(within(60_000) * 100).toFixed(1)} % within 60 s (goal 100 %)`,
  );
}

async function fanOut(fleet: Fleet): Promise<void> {
  const sampler = new ServerSampler();
  const pid = fleet.server.child.pid ?? 0;
  sampler.start(pid);
  // What an admin does: review (how many Macs have the account), then confirm that count. The clock starts at the
  // confirmation, which is when the lock is created.
  const preview = await api<{ count: number }>(fleet, 'POST', '/api/v1/locks/preview', { identity: PERSON.identity });
  const lockedAt = Date.now();
  const created = await api<{ lock: LockView; devices: number }>(fleet, 'POST', '/api/v1/locks', {
    identity: PERSON.identity,
    reason: 'benchmark: fleet-wide offboarding',
    confirmCount: preview.count,
  });
  const apiMs = Date.now() - lockedAt;
  const locked = await acknowledgements(fleet, 'lock-account', lockedAt);
  console.log(`  lock API call answered in ${apiMs} ms, ${created.devices.toLocaleString()} devices matched at once`);
  describeLatencies('lock', locked, fleet.connected);
  console.log(`  the server's progress of the lock: ${await serverCounts(fleet, created.lock.id, 'applied')}`);
  await sleep(2000);
  const unlockedAt = Date.now();
  await api(fleet, 'POST', `/api/v1/locks/${created.lock.id}/unlock`, { reason: 'benchmark: back again' });
  const unlocked = await acknowledgements(fleet, 'unlock-account', unlockedAt);
  describeLatencies('unlock', unlocked, fleet.connected);
  console.log(`  the server's progress after the unlock: ${await serverCounts(fleet, created.lock.id, 'unlocked')}`);
  sampler.stop();
  console.log(`  server during the fan-out: peak RSS ${mib(sampler.peakRss)}, peak CPU ${(sampler.peakCpu * 100).toFixed(0)} % of a core, mean ${(sampler.mean(pid) * 100).toFixed(0)} %`);
}

async function reconnectStorm(fleet: Fleet): Promise<void> {
  const stoppingAt = Date.now();
  await fleet.stopServer();
  // Times count from the moment the old process is gone: the new one's start-up is part of the storm, and the
  // agents arrive while it starts (it answers its health check late under their load).
  const downAt = Date.now();
  const sampler = new ServerSampler();
  let pid = 0;
  let upAt = 0;
  const starting = fleet.startServer((child) => {
    pid = child.pid ?? 0;
    sampler.start(pid);
  });
  void starting.then(() => (upAt = Date.now()));
  console.log(`  graceful stop took ${((downAt - stoppingAt) / 1000).toFixed(1)} s; times below count from the stop, agents reconnect with the shipped backoff`);
  console.log('  seconds since stop      back   current');
  let lastLine = '';
  let back: number[] = [];
  let current: number[] = [];
  for (let second = 1; Date.now() - downAt < STORM_LIMIT_MS; second += 1) {
    await sleep(Math.max(0, downAt + second * 1000 - Date.now()));
    const times = await agentTimes(fleet);
    back = times.filter((agent) => agent.welcomedAt >= downAt).map((agent) => agent.welcomedAt - downAt);
    current = times.filter((agent) => agent.welcomedAt >= downAt && agent.currentAt >= agent.welcomedAt).map((agent) => agent.currentAt - downAt);
    const line = `${String(back.length).padStart(6)}   ${String(current.length).padStart(7)}`;
    if (second <= 5 || second % 5 === 0 || current.length >= fleet.connected) {
      if (line !== lastLine || current.length >= fleet.connected) console.log(`  ${String(second).padStart(22)}  ${line}`);
      lastLine = line;
    }
    if (current.length >= fleet.connected) break;
  }
  await starting;
  sampler.stop();
  console.log(`  the new server answered its health check ${((upAt - downAt) / 1000).toFixed(1)} s after the stop`);
  back.sort((a, b) => a - b);
  current.sort((a, b) => a - b);
  const at = (sorted: number[], share: number) => {
    const needed = Math.ceil(share * fleet.connected);
    return sorted.length >= needed ? `${(sorted[needed - 1]! / 1000).toFixed(1)} s` : 'not reached';
  };
  console.log(`  back:    50 % at ${at(back, 0.5)}, 99 % at ${at(back, 0.99)}, all at ${at(back, 1)}`);
  console.log(`  current: 50 % at ${at(current, 0.5)}, 99 % at ${at(current, 0.99)}, all at ${at(current, 1)} (goal: all within 60 s)`);
  console.log(`  server during the storm: peak RSS ${mib(sampler.peakRss)}, peak CPU ${(sampler.peakCpu * 100).toFixed(0)} % of a core, mean ${(sampler.mean(pid) * 100).toFixed(0)} %`);
}

async function runBackend(backend: BackendName): Promise<void> {
  const devices = benchDevices(REQUESTED);
  const fleet = await openFleet(backend, devices);
  try {
    console.log(`\n${backend}:`);
    const { asked, limit } = await connectAgents(fleet, devices);
    if (asked < REQUESTED) {
      console.log(`  capped: the server process may hold ${limit.toLocaleString()} open files here (hard limit), so ${asked.toLocaleString()} of ${REQUESTED.toLocaleString()} agents were asked`);
    }
    if (PARTS.includes('fanout')) {
      console.log(' fan-out:');
      await fanOut(fleet);
    }
    if (PARTS.includes('storm')) {
      console.log(' reconnect storm:');
      await reconnectStorm(fleet);
    }
  } finally {
    await fleet.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(path.join(process.cwd(), 'dist/server/src/main.js'))) throw new Error('dist/server/src/main.js is missing: run `npm run build` first');
  console.log(`Fleet fan-out and reconnect storm: ${REQUESTED.toLocaleString()} agents asked, ${os.cpus().length} CPUs, ${mib(os.totalmem())} RAM`);
  const only = process.env.BENCH_BACKEND as BackendName | undefined;
  if (only !== 'postgres') await runBackend('pglite');
  if (only === 'pglite') return;
  if (postgresAvailable()) await runBackend('postgres');
  else console.log('\n(PostgreSQL not installed: postgres backend skipped)');
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
