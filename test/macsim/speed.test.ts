// How long a fake call takes, spawned the way the agent spawns tools. Reported, not asserted: timing on
// shared CI machines is too noisy to gate on.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { tempMac } from './support.js';

const ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };

function medianMs(file: string, args: string[], runs: number): number {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    const result = spawnSync(file, args, { env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    expect(result.status, result.stderr).toBe(0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

it('reports the median cost of a fake call', () => {
  const mac = tempMac({ scenario: 'fleet', mobileUsers: 200 });
  const dscl = mac.toolPath('dscl');
  const report = {
    'node -e 0': medianMs(process.execPath, ['-e', '0'], 7),
    'dscl . -read /Users/aduser001': medianMs(dscl, ['.', '-read', '/Users/aduser001'], 7),
    'dscl -plist . -readall /Users (200 mobile users)': medianMs(dscl, ['-plist', '.', '-readall', '/Users'], 7),
    'dscl . -create (write)': medianMs(dscl, ['.', '-create', '/Users/aduser001', 'JobTitle', 'x'], 7),
  };
  console.log(`fake call medians (ms): ${JSON.stringify(Object.fromEntries(Object.entries(report).map(([key, ms]) => [key, Math.round(ms)])))}`);
});
