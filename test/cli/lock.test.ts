// `untether lock` / `unlock` as an admin runs them: the built CLI as a child process against a simulated Mac.
// The simulated Mac models the mechanism (a DisabledUser authority or com.apple.access_disabled makes dscl
// -authonly fail and logins refused), so "locked" and "unlocked" below are what the Mac says, not what the agent
// believes. local-only scenario: localadmin (admin, SecureToken) and alex (SecureToken, logged in at the console).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT, LoginRefusedError, seededPassword, type SimulatedMac } from '../macsim/src/index.js';
import { writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import { resolveAccount } from '../../agent/src/actions/lock.js';

const USER = 'alex';

/** The dslocal record exactly as stored (data as hex, value order kept: an unlock must not even reorder). */
function rawRecord(mac: SimulatedMac, user: string): Record<string, string[]> {
  const record = mac.readUser(user);
  if (!record) throw new Error(`no record ${user}`);
  return Object.fromEntries(Object.entries(record).map(([key, values]) => [key, values.map((value) => (typeof value === 'string' ? value : Buffer.from(value).toString('hex')))]));
}

/** Every group that lists the user, by name or GeneratedUID, with the way it lists them. */
function memberships(mac: SimulatedMac, user: string): string[] {
  const guid = String(mac.readUser(user)?.generateduid?.[0] ?? '').toUpperCase();
  const found: string[] = [];
  for (const file of readdirSync(path.join(mac.root, LAYOUT.groupsDir)).sort()) {
    const group = mac.readGroup(file.replace(/\.plist$/, ''));
    if (!group) continue;
    const name = String(group.name?.[0]);
    if ((group.users ?? []).map(String).includes(user)) found.push(`${name}:name`);
    if ((group.groupmembers ?? []).map((value) => String(value).toUpperCase()).includes(guid)) found.push(`${name}:guid`);
  }
  return found;
}

function whole(mac: SimulatedMac, user: string) {
  return { record: rawRecord(mac, user), groups: memberships(mac, user) };
}

async function authenticates(mac: SimulatedMac, user: string): Promise<{ exitCode: number | null; stderr: string }> {
  const result = await mac.run('dscl', ['.', '-authonly', user, seededPassword(user)]);
  return { exitCode: result.exitCode, stderr: result.stderr };
}

function loginRefused(mac: SimulatedMac, user: string): boolean {
  try {
    mac.openLogin(user, { host: '10.0.0.9' });
    mac.endSessions(user);
    return false;
  } catch (error) {
    if (error instanceof LoginRefusedError) return true;
    throw error;
  }
}

describe('untether lock and unlock', () => {
  it('locks with one value, blocks authentication and logins, and unlock gives the exact record back', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    mac.logout();
    const before = whole(mac, USER);
    expect(await authenticates(mac, USER)).toMatchObject({ exitCode: 0 });

    const lock = await untether(mac, ['lock', '--user', USER, '--reason', 'left the company', '--yes']);
    expect(lock.exitCode, lock.stderr).toBe(0);
    expect(lock.stdout).toMatch(/alex: locked and verified/);
    const locked = whole(mac, USER);
    // Exactly the snapshot plus one value: hash, ;SecureToken;, home and groups untouched.
    expect(locked).toEqual({ record: { ...before.record, authentication_authority: [...before.record.authentication_authority!, ';DisabledUser;'] }, groups: before.groups });
    expect(await authenticates(mac, USER)).toMatchObject({ exitCode: 87, stderr: expect.stringContaining('eDSAuthAccountDisabled') });
    expect(loginRefused(mac, USER)).toBe(true);
    expect(() => mac.login(USER)).toThrow(LoginRefusedError);
    expect((await mac.pwpolicy(['-u', USER, '-authentication-allowed'])).stdout).toMatch(/not allowed to authenticate/);
    expect(mac.readState().fileVault.cryptoUsers.some((user) => user.uuid === String(mac.readUser(USER)?.generateduid?.[0]))).toBe(true);

    const unlock = await untether(mac, ['unlock', '--user', USER, '--reason', 'rehired', '--yes']);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(unlock.stdout).toMatch(/exactly as before the lock/);
    expect(whole(mac, USER)).toEqual(before);
    expect(await authenticates(mac, USER)).toMatchObject({ exitCode: 0 });
    expect(loginRefused(mac, USER)).toBe(false);
  }, 60_000);

  it('changes nothing on a dry run, and shows the one operation', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const before = whole(mac, USER);
    mac.clearCalls();
    const run = await untether(mac, ['lock', '--user', USER, '--dry-run']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/add AuthenticationAuthority value\(s\) ";DisabledUser;"/);
    expect(run.stdout).toMatch(/Dry run: nothing was changed/);
    expect(mac.writeCalls()).toEqual([]);
    expect(whole(mac, USER)).toEqual(before);
    expect(mac.exists('/Library/Application Support/Untether/locks')).toBe(false);
  }, 30_000);

  it('finds the account by a short name typed in another case, as the login window does', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const run = await untether(mac, ['lock', '--user', 'ALEX', '--dry-run']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^alex\b/m);
    expect(mac.writeCalls()).toEqual([]);
  }, 30_000);

  it('refuses a name that matches several accounts only when case is ignored', () => {
    const record = (name: string, aliases: string[] = []) => ({ recordName: name, attributes: { 'dsAttrTypeStandard:RecordName': [name, ...aliases] } });
    const users = [record('jdoe'), record('jane', ['JDOE2']), record('JDoe2x'), record('other', ['jdoe2'])];
    expect(resolveAccount({ by: 'user', user: 'jdoe' }, users)).toMatchObject({ recordName: 'jdoe' });
    expect(resolveAccount({ by: 'user', user: 'JDOE' }, users)).toMatchObject({ recordName: 'jdoe' });
    expect(resolveAccount({ by: 'user', user: 'JDOE2' }, users)).toMatchObject({ recordName: 'jane' });
    expect(resolveAccount({ by: 'user', user: 'Jdoe2' }, users)).toMatchObject({ code: 'E_USER_AMBIGUOUS' });
    expect(resolveAccount({ by: 'user', user: 'nobody' }, users)).toMatchObject({ code: 'E_UNKNOWN_USER' });
  });

  it('refuses the last SecureToken holder, a protected account, a system account and the only admin', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const aliceGuid = String(mac.readUser(USER)?.generateduid?.[0]);
    // alex becomes the only SecureToken holder.
    mac.updateState((state) => {
      state.fileVault.cryptoUsers = state.fileVault.cryptoUsers.filter((user) => user.type !== 'Local Open Directory User' || user.uuid === aliceGuid);
    });
    const before = whole(mac, USER);
    mac.clearCalls();
    const token = await untether(mac, ['lock', '--user', USER, '--yes']);
    expect(token.exitCode).toBe(4);
    expect(token.stderr).toMatch(/refused \(E_ACCOUNT_PROTECTED\): "alex" holds the last SecureToken/);

    writeManagedConfig(mac, { commandPolicy: { protectedAccounts: ['Alex'] } });
    mac.updateState((state) => {
      state.fileVault.cryptoUsers.push({ uuid: String(mac.readUser('localadmin')?.generateduid?.[0]), type: 'Local Open Directory User', volumeOwner: true });
    });
    const protectedRun = await untether(mac, ['lock', '--user', USER, '--yes']);
    expect(protectedRun.exitCode).toBe(4);
    expect(protectedRun.stderr).toMatch(/E_ACCOUNT_PROTECTED.*protected by the configuration/);

    const system = await untether(mac, ['lock', '--user', 'daemon', '--yes']);
    expect(system.stderr).toMatch(/E_LOCK_SYSTEM_ACCOUNT/);
    const admin = await untether(mac, ['lock', '--user', 'localadmin', '--yes']);
    expect(admin.exitCode).toBe(4);
    expect(admin.stderr).toMatch(/E_LOCK_LAST_ADMIN/);
    expect(mac.writeCalls()).toEqual([]);
    expect(whole(mac, USER)).toEqual(before);
  }, 60_000);

  it('treats a second lock as done, refuses to unlock a lock it did not place, and does nothing for an unlocked account', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    expect((await untether(mac, ['lock', '--user', USER, '--yes'])).exitCode).toBe(0);
    const locked = whole(mac, USER);
    mac.clearCalls();
    const again = await untether(mac, ['lock', '--user', USER, '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/already locked by Untether/);
    expect(mac.writeCalls()).toEqual([]);
    expect(whole(mac, USER)).toEqual(locked);

    // Disabled by someone else: pwpolicy (com.apple.access_disabled here) and a hand-written bare DisabledUser value.
    const other = simulatedMac({ scenario: 'local-only' });
    expect((await other.pwpolicy(['-u', USER, '-disableuser'])).exitCode).toBe(0);
    const byPwpolicy = whole(other, USER);
    const refusal = await untether(other, ['unlock', '--user', USER, '--yes']);
    expect(refusal.exitCode).toBe(4);
    expect(refusal.stderr).toMatch(/E_LOCK_NOT_OURS.*member of com\.apple\.access_disabled/);
    expect(whole(other, USER)).toEqual(byPwpolicy);
    expect((await untether(other, ['status'])).stdout).toMatch(/alex: locked, not by Untether \(member of com\.apple\.access_disabled\)/);

    const record = other.readUser(USER)!;
    other.writeUser({ ...record, authentication_authority: [...(record.authentication_authority ?? []), 'DisabledUser'] });
    expect((await other.pwpolicy(['-u', USER, '-enableuser'])).exitCode).toBe(0);
    expect(await authenticates(other, USER)).toMatchObject({ exitCode: 87 });
    expect((await untether(other, ['unlock', '--user', USER, '--yes'])).stderr).toMatch(/E_LOCK_NOT_OURS.*"DisabledUser"/);

    const plain = simulatedMac({ scenario: 'local-only' });
    plain.clearCalls();
    const nothing = await untether(plain, ['unlock', '--user', USER, '--yes']);
    expect(nothing.exitCode).toBe(0);
    expect(nothing.stdout).toMatch(/not locked; nothing to do/);
    expect(plain.writeCalls()).toEqual([]);
  }, 90_000);

  it('rolls the account back when the write fails, and keeps no lock record', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const before = whole(mac, USER);
    mac.injectFault({ tool: 'dscl', write: 1, mode: 'fail' });
    const run = await untether(mac, ['lock', '--user', USER, '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/lock rolled back/);
    expect(whole(mac, USER)).toEqual(before);
    expect(await authenticates(mac, USER)).toMatchObject({ exitCode: 0 });
    expect((await untether(mac, ['status'])).stdout).toMatch(/Locked accounts: none/);
    expect(readdirSync(mac.path('/Library/Application Support/Untether/locks'))).toEqual([]);
  }, 60_000);

  it('finishes a lock interrupted by a kill at the next run, and unlock still gives the exact record back', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    mac.logout();
    const before = whole(mac, USER);
    mac.injectFault({ tool: 'dscl', write: 1, mode: 'kill-caller', afterWrite: true });
    const killed = await untether(mac, ['lock', '--user', USER, '--reason', 'interrupted', '--yes']);
    expect(killed.exitCode).not.toBe(0);
    const unlock = await untether(mac, ['unlock', '--user', USER, '--yes']);
    expect(unlock.stderr).toMatch(/recovered an interrupted change of alex: completed/);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(unlock.stdout).toMatch(/exactly as before the lock/);
    expect(whole(mac, USER)).toEqual(before);
  }, 60_000);

  it('says who locked an account and why in untether status, and restore undoes a lock', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    mac.logout();
    const before = whole(mac, USER);
    expect((await untether(mac, ['lock', '--user', USER, '--reason', 'laptop stolen', '--yes'], {})).exitCode).toBe(0);
    const status = await untether(mac, ['status']);
    expect(status.stdout).toMatch(/alex: locked by Untether at \S+, requested by \S+ \(cli\), reason: "laptop stolen", lock [0-9a-f-]{36}/);
    const json = JSON.parse((await untether(mac, ['status', '--json'])).stdout) as { locks: Array<{ user: string; status: { kind: string; provenance: { reason: string } } }> };
    expect(json.locks).toEqual([{ user: USER, status: expect.objectContaining({ kind: 'locked-by-untether', provenance: expect.objectContaining({ reason: 'laptop stolen', source: 'cli' }) }) }]);
    const lockFile = readdirSync(mac.path('/Library/Application Support/Untether/locks'))[0]!;
    expect(JSON.parse(readFileSync(mac.path(`/Library/Application Support/Untether/locks/${lockFile}`), 'utf8'))).toMatchObject({ user: USER, reason: 'laptop stolen', source: 'cli' });

    const restore = await untether(mac, ['restore', '--user', USER, '--yes']);
    expect(restore.exitCode, restore.stdout + restore.stderr).toBe(0);
    expect(whole(mac, USER)).toEqual(before);
    expect(await authenticates(mac, USER)).toMatchObject({ exitCode: 0 });
    expect((await untether(mac, ['status'])).stdout).toMatch(/Locked accounts: none/);
  }, 60_000);

  it('keeps a logged-in session with "leave" and ends it after the notice with "logout"', async () => {
    const leave = simulatedMac({ scenario: 'local-only' });
    const kept = await untether(leave, ['lock', '--user', USER, '--yes']);
    expect(kept.exitCode).toBe(0);
    expect(kept.stdout).toMatch(/session was kept and the lock applies at the next login/);
    expect(leave.readState().console).toMatchObject({ mode: 'user', user: USER });
    expect(leave.notices()).toEqual([]);

    const logout = simulatedMac({ scenario: 'local-only' });
    logout.openLogin(USER, { host: '10.0.0.5' });
    writeManagedConfig(logout, { lock: { loggedInUser: 'logout', logoutGraceSeconds: 1 } });
    const ended = await untether(logout, ['lock', '--user', USER, '--json', '--yes']);
    expect(ended.exitCode, ended.stderr).toBe(0);
    const report = JSON.parse(ended.stdout) as { session: { kind: string; sessions: string[] } };
    expect(report.session).toMatchObject({ kind: 'ended', sessions: ['GUI session on the console', 'SSH login on ttys000 from 10.0.0.5'] });
    expect(logout.readState().console.mode).toBe('loginwindow');
    expect(logout.readState().logins).toEqual([]);
    expect(logout.notices()).toEqual([expect.objectContaining({ user: USER, text: expect.stringContaining('you will be logged out in 1 seconds') })]);
    expect(logout.calls().some((call) => call.tool === 'launchctl' && call.args.join(' ') === `bootout user/${logout.readUser(USER)?.uid?.[0]}`)).toBe(true);
    expect(() => logout.login(USER)).toThrow(LoginRefusedError);
  }, 60_000);

  it('finds the account by the identity a takeover linked it to', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const record = mac.readUser(USER)!;
    mac.writeUser({ ...record, 'io.untether.cloud.username': ['Alex.Rivera@example.com'] });
    const run = await untether(mac, ['lock', '--identity', 'alex.rivera@example.com', '--yes']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^alex: locked and verified/);
    const unknown = await untether(mac, ['unlock', '--identity', 'nobody@example.com', '--yes']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/E_IDENTITY_NOT_LINKED/);
  }, 60_000);

  it('refuses bad input with a usage error and changes nothing', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    mac.clearCalls();
    const cases = [
      ['lock'],
      ['lock', '--user', USER, '--identity', 'x@example.com', '--yes'],
      ['lock', '--user', '-rf', '--yes'],
      ['lock', '--user', USER, '--reason', 'a\u0007b', '--yes'],
      ['lock', '--user', USER],
      ['unlock', '--user', USER, '--bogus'],
    ];
    for (const args of cases) {
      const run = await untether(mac, args);
      expect({ args, exitCode: run.exitCode }).toEqual({ args, exitCode: 2 });
      expect(run.stderr).toMatch(/Run "untether (lock|unlock) --help"/);
    }
    const notRoot = await untether(mac, ['lock', '--user', USER, '--yes'], { uid: 65534 });
    expect(notRoot.exitCode).toBe(5);
    expect(mac.writeCalls()).toEqual([]);
  }, 60_000);
});
