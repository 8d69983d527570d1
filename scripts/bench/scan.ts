// How many processes `untether scan` spawns, and how long it takes, on simulated Macs with 5 and 200
// users, beside a per-user scan (a dscl read and a sysadminctl call per account, as per-user scripts do).
// Run: npm run build && node dist/scripts/bench/scan.js
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulatedMac } from '../../test/macsim/src/index.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'src', 'cli', 'main.js');

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const users of [5, 200]) {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-bench-')), 'mac');
    const mac = createSimulatedMac({ dir, scenario: 'fleet', mobileUsers: users });
    try {
      mac.clearCalls();
      let started = performance.now();
      const run = await execa(process.execPath, [cli, 'scan', '--json'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false });
      const ours = (performance.now() - started) / 1000;
      const spawned = mac.calls().length;
      const people = (JSON.parse(run.stdout) as { users: Array<{ name: string; kind: string }> }).users.filter((user) => user.kind !== 'system');
      // Per-user baseline: list, then a read and a token query per account (run for real against the same Mac).
      started = performance.now();
      await mac.run('dscl', ['.', '-list', '/Users']);
      for (const user of people) {
        await mac.run('dscl', ['.', '-read', `/Users/${user.name}`]);
        await mac.run('sysadminctl', ['-secureTokenStatus', user.name]);
      }
      const theirs = (performance.now() - started) / 1000;
      rows.push(`| ${users} | ${spawned} | ${ours.toFixed(2)} s | ${1 + 2 * people.length} | ${theirs.toFixed(2)} s |`);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  }
  process.stdout.write(['| mobile users | untether scan: tool processes | wall time | per-user script: processes | wall time |', '|---|---|---|---|---|', ...rows, ''].join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
