// Speed check of the fake tools: median wall time per call, spawned the way the agent spawns them.
// Run after `npm run build`: node dist/test/macsim/src/bench.js [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSimulatedMac, fakeEntryPath } from './harness.js';

const ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function time(file: string, args: string[], runs: number, input = ''): number {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    const result = spawnSync(file, args, { env: ENV, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return median(samples);
}

const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(path.join(os.tmpdir(), 'macsim-bench-'));
try {
  const mac = createSimulatedMac({ dir: path.join(dir, 'mac'), scenario: 'fleet', mobileUsers: 200 });
  const dscl = mac.toolPath('dscl');
  const records = `${mac.userNames().length} records`;
  const rows: Array<[string, number]> = [
    ['bare node startup (node -e 0)', time(process.execPath, ['-e', '0'], runs)],
    ['sw_vers', time(mac.toolPath('sw_vers'), [], runs)],
    ['dscl . -read /Users/aduser001', time(dscl, ['.', '-read', '/Users/aduser001'], runs)],
    [`dscl . -list /Users UniqueID (${records})`, time(dscl, ['.', '-list', '/Users', 'UniqueID'], runs)],
    [`dscl -plist . -readall /Users (${records})`, time(dscl, ['-plist', '.', '-readall', '/Users'], runs)],
    ['dscl . -create /Users/aduser001 (write)', time(dscl, ['.', '-create', '/Users/aduser001', 'JobTitle', 'Engineer'], runs)],
    ['security authorizationdb read', time(mac.toolPath('security'), ['authorizationdb', 'read', 'system.login.console'], runs)],
  ];
  process.stdout.write(`fake entry: ${fakeEntryPath()}\nmedian of ${runs} runs per call:\n`);
  for (const [label, ms] of rows) process.stdout.write(`  ${label.padEnd(46)} ${ms.toFixed(1)} ms\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
