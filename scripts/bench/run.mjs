#!/usr/bin/env node
// Bundle one benchmark (and the agent load generator it forks) with esbuild, then run it:
//   node scripts/bench/run.mjs connections|ingest|api-latency
// Benchmarks print figures; they are not tests and are not run by `vitest`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const name = process.argv[2];
const known = ['connections', 'ingest', 'api-latency'];
if (!known.includes(name)) {
  process.stderr.write(`usage: node scripts/bench/run.mjs ${known.join('|')}\n`);
  process.exit(2);
}
const outdir = path.join(root, '.tmp/bench');
await build({
  entryPoints: [path.join(here, `${name}.ts`), path.join(here, 'load-agents.ts')],
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'error',
});
const result = spawnSync(process.execPath, ['--expose-gc', '--enable-source-maps', path.join(outdir, `${name}.js`)], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
