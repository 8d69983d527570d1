// Issue 12 items 1 and 5 end to end: the real agent daemon on a simulated Mac and the real server, commands sent with
// the existing POST /api/v1/commands. A lock from the server lands on the Mac (what the Mac says, not what the agent
// believes), a command type the profile does not allow is refused, a replayed command id is not run again, an
// expired one is refused, and an identity resolving to a protected account is refused by name.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandAction } from '../../protocol/src/index.js';
import { openPgliteDriver } from '../../server/src/store/pglite-driver.js';
import { createSqlStore } from '../../server/src/store/sql-store.js';
import type { SqlDriver } from '../../server/src/store/driver.js';
import type { Store } from '../../server/src/store/store.js';
import { seededPassword } from '../macsim/src/index.js';
import { onlyDeviceOnline, startDaemon, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import { startTestServer, type TestServer } from '../server/helpers/harness.js';
import { poll } from '../helpers/poll.js';

type CommandRow = { id: string; status: string; result: { outcome: string; code?: string; message?: string } | null };

describe('lock-account and unlock-account with the real daemon and server', () => {
  let driver: SqlDriver;
  let store: Store;
  let server: TestServer;
  // local-only: localadmin (admin, SecureToken) and alex (SecureToken, at the console).
  const mac = simulatedMac({ scenario: 'local-only' });
  let daemon: ReturnType<typeof startDaemon>;
  let deviceId: string;
  /** The server's clock, moved back to issue a command that is already expired on the Mac. */
  let clockOffsetMs = 0;

  beforeAll(async () => {
    driver = await openPgliteDriver(undefined);
    store = await createSqlStore(driver, { onlineGraceMs: 90_000 });
    server = await startTestServer(store, {}, { clock: { now: () => new Date(Date.now() + clockOffsetMs) } });
    const admin = mac.readUser('localadmin')!;
    mac.writeUser({ ...admin, 'io.untether.cloud.username': ['it@example.com'] });
    writeManagedConfig(mac, {
      server: { url: server.url, enrollmentSecret: server.enrollSecret },
      inventory: { enabled: true },
      allowedCommands: { rescan: true, 'lock-account': true, 'unlock-account': false },
      commandPolicy: { protectedAccounts: ['localadmin'] },
      lock: { loggedInUser: 'logout', logoutGraceSeconds: 1 },
    });
    daemon = startDaemon(mac);
    deviceId = await onlyDeviceOnline(server);
  }, 120_000);
  afterAll(async () => {
    daemon?.kill('SIGTERM');
    await daemon;
    await server?.close();
    await store?.close();
  });

  async function send(action: CommandAction, validForSeconds?: number): Promise<string> {
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action, confirmCount: 1, ...(validForSeconds ? { validForSeconds } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.commandIds[0] as string;
  }

  async function result(id: string, timeoutMs = 60_000): Promise<CommandRow> {
    return poll(async () => {
      const page = await server.api('GET', `/api/v1/commands?deviceId=${deviceId}`);
      const row = (page.body.commands as CommandRow[]).find((command) => command.id === id);
      return row?.result ? row : undefined;
    }, `the result of ${id}`, timeoutMs);
  }

  const lockAction = (verb: 'lock-account' | 'unlock-account', account: { by: 'user'; user: string } | { by: 'identity'; identity: string }): CommandAction =>
    ({ type: verb, params: { account, lockId: randomUUID(), requestedBy: 'helpdesk@example.com', reason: 'offboarded' } }) as CommandAction;

  const isLockedOnMac = async () => (await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).exitCode !== 0;
  let lockCommandId: string;

  it('locks an account when the server asks, logs its user out after the notice, and untether status says who asked and why', async () => {
    expect(mac.readState().console).toMatchObject({ mode: 'user', user: 'alex' });
    lockCommandId = await send(lockAction('lock-account', { by: 'user', user: 'alex' }));
    const row = await result(lockCommandId);
    expect(row.result, JSON.stringify(row.result)).toMatchObject({ outcome: 'succeeded', message: expect.stringMatching(/^alex: locked and verified; the user's session was ended after the notice \(notice shown via osascript\)/) });
    expect(mac.readState().console.mode).toBe('loginwindow');
    expect(mac.notices()).toEqual([expect.objectContaining({ user: 'alex', text: expect.stringContaining('You will be logged out') })]);
    expect(mac.readUser('alex')?.authentication_authority).toContain(';DisabledUser;');
    expect(await isLockedOnMac()).toBe(true);
    // The next inventory tells the server: alex locked, localadmin linked to its identity.
    type InventoryUser = { name: string; locked?: boolean | null; linkedIdentity: string | null };
    const users = await poll(async () => {
      const device = (await server.api('GET', `/api/v1/devices/${deviceId}`)).body.device as { inventory?: { users: InventoryUser[] } | null };
      const list = device.inventory?.users;
      return list?.find((user) => user.name === 'alex')?.locked === true ? list : undefined;
    }, 'an inventory showing the lock');
    expect(users.find((user) => user.name === 'localadmin')).toMatchObject({ locked: false, linkedIdentity: 'it@example.com' });
    const status = await untether(mac, ['status']);
    expect(status.stdout).toMatch(/alex: locked by Untether at \S+, requested by helpdesk@example\.com \(server\), reason: "offboarded"/);
  }, 120_000);

  it('refuses unlock-account when the configuration does not allow it, and the account stays locked', async () => {
    const row = await result(await send(lockAction('unlock-account', { by: 'user', user: 'alex' })));
    expect(row.result).toMatchObject({ outcome: 'rejected', code: 'E_COMMAND_NOT_ALLOWED' });
    expect(await isLockedOnMac()).toBe(true);
  }, 120_000);

  it('refuses a lock by identity that resolves to a protected account', async () => {
    const before = JSON.stringify(mac.readUser('localadmin'));
    const row = await result(await send(lockAction('lock-account', { by: 'identity', identity: 'IT@example.com' })));
    expect(row.result).toMatchObject({ outcome: 'rejected', code: 'E_ACCOUNT_PROTECTED', message: expect.stringContaining('localadmin') });
    expect(JSON.stringify(mac.readUser('localadmin'))).toBe(before);
  }, 120_000);

  it('does not run a replayed command id again', async () => {
    // Unlocked by hand on the Mac; a replay of the old lock command must not lock the account again.
    expect((await untether(mac, ['unlock', '--user', 'alex', '--yes'])).exitCode).toBe(0);
    expect(await isLockedOnMac()).toBe(false);
    // The server sends the same command (same id) again, as its resend path does after a reconnect.
    await driver.query(`update commands set status = 'sent', result = null, finished_at = null where id = $1`, [lockCommandId]);
    await server.app.dispatcher.deliver([deviceId], true);
    const log = mac.path('/Library/Logs/Untether/agent.log');
    // The link drops a repeat (E_COMMAND_REPEATED) without a second result, so the first outcome stands on the server.
    await poll(() => (existsSync(log) && readFileSync(log, 'utf8').split('\n').some((line) => line.includes('command_repeat_ignored') && line.includes(lockCommandId)) ? true : undefined), 'the agent to see the replay');
    expect(await isLockedOnMac()).toBe(false);
    expect(mac.readUser('alex')?.authentication_authority).not.toContain(';DisabledUser;');
  }, 120_000);

  it('refuses an expired lock command without running it', async () => {
    clockOffsetMs = -3600_000;
    let id: string;
    try {
      id = await send(lockAction('lock-account', { by: 'user', user: 'alex' }), 60);
    } finally {
      clockOffsetMs = 0;
    }
    const row = await result(id);
    expect(row.result).toMatchObject({ outcome: 'rejected', code: 'E_COMMAND_EXPIRED' });
    expect(await isLockedOnMac()).toBe(false);
  }, 120_000);
});
