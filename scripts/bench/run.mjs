#!/usr/bin/env node
// Run benchmarks. The fleet-server ones are bundled with esbuild (with the processes they start: the agent load
// generator, the bare ws baseline and the PGlite worker); the agent ones run from dist/ (`npm run build` first).
//   node scripts/bench/run.mjs connections|ingest|api-latency|fleet|scan|demobilize|daemon
//   node scripts/bench/run.mjs all        every one of them in turn, each printing its figures
// Benchmarks print figures and ratios against baselines measured in the same run; they are not tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bundled = ['connections', 'ingest', 'api-latency', 'fleet'];
const fromDist = ['scan', 'demobilize', 'daemon'];
const name = process.argv[2];
if (name !== 'all' && !bundled.includes(name) && !fromDist.includes(name)) {
  process.stderr.write(`usage: node scripts/bench/run.mjs ${[...bundled, ...fromDist, 'all'].join('|')}\n`);
  process.exit(2);
}
const outdir = path.join(root, '.tmp/bench');

async function runOne(benchmark) {
  if (fromDist.includes(benchmark)) {
    const script = path.join(root, 'dist/scripts/bench', `${benchmark}.js`);
    if (!existsSync(script)) {
      process.stderr.write(`${path.relative(root, script)} is missing: run \`npm run build\` first\n`);
      return 1;
    }
    return spawnSync(process.execPath, [script], { stdio: 'inherit', cwd: root }).status ?? 1;
  }
  await build({
    // The PGlite driver starts its worker from pglite-worker.js beside the code that opens the database: here, the
    // benchmark's bundle.
    entryPoints: [
      ...[benchmark, 'load-agents', 'fleet-agents', 'bare-server'].map((entry) => ({ in: path.join(here, `${entry}.ts`), out: entry })),
      { in: path.join(root, 'server/src/store/pglite-worker.ts'), out: 'pglite-worker' },
    ],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    logLevel: 'error',
  });
  return spawnSync(process.execPath, ['--expose-gc', '--enable-source-maps', path.join(outdir, `${benchmark}.js`)], { stdio: 'inherit', cwd: root }).status ?? 1;
}

if (name !== 'all') process.exit(await runOne(name));
const failed = [];
for (const benchmark of [...fromDist, ...bundled]) {
  process.stdout.write(`\n===== ${benchmark} =====\n`);
  const started = Date.now();
  const status = await runOne(benchmark);
  process.stdout.write(`(${benchmark}: ${((Date.now() - started) / 1000).toFixed(0)} s${status === 0 ? '' : `, exit ${status}`})\n`);
  if (status !== 0) failed.push(benchmark);
}
if (failed.length > 0) process.stderr.write(`\nbenchmarks that failed: ${failed.join(', ')}\n`);
process.exit(failed.length > 0 ? 1 : 0);
