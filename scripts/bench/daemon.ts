// Benchmark: the idle daemon's resident memory and CPU over a minute on a simulated Mac (beside a bare Node
// process that does nothing, measured in the same run), and the time from a logout or a login to the daemon
// acting on it. The daemon measured is the shipped single-file bundle (lib/untether.mjs), built here by
// scripts/pkg/build-payload.ts, started with the runtime options the launchd job gives it (launchd/io.untether.agent.plist).
// Run: npm run build && node dist/scripts/bench/daemon.js [idleSeconds]
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from '../pkg/build-payload.js';
import { buildXmlPlist, parseXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { createSimulatedMac, type SimulatedMac } from '../../test/macsim/src/index.js';
import { cpuMsOf, rssOf } from './proc.js';
import { openBackend, sleep, startBenchServer, storeOn, waitFor } from './common.js';
import { generateToken, hashToken } from '../../server/src/auth/secrets.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cpuSeconds = (pid: number): number => cpuMsOf(pid) / 1000;
const rssKiB = (pid: number): number => rssOf(pid) / 1024;

async function until<T>(read: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function state(mac: SimulatedMac): { stage: string; waitingFor: string | null } | undefined {
  try {
    return JSON.parse(readFileSync(mac.path('/Library/Application Support/Untether/daemon-state.json'), 'utf8')) as { stage: string; waitingFor: string | null };
  } catch {
    return undefined;
  }
}

/** The options launchd passes to the runtime before the bundle (e.g. --lite-mode), as the shipped job has them. */
function runtimeOptionsOfLaunchdJob(): string[] {
  const job = parseXmlPlist(readFileSync(path.join(repoRoot, 'launchd/io.untether.agent.plist'), 'utf8')) as { ProgramArguments?: string[] };
  const args = job.ProgramArguments ?? [];
  return args.slice(1).filter((arg) => arg.startsWith('--'));
}

/** A simulated Mac in `parent/name` with the daemon's managed configuration (plus `extra`). */
function prepareMac(parent: string, name: string, extra: Record<string, PlistValue> = {}): SimulatedMac {
  const mac = createSimulatedMac({ dir: path.join(parent, name), scenario: 'ad-bound' });
  const managed = mac.path('/Library/Managed Preferences/io.untether.agent.plist');
  mkdirSync(path.dirname(managed), { recursive: true });
  writeFileSync(managed, buildXmlPlist({ inventory: { enabled: true }, demobilize: { enabled: true, when: 'login', allUsers: true }, ...extra } as PlistValue));
  return mac;
}

/** A server the linked daemon enrolls with and stays connected to (PGlite, in this process). */
async function startServer(): Promise<{ url: string; enrollmentSecret: string; devices(): Promise<number>; stop(): Promise<void> }> {
  const backend = await openBackend('pglite');
  const store = await storeOn(backend.driver);
  const server = await startBenchServer(store);
  const enrollmentSecret = generateToken();
  await store.createEnrollmentSecret({ id: randomUUID(), name: 'bench', secretHash: hashToken(enrollmentSecret), now: new Date(), expiresAt: null, maxDevices: 10 });
  return {
    url: server.url,
    enrollmentSecret,
    devices: async () => (await backend.driver.query<{ n: number }>('select count(*)::int as n from devices'))[0]!.n,
    stop: async () => {
      await server.app.close();
      await backend.stop();
    },
  };
}

interface IdleFigures {
  rssKiB: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const idleSeconds = Number(process.argv[2] ?? 60);
  const parent = mkdtempSync(path.join(os.tmpdir(), 'untether-bench-'));
  // The notice runs as the logged-in user (sudo -u): like /tmp on a Mac, the folder above the system root must let
  // other users through, or the user's process cannot reach the simulated tools.
  chmodSync(parent, 0o755);
  const server = await startServer();
  const alone = prepareMac(parent, 'alone');
  const linked = prepareMac(parent, 'linked', { server: { url: server.url, enrollmentSecret: server.enrollmentSecret } });
  const cli = path.join(parent, 'untether.mjs');
  await bundleAgent(repoRoot, cli, 'bench');
  const runtimeOptions = runtimeOptionsOfLaunchdJob();
  const startDaemon = (mac: SimulatedMac) =>
    execa(process.execPath, [...runtimeOptions, cli, 'daemon'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
  const daemon = startDaemon(alone);
  const linkedDaemon = startDaemon(linked);
  const bare = execa(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { reject: false });
  const processes = { daemon: daemon.pid!, linked: linkedDaemon.pid!, bare: bare.pid! };
  try {
    await until(() => (state(alone)?.waitingFor === 'login-window' && state(linked)?.waitingFor === 'login-window' ? true : undefined));
    await waitFor(async () => (await server.devices()) > 0, 'the linked daemon (enrolled with the server)', 60_000);
    await sleep(2_000); // let start-up garbage settle
    const cpu0 = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
    const calls0 = alone.calls().length + linked.calls().length;
    await sleep(idleSeconds * 1000);
    const idle = Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [name, { rssKiB: rssKiB(pid), cpuSeconds: cpuSeconds(pid) - cpu0[name]! }]),
    ) as Record<keyof typeof processes, IdleFigures>;
    const idleCalls = alone.calls().length + linked.calls().length - calls0;

    alone.clearCalls();
    const logoutAt = Date.now();
    alone.logout();
    await until(() => (alone.calls().length > 0 ? true : undefined));
    const firstToolCall = Date.now() - logoutAt;
    await until(() => (alone.writeCalls().length > 0 ? true : undefined));
    const firstWrite = Date.now() - logoutAt;
    await until(() => (state(alone)?.stage === 'done' ? true : undefined));

    const loginAt = Date.now();
    alone.login('zobrien');
    const seen = await until(() => (alone.notices().some((notice) => notice.user === 'zobrien') ? true : undefined), 30_000).catch(() => false);
    const notice = seen ? `${Date.now() - loginAt} ms` : 'not seen within 30 s';

    const row = (label: string, figures: IdleFigures, ratio: string, calls: string) =>
      `| ${label} | ${(figures.rssKiB / 1024).toFixed(1)} MiB | ${ratio} | ${figures.cpuSeconds.toFixed(2)} s | ${((100 * figures.cpuSeconds) / idleSeconds).toFixed(2)} % | ${calls} |`;
    const ratio = (figures: IdleFigures) => `${(figures.rssKiB / idle.bare.rssKiB).toFixed(2)}×`;
    process.stdout.write(
      [
        `Idle daemons over ${idleSeconds} s (waiting for a logout; runtime options as shipped: ${runtimeOptions.join(' ') || 'none'}), beside a bare Node process that does nothing:`,
        '',
        '| process | resident memory | vs bare node | CPU time over the interval | CPU share | tool calls while idle |',
        '|---|---|---|---|---|---|',
        row('untether daemon, no server configured', idle.daemon, ratio(idle.daemon), String(idleCalls)),
        row('untether daemon, enrolled and connected to a server', idle.linked, ratio(idle.linked), '(both daemons)'),
        row('bare node (baseline)', idle.bare, '1.00×', '-'),
        '',
        `From a logout to the daemon's first tool call: ${firstToolCall} ms; to its first write (the conversion): ${firstWrite} ms.`,
        `From a login to the converted user's notice on screen: ${notice}.`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const child of [daemon, linkedDaemon, bare]) child.kill('SIGTERM');
    await Promise.allSettled([daemon, linkedDaemon, bare]);
    await server.stop();
    if (process.env.BENCH_KEEP === undefined) rmSync(parent, { recursive: true, force: true });
    else process.stdout.write(`kept ${parent}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
