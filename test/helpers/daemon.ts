// Starting `untether daemon` the way launchd does (a child process as root, no terminal) against a
// simulated Mac, with a configuration profile written where macOS puts managed preferences.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SimulatedMac } from '../macsim/src/index.js';
import { buildXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { UNTETHER_BIN } from './cli.js';
import { poll } from './poll.js';

/** Write the managed preferences plist (what a configuration profile installs) as XML. */
export function writeManagedConfig(mac: SimulatedMac, config: Record<string, unknown>): void {
  const file = mac.path('/Library/Managed Preferences/io.untether.agent.plist');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, buildXmlPlist(config as PlistValue));
}

/** Start the daemon; its output is collected for failure messages. */
export function startDaemon(mac: SimulatedMac): ResultPromise<{ reject: false; env: Record<string, string>; extendEnv: false }> {
  return execa(process.execPath, [UNTETHER_BIN, 'daemon'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
}

export interface DaemonStateFile {
  stage: string;
  waitingFor: string | null;
  views: Array<{ stage: string; status: string; reason: string }>;
  lastResult: Record<string, { outcome: string; message?: string }>;
  configProblems: string[];
}

/** The state the daemon last wrote, or undefined. */
export function daemonState(mac: SimulatedMac): DaemonStateFile | undefined {
  try {
    return JSON.parse(readFileSync(mac.path('/Library/Application Support/Untether/daemon-state.json'), 'utf8')) as DaemonStateFile;
  } catch {
    return undefined;
  }
}

/** Wait until the daemon's state satisfies `predicate` (the test polls; the daemon does not). */
export async function waitForState(mac: SimulatedMac, predicate: (state: DaemonStateFile) => boolean, timeoutMs = 90_000): Promise<DaemonStateFile> {
  const started = Date.now();
  for (;;) {
    const state = daemonState(mac);
    if (state && predicate(state)) return state;
    if (Date.now() - started > timeoutMs) throw new Error(`daemon state never matched; last: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The id of the one device on `server` once its daemon is connected (a test with one simulated Mac). */
export async function onlyDeviceOnline(server: { api(method: 'GET', path: string): Promise<{ body: { devices?: unknown[] } }> }): Promise<string> {
  return poll(async () => {
    const device = (await server.api('GET', '/api/v1/devices')).body.devices?.[0] as { id: string; online: boolean } | undefined;
    return device?.online ? device.id : undefined;
  }, 'the daemon to connect');
}
