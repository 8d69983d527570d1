// Events per second ingested by the gateway with each backend, as a ratio against a bare ws server that only
// parses each frame's JSON and acks it, all measured in this run with the same load generator. The targets are
// measured in turn, round after round. Each round's ratio is taken against the bare round measured just before it,
// and the median of those ratios is reported: this machine's speed drifts by a third within a minute (other tenants),
// and a ratio of two rates measured seconds apart follows that drift far less than a ratio of two medians taken from
// different moments. Each target's median rate is printed too.
import { benchDevices, forkLoad, openBackend, postgresAvailable, runLoad, seedDevices, startBareServer, startBenchServer, storeOn, type BackendName } from './common.js';
import type { LoadReport } from './load-agents.js';
import { cpuMsOf, threadCpuMs, threadsCpuMs } from './proc.js';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 50);
const EVENTS_PER_CONNECTION = Number(process.env.BENCH_INGEST_EVENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 5);
/**
 * Rounds run first and not counted: the first round in a process pays one-time costs a running server has long paid
 * (V8 optimizing the gateway, and PGlite's WebAssembly tiering up on V8's helper threads, 2-3 µs per event each).
 */
const WARMUP_ROUNDS = Number(process.env.BENCH_INGEST_WARMUP ?? 1);
/** Unacked events each agent keeps in flight, like the agent's queue flush. */
const WINDOW = 200;

type Target = 'bare' | BackendName;
/** `loadCpuMs`: CPU time of the load generator's process (with its start-up), which shares the machine's cores. */
type Round = Extract<LoadReport, { type: 'ingest-done' }> & { rate: number; stored?: number; loadCpuMs: number };

async function measure(url: string, devices: ReturnType<typeof benchDevices>, bare: boolean): Promise<Round> {
  const child = forkLoad();
  try {
    const done = await runLoad(child, { mode: 'ingest', url, devices, eventsPerDevice: EVENTS_PER_CONNECTION, window: WINDOW, bare }, 'ingest-done');
    return { ...done, rate: done.events / (done.ms / 1000), loadCpuMs: cpuMsOf(child.pid!) };
  } finally {
    child.kill();
  }
}

async function bareRound(): Promise<Round> {
  const bare = await startBareServer();
  try {
    const round = await measure(bare.wsUrl, benchDevices(CONNECTIONS), true);
    if (process.env.BENCH_INGEST_VERBOSE !== undefined) console.log(`    bare: load generator ${(round.loadCpuMs * 1000 / round.events).toFixed(0)} us/event`);
    return round;
  } finally {
    await bare.close();
  }
}

/** One round against a fresh database of the backend (so every round inserts into an empty table). */
async function backendRound(name: BackendName): Promise<Round> {
  const backend = await openBackend(name);
  try {
    const devices = benchDevices(CONNECTIONS);
    const store = await storeOn(backend.driver);
    await seedDevices(backend.driver, devices);
    const server = await startBenchServer(store, process.env.BENCH_INGEST_BATCH === undefined ? {} : { ingestBatchSize: Number(process.env.BENCH_INGEST_BATCH) });
    const cpuBefore = process.cpuUsage();
    const mainBefore = threadCpuMs();
    const threadsBefore = threadsCpuMs();
    const profiler = await startProfile();
    const round = await measure(server.wsUrl, devices, false);
    await profiler?.stop(name);
    const cpu = process.cpuUsage(cpuBefore);
    const mainUs = (threadCpuMs() - mainBefore) * 1000;
    const threadsAfter = threadsCpuMs();
    const stats = server.app.gateway.ingest.stats;
    if (process.env.BENCH_INGEST_VERBOSE !== undefined) {
      // The main thread runs the gateway (and, for PGlite, hands SQL to its worker thread, counted in the rest).
      const perEvent = (us: number): string => (us / round.events).toFixed(0);
      console.log(
        `    ${name}: ${stats.batches} batches (${(stats.inserted / Math.max(1, stats.batches)).toFixed(0)} events each), server CPU ${perEvent(cpu.user + cpu.system)} us/event ` +
          `(main thread ${perEvent(mainUs)}, other threads ${perEvent(cpu.user + cpu.system - mainUs)}), load generator ${perEvent(round.loadCpuMs * 1000)} us/event`,
      );
      const busiest = [...threadsAfter]
        .map(([tid, { name, ms }]) => ({ tid, name, us: (ms - (threadsBefore.get(tid)?.ms ?? 0)) * 1000 }))
        .filter(({ us }) => us / round.events >= 0.5)
        .sort((a, b) => b.us - a.us);
      console.log(`      threads: ${busiest.map(({ tid, name, us }) => `${name}/${tid} ${perEvent(us)}`).join(', ')} us/event`);
    }
    const stored = Number((await backend.driver.query<{ n: number }>('select count(*)::int as n from events'))[0]?.n ?? 0);
    await server.app.close();
    return { ...round, stored };
  } finally {
    await backend.stop();
  }
}

/**
 * With BENCH_INGEST_PROFILE=<dir>, a CPU profile of this process's main thread (the server; PGlite runs in its own
 * worker thread, not in it) while the load runs, without the setup around it: open it in Chrome DevTools or any
 * .cpuprofile viewer.
 */
async function startProfile(): Promise<{ stop(label: string): Promise<void> } | undefined> {
  const dir = process.env.BENCH_INGEST_PROFILE;
  if (dir === undefined) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(label) {
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(dir, `ingest-${label}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`    CPU profile: ${file}`);
    },
  };
}

function median(rounds: readonly Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function latency(round: Round): string {
  return `ack latency p50 ${round.ackP50Ms.toFixed(0)} ms, p95 ${round.ackP95Ms.toFixed(0)} ms, p99 ${round.ackP99Ms.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const total = CONNECTIONS * EVENTS_PER_CONNECTION;
  const wanted = (process.env.BENCH_INGEST_TARGETS ?? 'bare,pglite,postgres').split(',') as Target[];
  const targets = wanted.filter((target) => target !== 'postgres' || postgresAvailable());
  console.log(
    `Ingest: ${CONNECTIONS} agents x ${EVENTS_PER_CONNECTION} events, window ${WINDOW} unacked per agent, median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up`,
  );
  const rounds = new Map<Target, Round[]>(targets.map((target) => [target, []]));
  for (let round = 1 - WARMUP_ROUNDS; round <= ROUNDS; round += 1) {
    for (const target of targets) {
      const result = target === 'bare' ? await bareRound() : await backendRound(target);
      if (round > 0) rounds.get(target)!.push(result);
      console.log(`  ${round > 0 ? `round ${round}` : 'warm-up'} ${target.padEnd(8)} ${Math.round(result.rate).toLocaleString()} events/s`);
    }
  }
  const bare = rounds.get('bare');
  const baseline = bare === undefined ? undefined : median(bare);
  if (baseline !== undefined) console.log(`  bare ws (JSON.parse + ack): ${Math.round(baseline.rate).toLocaleString()} events/s; ${latency(baseline)}`);
  for (const target of targets) {
    if (target === 'bare') continue;
    const measured = rounds.get(target)!;
    const result = median(measured);
    let ratio = '';
    if (bare !== undefined) {
      const paired = measured.map((round, index) => round.rate / bare[index]!.rate).sort((a, b) => a - b);
      ratio = ` = ${paired[Math.floor(paired.length / 2)]!.toFixed(2)} x bare (median of the rounds' ratios ${paired.map((value) => value.toFixed(2)).join(' ')})`;
    }
    console.log(`  gateway + ${target.padEnd(8)}: ${Math.round(result.rate).toLocaleString()} events/s${ratio}; ${latency(result)}; stored ${result.stored}/${total}`);
  }
  if (wanted.includes('postgres') && !postgresAvailable()) console.log('  (PostgreSQL not installed: postgres backend skipped)');
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
