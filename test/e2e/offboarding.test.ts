// Issue 12 end to end through the fleet-wide lock API: real agent daemons on three simulated Macs and the real server.
// An admin locks a person by cloud identity; the Mac that allows locks applies it (the Mac itself then refuses the
// login), the Mac whose configuration does not allow locks refuses and the lock's progress says why, the Mac that
// was offline gets the lock when its agent comes back. The unlock reaches both locked Macs and gives back the exact
// account record.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXmlPlist } from '../../agent/src/system/plist.js';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { createSqlStore } from '../../server/src/store/sql-store.js';
import type { Store } from '../../server/src/store/store.js';
import type { SimulatedMac } from '../macsim/src/index.js';
import { LoginRefusedError } from '../macsim/src/harness.js';
import { startDaemon, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac } from '../helpers/sim.js';
import { startTestServer, type TestServer } from '../server/helpers/harness.js';
import { poll } from '../helpers/poll.js';

const IDENTITY = 'alex.rivera@example.com';

type DeviceRow = { id: string; hostname: string; online: boolean };
type LockDevice = { hostname: string; state: string; code: string | null; message: string | null };

/** A local-only Mac with its own hardware identity and hostname, alex linked to the person, alex logged out. */
function macOf(name: string, serial: string, uuid: string, allowLocks: boolean, server: TestServer): SimulatedMac {
  const mac = simulatedMac({ scenario: 'local-only' });
  mac.updateState((state) => {
    state.hardware = { ...state.hardware, platformUuid: uuid, serialNumber: serial };
  });
  const names = mac.path('/Library/Preferences/SystemConfiguration/preferences.plist');
  mkdirSync(path.dirname(names), { recursive: true });
  writeFileSync(names, buildXmlPlist({ System: { System: { ComputerName: name } } }));
  mac.writeUser({ ...mac.readUser('alex')!, 'io.untether.cloud.username': [IDENTITY] });
  mac.logout();
  writeManagedConfig(mac, {
    server: { url: server.url, enrollmentSecret: server.enrollSecret },
    inventory: { enabled: true },
    allowedCommands: { rescan: true, 'lock-account': allowLocks, 'unlock-account': allowLocks },
    commandPolicy: { protectedAccounts: ['localadmin'] },
    lock: { loggedInUser: 'leave' },
  });
  return mac;
}

describe('offboarding: a fleet-wide lock by cloud identity, with real daemons and server', () => {
  let store: Store;
  let server: TestServer;
  let allows: SimulatedMac;
  let refuses: SimulatedMac;
  let offline: SimulatedMac;
  const daemons: Array<ReturnType<typeof startDaemon>> = [];
  let lockId: string;
  let before: { allows: unknown; offline: unknown };

  async function devices(): Promise<DeviceRow[]> {
    return (await server.api('GET', '/api/v1/devices?limit=50')).body.devices as DeviceRow[];
  }

  async function lockDevices(): Promise<LockDevice[]> {
    const detail = await server.api('GET', `/api/v1/locks/${lockId}`);
    expect(detail.status).toBe(200);
    return detail.body.devices as LockDevice[];
  }

  /** Wait until the lock's progress shows these states by hostname. */
  async function progress(wanted: Record<string, string>): Promise<LockDevice[]> {
    return poll(async () => {
      const rows = await lockDevices();
      return Object.entries(wanted).every(([host, state]) => rows.some((row) => row.hostname === host && row.state === state)) ? rows : undefined;
    }, `lock progress ${JSON.stringify(wanted)}`, 90_000);
  }

  beforeAll(async () => {
    store = await createSqlStore(await openPgliteDriver(undefined), { onlineGraceMs: 90_000 });
    server = await startTestServer(store);
    allows = macOf('mac-allows', 'C02ALLOWS001', '11111111-2222-4333-8444-555555555501', true, server);
    refuses = macOf('mac-refuses', 'C02REFUSES01', '11111111-2222-4333-8444-555555555502', false, server);
    offline = macOf('mac-offline', 'C02OFFLINE01', '11111111-2222-4333-8444-555555555503', true, server);
    before = { allows: allows.readUser('alex'), offline: offline.readUser('alex') };
    for (const mac of [allows, refuses, offline]) daemons.push(startDaemon(mac));
    // All three enroll and report alex linked to the person; then the third goes offline.
    await poll(async () => {
      const rows = await devices();
      return rows.length === 3 && rows.every((row) => row.online) ? rows : undefined;
    }, 'three Macs online', 90_000);
    await poll(async () => ((await server.api('POST', '/api/v1/locks/preview', { identity: IDENTITY })).body.count === 3 ? true : undefined), 'three inventories naming the identity', 90_000);
    const third = daemons.pop()!;
    third.kill('SIGTERM');
    await third;
    await poll(async () => ((await devices()).find((row) => row.hostname === 'mac-offline')?.online === false ? true : undefined), 'the third Mac offline', 90_000);
  }, 180_000);

  afterAll(async () => {
    for (const daemon of daemons) daemon.kill('SIGTERM');
    await Promise.allSettled(daemons);
    await server?.close();
    await store?.close();
  });

  it('locks the person on every Mac that allows it, says why a Mac refused, and waits for the offline one', async () => {
    const preview = await server.api('POST', '/api/v1/locks/preview', { identity: IDENTITY });
    const created = await server.api('POST', '/api/v1/locks', { identity: IDENTITY, reason: 'left the company', confirmCount: preview.body.count });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    lockId = created.body.lock.id as string;
    const rows = await progress({ 'mac-allows': 'applied', 'mac-refuses': 'refused', 'mac-offline': 'pending-offline' });
    // The refusing Mac's reason is the agent's own: its configuration does not allow the command type.
    expect(rows.find((row) => row.hostname === 'mac-refuses')).toMatchObject({ code: 'E_COMMAND_NOT_ALLOWED', message: expect.stringContaining('lock-account') });
    // What the Mac says, not what the agent believes: alex can no longer log in there, and can on the refusing Mac.
    expect(() => allows.login('alex')).toThrow(LoginRefusedError);
    expect(() => refuses.login('alex')).not.toThrow();
    refuses.logout();
    // Audited: who, when, why.
    const audit = await server.api('GET', '/api/v1/audit?limit=20');
    expect(audit.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: expect.stringMatching(/lock/), detail: expect.objectContaining({ reason: 'left the company' }) })]));
  }, 120_000);

  it('delivers the lock to the Mac that was offline when its agent comes back', async () => {
    daemons.push(startDaemon(offline));
    await progress({ 'mac-offline': 'applied' });
    expect(() => offline.login('alex')).toThrow(LoginRefusedError);
  }, 120_000);

  it('unlocks every Mac the lock reached and gives back the exact account record', async () => {
    const unlocked = await server.api('POST', `/api/v1/locks/${lockId}/unlock`, { reason: 'rehired' });
    expect(unlocked.status, JSON.stringify(unlocked.body)).toBe(200);
    await progress({ 'mac-allows': 'unlocked', 'mac-offline': 'unlocked' });
    expect(allows.readUser('alex')).toEqual(before.allows);
    expect(offline.readUser('alex')).toEqual(before.offline);
    expect(() => allows.login('alex')).not.toThrow();
  }, 120_000);
});
