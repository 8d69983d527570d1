// `npm run demo`: the main job on a simulated Mac, with the real agent as a child process, the way an
// admin would run it on a real one. Prints each command and what it said.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulatedMac } from '../test/macsim/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'agent', 'src', 'cli', 'main.js');

async function untether(root: string, args: string[]): Promise<void> {
  process.stdout.write(`\n\u001b[1m$ sudo untether ${args.join(' ')}\u001b[0m\n`);
  const run = await execa(process.execPath, [cli, ...args], { env: { UNTETHER_SYSTEM_ROOT: root }, extendEnv: false, reject: false, stripFinalNewline: false });
  process.stdout.write(run.stdout);
  if (run.stderr) process.stdout.write(run.stderr);
  process.stdout.write(`(exit ${run.exitCode})\n`);
}

async function main(): Promise<void> {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-demo-')), 'mac');
  const mac = createSimulatedMac({ dir, scenario: 'ad-bound' });
  process.stdout.write(`A simulated AD-bound Mac is at ${mac.root}\n(point the agent at it with UNTETHER_SYSTEM_ROOT=${mac.root})\n`);
  await untether(mac.root, ['scan']);
  await untether(mac.root, ['demobilize', '--user', 'zobrien', '--dry-run']);
  await untether(mac.root, ['demobilize', '--all', '--yes']);
  process.stdout.write('\n(jdoe logs out)\n');
  mac.logout();
  await untether(mac.root, ['demobilize', '--all', '--yes']);
  await untether(mac.root, ['unbind', '--yes']);
  await untether(mac.root, ['scan']);
  await untether(mac.root, ['ea', 'migration-stage']);
  process.stdout.write(`\nEvery change above was journaled and snapshotted under ${path.join(mac.root, 'Library/Application Support/Untether')}.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
