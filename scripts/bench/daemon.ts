// Benchmark: the idle daemon's resident memory and CPU over a minute on a simulated Mac (beside a bare Node
// process that does nothing, measured in the same run), and the time from a logout or a login to the daemon
// acting on it. The daemon measured is the shipped single-file bundle (lib/untether.mjs), built here by
// scripts/pkg/build-payload.ts, started with the runtime options the launchd job gives it (launchd/io.untether.agent.plist).
// Run: npm run build && node dist/scripts/bench/daemon.js [idleSeconds]
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from '../pkg/build-payload.js';
import { buildXmlPlist, parseXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { createSimulatedMac, type SimulatedMac } from '../../test/macsim/src/index.js';
import { cpuMsOf, rssOf } from './proc.js';

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

async function main(): Promise<void> {
  const idleSeconds = Number(process.argv[2] ?? 60);
  const parent = mkdtempSync(path.join(os.tmpdir(), 'untether-bench-'));
  // The notice runs as the logged-in user (sudo -u): like /tmp on a Mac, the folder above the system root must let
  // other users through, or the user's process cannot reach the simulated tools.
  chmodSync(parent, 0o755);
  const dir = path.join(parent, 'mac');
  const mac = createSimulatedMac({ dir, scenario: 'ad-bound' });
  const cli = path.join(path.dirname(dir), 'untether.mjs');
  await bundleAgent(repoRoot, cli, 'bench');
  const managed = mac.path('/Library/Managed Preferences/io.untether.agent.plist');
  mkdirSync(path.dirname(managed), { recursive: true });
  writeFileSync(managed, buildXmlPlist({ inventory: { enabled: true }, demobilize: { enabled: true, when: 'login', allUsers: true } } as PlistValue));
  const runtimeOptions = runtimeOptionsOfLaunchdJob();
  const daemon = execa(process.execPath, [...runtimeOptions, cli, 'daemon'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
  const bare = execa(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { reject: false });
  try {
    await until(() => (state(mac)?.waitingFor === 'login-window' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let start-up garbage settle
    const daemonCpu0 = cpuSeconds(daemon.pid!);
    const bareCpu0 = cpuSeconds(bare.pid!);
    const calls0 = mac.calls().length;
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const daemonCpu = cpuSeconds(daemon.pid!) - daemonCpu0;
    const bareCpu = cpuSeconds(bare.pid!) - bareCpu0;
    const daemonRss = rssKiB(daemon.pid!);
    const bareRss = rssKiB(bare.pid!);
    const idleCalls = mac.calls().length - calls0;

    mac.clearCalls();
    const logoutAt = Date.now();
    mac.logout();
    await until(() => (mac.calls().length > 0 ? true : undefined));
    const firstToolCall = Date.now() - logoutAt;
    await until(() => (mac.writeCalls().length > 0 ? true : undefined));
    const firstWrite = Date.now() - logoutAt;
    await until(() => (state(mac)?.stage === 'done' ? true : undefined));

    const loginAt = Date.now();
    mac.login('zobrien');
    const seen = await until(() => (mac.notices().some((notice) => notice.user === 'zobrien') ? true : undefined), 30_000).catch(() => false);
    const notice = seen ? `${Date.now() - loginAt} ms` : 'not seen within 30 s';

    process.stdout.write(
      [
        `Idle daemon over ${idleSeconds} s (waiting for a logout; runtime options as shipped: ${runtimeOptions.join(' ') || 'none'}), beside a bare Node process that does nothing:`,
        '',
        '| process | resident memory | CPU time over the interval | CPU share | tool calls while idle |',
        '|---|---|---|---|---|',
        `| untether daemon | ${(daemonRss / 1024).toFixed(1)} MiB | ${daemonCpu.toFixed(2)} s | ${((100 * daemonCpu) / idleSeconds).toFixed(2)} % | ${idleCalls} |`,
        `| bare node (baseline) | ${(bareRss / 1024).toFixed(1)} MiB | ${bareCpu.toFixed(2)} s | ${((100 * bareCpu) / idleSeconds).toFixed(2)} % | - |`,
        `| ratio | ${(daemonRss / bareRss).toFixed(2)}× | | | |`,
        '',
        `From a logout to the daemon's first tool call: ${firstToolCall} ms; to its first write (the conversion): ${firstWrite} ms.`,
        `From a login to the converted user's notice on screen: ${notice}.`,
        '',
      ].join('\n'),
    );
  } finally {
    daemon.kill('SIGTERM');
    bare.kill('SIGTERM');
    await Promise.allSettled([daemon, bare]);
    if (process.env.BENCH_KEEP === undefined) rmSync(path.dirname(dir), { recursive: true, force: true });
    else process.stdout.write(`kept ${dir}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
