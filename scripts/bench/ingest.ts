// Events per second ingested by the gateway with each backend, as a ratio against a bare ws server that only
// parses each frame's JSON and acks it, all measured in this run with the same load generator.
import { benchDevices, forkLoad, openBackend, postgresAvailable, runLoad, seedDevices, startBareServer, startBenchServer, storeOn, type BackendName } from './common.js';

const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 50);
const EVENTS_PER_CONNECTION = Number(process.env.BENCH_INGEST_EVENTS ?? 1000);
/** Unacked events each agent keeps in flight, like the agent's queue flush. */
const WINDOW = 200;

async function measure(url: string, devices: ReturnType<typeof benchDevices>, bare: boolean): Promise<number> {
  const child = forkLoad();
  try {
    const done = await runLoad(child, { mode: 'ingest', url, devices, eventsPerDevice: EVENTS_PER_CONNECTION, window: WINDOW, bare }, 'ingest-done');
    return done.events / (done.ms / 1000);
  } finally {
    child.kill();
  }
}

async function backendRate(name: BackendName): Promise<{ rate: number; stored: number }> {
  const backend = await openBackend(name);
  const devices = benchDevices(CONNECTIONS);
  const store = await storeOn(backend.driver);
  await seedDevices(backend.driver, devices);
  const server = await startBenchServer(store);
  const rate = await measure(server.wsUrl, devices, false);
  const stored = Number((await backend.driver.query<{ n: number }>('select count(*)::int as n from events'))[0]?.n ?? 0);
  await server.app.close();
  await backend.stop();
  return { rate, stored };
}

async function main(): Promise<void> {
  const total = CONNECTIONS * EVENTS_PER_CONNECTION;
  console.log(`Ingest: ${CONNECTIONS} agents x ${EVENTS_PER_CONNECTION} events, window ${WINDOW} unacked per agent`);
  const bare = await startBareServer();
  const baseline = await measure(bare.wsUrl, benchDevices(CONNECTIONS), true);
  await bare.close();
  console.log(`  bare ws (JSON.parse + ack):  ${Math.round(baseline).toLocaleString()} events/s`);
  const backends: BackendName[] = postgresAvailable() ? ['pglite', 'postgres'] : ['pglite'];
  for (const name of backends) {
    const { rate, stored } = await backendRate(name);
    console.log(`  gateway + ${name.padEnd(8)}:      ${Math.round(rate).toLocaleString()} events/s = ${(rate / baseline).toFixed(3)} x bare; stored ${stored}/${total}`);
  }
  if (!postgresAvailable()) console.log('  (PostgreSQL not installed: postgres backend skipped)');
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
