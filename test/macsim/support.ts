// Shared by the simulated-Mac tests: throw-away Macs and captured fixtures.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { createSimulatedMac, type CreateSimulatedMacOptions, type SimulatedMac } from './src/index.js';

const parents: string[] = [];

afterAll(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

/**
 * A fresh simulated Mac in its own temporary directory, removed after the test file. The parent directory
 * is made world-traversable so fakes run as uid 65534 can reach the root.
 */
export function tempMac(options: Omit<CreateSimulatedMacOptions, 'dir'>): SimulatedMac {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'macsim-test-'));
  chmodSync(parent, 0o755);
  parents.push(parent);
  return createSimulatedMac({ dir: path.join(parent, 'root'), ...options });
}

/** A temporary directory removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'macsim-test-'));
  chmodSync(dir, 0o755);
  parents.push(dir);
  return dir;
}

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface Capture {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A captured tool run from test/fixtures/macos-<version>/<name>.{txt,stderr.txt,json}; absent parts are empty / exit 0. */
export function fixture(version: string, name: string): Capture {
  const base = path.join(FIXTURES, `macos-${version}`, name);
  const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  if (!existsSync(`${base}.txt`) && !existsSync(`${base}.stderr.txt`) && !existsSync(`${base}.json`)) {
    throw new Error(`fixture macos-${version}/${name} is missing`);
  }
  const meta = existsSync(`${base}.json`) ? (JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { exitCode?: number }) : {};
  return { stdout: read(`${base}.txt`), stderr: read(`${base}.stderr.txt`), exitCode: meta.exitCode ?? 0 };
}

/** Whether this test process may run fakes as another uid. */
export const isRoot = process.geteuid?.() === 0;

/** The uid/gid the agent runs as in permission tests. */
export const NOBODY = { uid: 65534, gid: 65534 };
