// Dashboard API latency with 50,000 devices (BENCH_DEVICES) and 4 events each, for each backend: p50/p95/p99
// of the calls the dashboard makes, measured over loopback HTTP with an API token. The dashboard pages devices by
// cursor ("page 500 (Next)": the page after page 499's `next`); "page 500 (offset)" is what a script that pages by
// offset gets, shown for comparison.
import { randomUUID } from 'node:crypto';
import { generateToken, hashToken } from '../../server/src/auth/secrets.js';
import { benchDevices, openBackend, postgresAvailable, seedDevices, startBenchServer, storeOn, type BackendName } from './common.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const STAGES = ['scan', 'demobilize', 'unbind', 'loginwindow', 'link', 'done'];
const STATES = ['in_progress', 'waiting', 'failed', 'done'];
const DOMAINS = ['emea.corp.example.com', 'us.corp.example.com', 'apac.corp.example.com'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function runBackend(name: BackendName): Promise<void> {
  const backend = await openBackend(name);
  const devices = benchDevices(DEVICES);
  const now = Date.now();
  const seedStart = Date.now();
  const store = await storeOn(backend.driver);
  await seedDevices(backend.driver, devices, (index) => ({
    domain: DOMAINS[index % DOMAINS.length],
    bound: index % 5 !== 0,
    mobile_count: index % 3,
    login_kind: index % 7 === 0 ? 'idp' : 'stock',
    stage: STAGES[index % STAGES.length],
    state: STATES[index % STATES.length],
    last_seen_at: new Date(now - (index % 10) * 20_000).toISOString(),
    // A quarter offline; a quarter on this instance, which its start marks offline as after a restart (rows rewritten,
    // as agents' reconnects and last-seen updates do); half on another instance of the fleet, online throughout.
    connected_instance: index % 4 === 0 ? null : index % 4 === 1 ? 'bench' : 'peer',
  }));
  await backend.driver.query(
    `insert into events (event_id, device_id, seq, time, received_at, kind, stage)
     select gen_random_uuid(), d.id, s.n, now() - (s.n || ' hours')::interval, now(), 'step.succeeded', d.stage
     from devices d cross join generate_series(1, 4) as s(n)`,
  );
  await backend.driver.query(
    `insert into device_milestones (device_id, milestone, at)
     select id, 'enrolled', now() - ((abs(hashtext(id::text)) % 30) || ' days')::interval from devices`,
  );
  await backend.driver.query(`insert into device_milestones (device_id, milestone, at)
     select id, 'demobilized', now() - ((abs(hashtext(id::text)) % 20) || ' days')::interval from devices where mobile_count = 0`);
  // The steady state after a bulk load: what autovacuum does on PostgreSQL, and the PGlite driver's own periodic
  // vacuum (statistics, visibility map for index-only scans, trigram pending lists merged).
  for (const table of ['devices', 'events', 'device_milestones']) await backend.driver.exec(`vacuum (analyze) ${table}`);
  const seedSeconds = ((Date.now() - seedStart) / 1000).toFixed(1);
  const server = await startBenchServer(store);
  const token = generateToken();
  await store.createApiToken({ id: randomUUID(), name: 'bench', tokenHash: hashToken(token), createdBy: 'bench', now: new Date(), scope: 'commands', expiresAt: null });
  const someDevice = devices[Math.floor(DEVICES / 2)]!.id;
  // The dashboard reaches page 500 by Next, each page by the cursor the one before handed out: walk there the same way.
  const get = async (path: string): Promise<{ next: string | null }> => {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as { next: string | null };
  };
  let page500 = await get('/api/v1/devices?limit=50');
  for (let page = 2; page < 500; page += 1) page500 = await get(`/api/v1/devices?limit=50&after=${page500.next ?? ''}`);
  const calls: Array<[string, string]> = [
    ['overview', '/api/v1/overview'],
    ['progress (60 days)', '/api/v1/progress?days=60'],
    ['devices, first page', '/api/v1/devices?limit=50'],
    ['devices, page 500 (Next)', `/api/v1/devices?limit=50&after=${page500.next ?? ''}`],
    ['devices, page 500 (offset)', '/api/v1/devices?limit=50&offset=25000'],
    ['devices, stage+domain', '/api/v1/devices?stage=demobilize&domain=emea.corp.example.com&limit=50'],
    ['devices, online', '/api/v1/devices?online=true&limit=50'],
    ['devices, search', '/api/v1/devices?q=mac-0421&limit=50'],
    ['device detail', `/api/v1/devices/${someDevice}`],
    ['events, latest 100', '/api/v1/events?limit=100'],
  ];
  console.log(`\n${name}: ${DEVICES.toLocaleString()} devices, ${(DEVICES * 4).toLocaleString()} events (seeded in ${seedSeconds} s), ${ROUNDS} rounds`);
  console.log('  call                       p50 ms   p95 ms   p99 ms');
  for (const [label, path] of calls) {
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS + 3; round += 1) {
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
      if (round >= 3) samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(26)} ${percentile(samples, 50).toFixed(1).padStart(6)}   ${percentile(samples, 95).toFixed(1).padStart(6)}   ${percentile(samples, 99).toFixed(1).padStart(6)}`);
  }
  const csvStart = performance.now();
  const csv = await fetch(`${server.url}/api/v1/devices.csv`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = (await csv.arrayBuffer()).byteLength;
  console.log(`  CSV export of all devices: ${((performance.now() - csvStart) / 1000).toFixed(2)} s, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  await server.app.close();
  await backend.stop();
}

async function main(): Promise<void> {
  await runBackend('pglite');
  if (postgresAvailable()) await runBackend('postgres');
  else console.log('\n(PostgreSQL not installed: postgres backend skipped)');
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
