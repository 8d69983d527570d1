// How many idle agent connections one instance holds here, and the memory each costs.
// BENCH_CONNECTIONS (default 15000) connections say hello and stay idle; the server's memory is measured after a
// GC before, with, and after them. The per-process file-descriptor limit of this machine bounds the count.
import os from 'node:os';
import { benchDevices, forkLoad, memory, mib, openBackend, runLoad, seedDevices, startBenchServer, storeOn } from './common.js';

const target = Number(process.env.BENCH_CONNECTIONS ?? 15_000);

async function main(): Promise<void> {
  const backend = await openBackend('pglite');
  const devices = benchDevices(target);
  const store = await storeOn(backend.driver);
  await seedDevices(backend.driver, devices);
  const server = await startBenchServer(store, { pingIntervalMs: 30_000 });
  const child = forkLoad();
  // Warm up (JIT, DB caches, WASM memory growth) with a small round, so the measurement isolates sockets.
  await runLoad(child, { mode: 'idle', url: server.wsUrl, devices: devices.slice(0, 500), concurrency: 100 }, 'idle-ready');
  await runLoad(child, { mode: 'close' }, 'closed');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const warm = memory();
  const ready = await runLoad(
    child,
    { mode: 'idle', url: server.wsUrl, devices, concurrency: 100 },
    'idle-ready',
    (report) => report.type === 'progress' && process.stdout.write(`  connected ${report.connected} (failed ${report.failed})\n`),
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const held = server.app.gateway.readyDeviceIds().length;
  const connected = memory();
  await runLoad(child, { mode: 'close' }, 'closed');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const released = memory();
  // RSS rarely shrinks after frees, so the RSS cost is taken from the warm baseline up; the heap cost from the
  // drop when the sockets closed. The larger of the two is used for the estimate.
  const perRss = (connected.rss - warm.rss) / Math.max(1, held);
  const perHeap = (connected.heap - released.heap) / Math.max(1, held);
  console.log(`\nIdle connections (embedded store, one instance, ${os.cpus().length} CPUs, ${mib(os.totalmem())} RAM)`);
  console.log(`  requested ${target}, held ${held}, failed ${ready.failed}, opened in ${(ready.ms / 1000).toFixed(1)} s (hello + welcome + DB update each)`);
  console.log(`  server RSS before ${mib(warm.rss)}, with them ${mib(connected.rss)}: ${(perRss / 1024).toFixed(1)} KiB per connection`);
  console.log(`  JS heap+external with them ${mib(connected.heap)}, after ${mib(released.heap)}: ${(perHeap / 1024).toFixed(1)} KiB per connection`);
  const perConnection = Math.max(perRss, perHeap);
  if (perConnection > 0) console.log(`  memory-bound estimate: ${Math.floor((os.totalmem() * 0.5) / perConnection).toLocaleString()} connections in half this machine's RAM (kernel socket buffers not counted)`);
  console.log('  (the count measured is capped by the per-process file-descriptor limit, `ulimit -n`; raise it to go further)');
  child.kill();
  await server.app.close();
  await store.close();
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
