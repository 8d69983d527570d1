// Simulated Macs for tests: each in its own temporary directory, removed when the test file ends.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { createSimulatedMac, type CreateSimulatedMacOptions, type SimulatedMac } from '../macsim/src/index.js';
import { runUntether, type CliRun } from './cli.js';

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh simulated Mac of a scenario, readable by uid 65534 too (for not-root tests). */
export function simulatedMac(options: Omit<CreateSimulatedMacOptions, 'dir'>): SimulatedMac {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'untether-test-'));
  created.push(parent);
  // mkdtemp makes 0700; the not-root tests run the agent as uid 65534, which must reach the Mac's files.
  chmodSync(parent, 0o755);
  return createSimulatedMac({ ...options, dir: path.join(parent, 'mac') });
}

/** Run the built `untether` against a simulated Mac. */
export function untether(mac: SimulatedMac, args: readonly string[], options: { uid?: number; input?: string } = {}): Promise<CliRun> {
  return runUntether(args, { root: mac.root, ...options });
}
