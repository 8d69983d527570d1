// `npm run demo`: the fleet server on its embedded database, a handful of simulated Macs each running the
// real agent daemon against it, and users logging out one after another so the migration moves. Open the
// printed URL to watch it on the dashboard. Ctrl-C stops everything. `--exit-when-done` ends the demo once
// every Mac is done (the test suite runs it that way).
import { execa, type ResultPromise } from 'execa';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildXmlPlist, type PlistValue } from '../agent/src/system/plist.js';
import { createSimulatedMac, type CreateSimulatedMacOptions, type SimulatedMac } from '../test/macsim/src/index.js';
import { startDemoServer, type DemoServer } from './demo-server.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'agent', 'src', 'cli', 'main.js');
const exitWhenDone = process.argv.includes('--exit-when-done');
const DEMO_TIMEOUT_MS = 10 * 60_000;

const FLEET: ReadonlyArray<{ name: string; options: Omit<CreateSimulatedMacOptions, 'dir'> }> = [
  { name: 'mac-finance-01', options: { scenario: 'ad-bound' } },
  { name: 'mac-sales-02', options: { scenario: 'fleet', mobileUsers: 3 } },
  { name: 'mac-it-03', options: { scenario: 'ad-bound', os: '13.6.7' } },
  { name: 'mac-design-04', options: { scenario: 'ad-bound-fv-autologin' } },
  { name: 'mac-lab-05', options: { scenario: 'fleet', mobileUsers: 6 } },
];

/** The employee who leaves after the migration: a local account now on three of the Macs. */
const DEPARTED = 'mchen';

/** What an admin does in the dashboard's Account locks panel, through the same API, logged in as the admin. */
async function offboard(server: DemoServer, user: string): Promise<void> {
  const login = await fetch(`${server.url}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: server.adminUser, password: server.adminPassword }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const api = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  type LockDetail = { lock: { id: string }; devices: Array<{ hostname: string; state: string; code: string | null }> };
  const settled = async (lockId: string, done: string): Promise<LockDetail['devices']> => {
    for (let attempt = 0; attempt < 120; attempt += 1) {
      const detail = await api<LockDetail>('GET', `/api/v1/locks/${lockId}`);
      if (detail.devices.length > 0 && detail.devices.every((device) => device.state === done || device.state === 'refused' || device.state === 'failed')) return detail.devices;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`the ${done} state did not arrive from every Mac within a minute`);
  };
  const states = (devices: LockDetail['devices']) => devices.map((device) => `${device.hostname} ${device.state}${device.code ? ` (${device.code})` : ''}`).join(', ');

  const { count } = await api<{ count: number }>('POST', '/api/v1/locks/preview', { user });
  say(`${user} has left the company: the admin locks the account on every Mac that has it (${count}), from the Account locks panel`);
  const created = await api<{ lock: { id: string } }>('POST', '/api/v1/locks', { user, reason: 'left the company', confirmCount: count });
  say(`lock of ${user}: ${states(await settled(created.lock.id, 'applied'))}`);
  await api('POST', `/api/v1/locks/${created.lock.id}/unlock`, { reason: 'demo: rehired' });
  say(`unlock of ${user}: ${states(await settled(created.lock.id, 'unlocked'))}; the audit log (GET /api/v1/audit) has both, with who and why`);
}

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`);
}

function stageOf(mac: SimulatedMac): string {
  try {
    const state = JSON.parse(readFileSync(mac.path('/Library/Application Support/Untether/daemon-state.json'), 'utf8')) as { stage: string; waitingFor: string | null };
    return state.waitingFor ? `${state.stage} (waiting for ${state.waitingFor})` : state.stage;
  } catch {
    return 'starting';
  }
}

async function main(): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'untether-demo-'));
  const server = await startDemoServer({ port: Number(process.env.UNTETHER_DEMO_PORT ?? 0), dataDir: path.join(base, 'server'), quiet: true });
  say(`Fleet server (embedded database) at ${server.url}  — log in as ${server.adminUser} / ${server.adminPassword}`);

  const macs: Array<{ name: string; mac: SimulatedMac; daemon: ResultPromise }> = [];
  for (const { name, options } of FLEET) {
    const mac = createSimulatedMac({ ...options, dir: path.join(base, name) });
    mac.installJamfConnect();
    mac.updateState((state) => {
      state.hardware.platformUuid = randomUUID().toUpperCase();
      state.hardware.serialNumber = `DEMO${name.replace(/\W/g, '').toUpperCase().slice(-8)}`;
    });
    const names = mac.path('/Library/Preferences/SystemConfiguration/preferences.plist');
    mkdirSync(path.dirname(names), { recursive: true });
    writeFileSync(names, buildXmlPlist({ System: { System: { ComputerName: name, HostName: name } } }));
    const managed = mac.path('/Library/Managed Preferences/io.untether.agent.plist');
    mkdirSync(path.dirname(managed), { recursive: true });
    // What an admin's configuration profile would hold.
    const config = {
      server: { url: server.url, enrollmentSecret: server.enrollSecret },
      inventory: { enabled: true },
      demobilize: { enabled: true, when: 'login', allUsers: true },
      unbind: { enabled: true },
      loginWindow: { enabled: true, preset: 'jamf-connect' },
      allowedCommands: { rescan: true, demobilize: true, restore: true, unbind: true, loginwindow: true, 'lock-account': true, 'unlock-account': true },
      commandPolicy: { protectedAccounts: ['localadmin'] },
    };
    writeFileSync(managed, buildXmlPlist(config as PlistValue));
    const daemon = execa(process.execPath, [cli, 'daemon'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
    macs.push({ name, mac, daemon });
    say(`${name}: simulated ${options.scenario} Mac, macOS ${mac.readState().os.productVersion}, agent daemon started (pid ${daemon.pid})`);
  }
  say(`Open ${server.url} to watch. Someone is logged in on each Mac, so conversions wait for logouts.`);

  const stop = async (code: number) => {
    for (const { daemon } of macs) daemon.kill('SIGTERM');
    await Promise.allSettled(macs.map(({ daemon }) => daemon));
    await server.close();
    rmSync(base, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));

  const started = Date.now();
  let index = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const next = macs[index];
    if (next && next.mac.readState().console.user !== null) {
      say(`${next.name}: the user logs out`);
      next.mac.logout();
      index += 1;
    } else if (next) {
      index += 1;
    }
    const stages = macs.map(({ name, mac }) => `${name}: ${stageOf(mac)}`);
    say(stages.join(' | '));
    if (macs.every(({ mac }) => stageOf(mac) === 'done')) {
      say(`Every Mac is demobilized, unbound and on the Jamf Connect login window. The dashboard at ${server.url} shows the whole story.`);
      await offboard(server, DEPARTED);
      if (exitWhenDone) return stop(0);
      say('The demo keeps running so you can look around; Ctrl-C stops it.');
      await new Promise(() => undefined);
    }
    if (exitWhenDone && Date.now() - started > DEMO_TIMEOUT_MS) {
      say('demo: not every Mac finished in time');
      return stop(1);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
