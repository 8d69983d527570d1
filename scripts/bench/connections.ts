// How many idle agent connections one server instance holds, and the resident memory each costs, beside a bare
// `ws` server measured in the same run. The server is started exactly as documented, through
// server/bin/untether-server (which raises the open-files limit); the bare server gets the same limit the same way.
// BENCH_CONNECTIONS (default 20000) connections say hello and stay idle, opened by several load-generator
// processes (each with its own raised limit) from many 127.0.0.x source addresses. A process cannot hold more
// sockets than its open-files limit: when the limit here is lower than asked, the count is capped and says so.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { benchDevices, descriptorsOf, mib, openFilesLimitOf, rssOf, runLoad, seedDevices, sleep, spawnLoad, spawnWithLimit, startLauncher, stopChild, storeOn, type BenchDevice } from './common.js';

const REQUESTED = Number(process.env.BENCH_CONNECTIONS ?? 20_000);
/** Sockets per load-generator process. */
const PER_CLIENT = 7000;
/** The limit asked for, as the launcher's default. */
const NOFILE = 65_536;
/** Descriptors kept free in the measured process for what it opens on its own meanwhile (database files, logs). */
const MARGIN = 64;
const root = process.cwd();

interface Measured {
  limit: number;
  asked: number;
  connected: number;
  held: number;
  failed: number;
  perConnection: number;
  rssBefore: number;
  rssWith: number;
  seconds: number;
}

/** Connect as many of `devices` as the server process has room for, and measure what they cost it. */
async function measure(server: ChildProcess, wsUrl: string, devices: BenchDevice[]): Promise<Measured> {
  const pid = server.pid ?? 0;
  const limit = openFilesLimitOf(pid);
  const room = Math.max(0, limit - descriptorsOf(pid).all - MARGIN);
  const asked = Math.min(devices.length, room);
  const clients = Array.from({ length: Math.max(1, Math.ceil(asked / PER_CLIENT)) }, () => spawnLoad(PER_CLIENT + 256));
  try {
    // Warm up (JIT, database caches, WASM memory growth) with a small round, so the measurement isolates sockets.
    await runLoad(clients[0]!, { mode: 'idle', url: wsUrl, devices: devices.slice(0, 500), concurrency: 100 }, 'idle-ready');
    await runLoad(clients[0]!, { mode: 'close' }, 'closed');
    await sleep(3000);
    const rssBefore = rssOf(pid);
    const socketsBefore = descriptorsOf(pid).sockets;
    const started = Date.now();
    const reports = await Promise.all(
      clients.map((client, index) =>
        runLoad(client, { mode: 'idle', url: wsUrl, devices: devices.slice(index * PER_CLIENT, Math.min(asked, (index + 1) * PER_CLIENT)), concurrency: 100 }, 'idle-ready'),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    await sleep(3000);
    const rssWith = rssOf(pid);
    const held = descriptorsOf(pid).sockets - socketsBefore;
    const connected = reports.reduce((sum, report) => sum + report.connected, 0);
    const failed = reports.reduce((sum, report) => sum + report.failed, 0);
    await Promise.all(clients.map((client) => runLoad(client, { mode: 'close' }, 'closed')));
    return { limit, asked, connected, held, failed, perConnection: (rssWith - rssBefore) / Math.max(1, held), rssBefore, rssWith, seconds };
  } finally {
    for (const client of clients) client.kill();
  }
}

async function bare(devices: BenchDevice[]): Promise<Measured> {
  const child = spawnWithLimit('bare-server', NOFILE, ['ignore', 'pipe', 'inherit']);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(String(chunk));
        if (match !== null) resolve(Number(match[1]));
      });
    });
    return await measure(child, `ws://127.0.0.1:${port}/`, devices);
  } finally {
    await stopChild(child);
  }
}

async function untether(devices: BenchDevice[]): Promise<Measured> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'untether-bench-connections-'));
  const driver = await openPgliteDriver(dataDir);
  const store = await storeOn(driver);
  await seedDevices(driver, devices);
  await store.close();
  const server = await startLauncher({ dataDir, nofile: NOFILE });
  try {
    return await measure(server.child, server.wsUrl, devices);
  } finally {
    await server.stop();
  }
}

function line(label: string, result: Measured, baseline?: Measured): string {
  const kib = (result.perConnection / 1024).toFixed(1);
  const ratio = baseline === undefined ? '' : ` = ${(result.perConnection / Math.max(1, baseline.perConnection)).toFixed(2)}x bare`;
  return (
    `  ${label.padEnd(30)} held ${result.held.toLocaleString()} of ${result.asked.toLocaleString()} (welcomed ${result.connected.toLocaleString()}, failed ${result.failed}) ` +
    `in ${result.seconds.toFixed(1)} s; RSS ${mib(result.rssBefore)} -> ${mib(result.rssWith)}: ${kib} KiB (${(result.perConnection / 1000).toFixed(1)} KB) per connection${ratio}`
  );
}

async function main(): Promise<void> {
  if (!existsSync(path.join(root, 'dist/server/src/main.js'))) throw new Error('dist/server/src/main.js is missing: run `npm run build` first');
  const devices = benchDevices(REQUESTED);
  console.log(`Idle agent connections on one instance: ${REQUESTED.toLocaleString()} asked, ${os.cpus().length} CPUs, ${mib(os.totalmem())} RAM`);
  const baseline = await bare(devices);
  console.log(line('bare ws server (baseline):', baseline));
  const measured = await untether(devices);
  console.log(line('untether-server (PGlite):', measured, baseline));
  console.log(`  open-files limit of the server process: ${measured.limit.toLocaleString()} (launcher asked for ${NOFILE.toLocaleString()}; hard limit here ${hardLimit()})`);
  if (measured.asked < REQUESTED) {
    console.log(
      `  capped: a process here cannot hold more than its hard open-files limit of descriptors, so ${measured.asked.toLocaleString()} of ` +
        `${REQUESTED.toLocaleString()} were asked; raise the hard limit (systemd LimitNOFILE=, limits.conf) to go further`,
    );
  }
  const perConnection = Math.max(1, measured.perConnection);
  console.log(`  memory-bound estimate: ${Math.floor((os.totalmem() * 0.5) / perConnection).toLocaleString()} connections in half this machine's RAM (kernel socket buffers not counted)`);
}

function hardLimit(): string {
  const line = (process.report?.getReport() as { userLimits?: Record<string, { hard: number | string }> } | undefined)?.userLimits?.open_files?.hard;
  return line === undefined ? 'unknown' : String(line);
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
