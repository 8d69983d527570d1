// Compile the dashboard's browser code with the project's tsc into a temp dir, for browser tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The dashboard directories buildServer serves: the static files and freshly compiled scripts. */
export function buildDashboard(): { staticDir: string; scriptDir: string } {
  const scriptDir = mkdtempSync(path.join(os.tmpdir(), 'untether-dashboard-'));
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'server/dashboard/tsconfig.json'), '--outDir', scriptDir], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`compiling the dashboard: tsc exited ${result.status}: ${result.stdout}${result.stderr}`);
  return { staticDir: path.join(ROOT, 'server/dashboard/static'), scriptDir };
}

/** Where Debian's chromium is; the browser tests need it (apt-get install chromium). */
export const CHROMIUM_PATH = process.env.UNTETHER_CHROMIUM ?? '/usr/bin/chromium';

/** Launch arguments for headless Chromium in a container. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
