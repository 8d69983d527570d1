// Issue 11 item 8 end to end: the real agent daemon on a simulated Mac and the real server. Server commands that
// name a protected account or the Mac's last SecureToken holder, or a login window preset the profile does not
// allow, are refused by the Mac with a reason the server records; allowed ones still run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandAction } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { onlyDeviceOnline, startDaemon, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac } from '../helpers/sim.js';
import { startTestServer, type TestServer } from '../server/helpers/harness.js';
import { openTestStore } from '../server/helpers/stores.js';
import { poll } from '../helpers/poll.js';

type CommandRow = { id: string; status: string; result: { outcome: string; code?: string; message?: string } | null };

describe('local command policy with the real daemon and server', () => {
  let store: Store;
  let server: TestServer;
  // The fleet scenario: aduser001..005 are mobile (aduser001 logged in); localadmin is the only SecureToken holder.
  const mac = simulatedMac({ scenario: 'fleet' });
  let daemon: ReturnType<typeof startDaemon>;
  let deviceId: string;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store);
    writeManagedConfig(mac, {
      server: { url: server.url, enrollmentSecret: server.enrollSecret },
      inventory: { enabled: true },
      allowedCommands: { rescan: true, demobilize: true, restore: true, loginwindow: true, takeover: true },
      commandPolicy: { protectedAccounts: ['aduser003'], allowedLoginWindowPresets: ['apple'] },
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

  /** Send one command and wait for the Mac's result (the agent runs one at a time, so one after another). */
  async function run(action: CommandAction, timeoutMs = 60_000): Promise<CommandRow> {
    const created = await server.api('POST', '/api/v1/commands', { target: { deviceId }, action, confirmCount: 1 });
    expect(created.status).toBe(201);
    const id = created.body.commandIds[0] as string;
    return poll(async () => {
      const page = await server.api('GET', `/api/v1/commands?deviceId=${deviceId}`);
      const row = (page.body.commands as CommandRow[]).find((command) => command.id === id);
      return row?.result ? row : undefined;
    }, `the result of ${action.type}`, timeoutMs);
  }

  /** Whether the account on the simulated Mac still carries the cached-AD-user authority. */
  function isMobileOnMac(name: string): boolean {
    const record = mac.readUser(name);
    if (record === undefined) throw new Error(`no account ${name} on the simulated Mac`);
    return (record.authentication_authority ?? []).some((value) => typeof value === 'string' && value.startsWith(';LocalCachedUser;'));
  }

  it('refuses to demobilize or link a protected account', async () => {
    expect((await run({ type: 'demobilize', params: { scope: 'user', user: 'aduser003' } })).result).toMatchObject({ outcome: 'rejected', code: 'E_ACCOUNT_PROTECTED' });
    const takeover = await run({ type: 'takeover', params: { mappings: [{ localUser: 'ADUSER003', identity: 'someone@example.com' }] } });
    expect(takeover.result).toMatchObject({ outcome: 'rejected', code: 'E_ACCOUNT_PROTECTED' });
  }, 120_000);

  it('refuses any command naming the last SecureToken holder, with that reason', async () => {
    const row = await run({ type: 'restore', params: { scope: 'user', user: 'localadmin' } });
    expect(row.result).toMatchObject({ outcome: 'rejected', code: 'E_ACCOUNT_PROTECTED', message: expect.stringContaining('last SecureToken') });
    const takeover = await run({ type: 'takeover', params: { mappings: [{ localUser: 'localadmin', identity: 'it@example.com' }] } });
    expect(takeover.result).toMatchObject({ outcome: 'rejected', code: 'E_ACCOUNT_PROTECTED' });
  }, 120_000);

  it('refuses a login window preset the profile does not allow and applies an allowed one', async () => {
    const chainBefore = mac.loginMechanisms();
    expect((await run({ type: 'loginwindow', params: { preset: 'demobilize' } })).result).toMatchObject({ outcome: 'rejected', code: 'E_PRESET_NOT_ALLOWED' });
    expect(mac.loginMechanisms()).toEqual(chainBefore);
    expect((await run({ type: 'loginwindow', params: { preset: 'apple' } })).result).toMatchObject({ outcome: 'succeeded' });
  }, 120_000);

  it('converts other accounts on "demobilize all" and leaves the protected one as it was', async () => {
    // Several conversions, each verified, with opendirectoryd restarted: slow on a loaded machine.
    const row = await run({ type: 'demobilize', params: { scope: 'all' } }, 240_000);
    expect(row.result?.outcome, row.result?.message).toBe('succeeded');
    expect(row.result?.message).toMatch(/aduser002: committed/);
    expect(row.result?.message).not.toMatch(/aduser003: committed/);
    expect(isMobileOnMac('aduser002')).toBe(false);
    expect(isMobileOnMac('aduser003')).toBe(true);
  }, 300_000);
});
