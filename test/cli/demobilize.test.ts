import { describe, expect, it } from 'vitest';
import { accountFile, accountSnapshot, groupMembers, normalizedUser, userFiles } from '../helpers/accounts.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import { writeManagedConfig } from '../helpers/daemon.js';

const MOBILE = ['jdoe', 'zobrien', 'mchen', 'psmith'];
const CACHED_KEYS = [
  'original_node_name', 'original_authentication_authority', 'copy_timestamp', 'cached_groups', 'cached_auth_policy', 'preserved_attributes',
  'smb_sid', 'smb_primary_group_sid', 'smb_group_rid', 'smb_pwd_last_set', 'dsAttrTypeStandard:PrimaryNTDomain', 'dsAttrTypeStandard:AppleMetaRecordName', 'mcx_settings', 'mcx_flags',
];

describe('untether demobilize on a simulated AD-bound Mac', () => {
  it('converts every eligible mobile account, attribute by attribute, and leaves every other account byte for byte', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const before = userFiles(mac);
    const records = Object.fromEntries(MOBILE.map((name) => [name, normalizedUser(mac, name)!]));
    const run = await untether(mac, ['demobilize', '--all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('3 converted, 0 rolled back, 0 failed, 1 skipped, 0 refused.');
    const after = userFiles(mac);
    for (const [name, bytes] of before) {
      if (['zobrien', 'mchen', 'psmith'].includes(name)) continue;
      expect({ name, same: bytes.equals(after.get(name)!) }).toEqual({ name, same: true });
    }
    for (const name of ['zobrien', 'mchen', 'psmith']) {
      const old = records[name]!;
      const now = normalizedUser(mac, name)!;
      for (const key of CACHED_KEYS) expect({ name, key, value: now[key] }).toEqual({ name, key, value: undefined });
      expect(now.authentication_authority!.some((value) => value.includes(';LocalCachedUser;') || value.startsWith(';Kerberosv5;;'))).toBe(false);
      expect(now.authentication_authority).toEqual(old.authentication_authority!.filter((value) => value.startsWith(';ShadowHash;') || value === ';SecureToken;'));
      for (const key of ['uid', 'generateduid', 'home', 'ShadowHashData', 'name', 'realname', 'shell']) expect({ name, key, value: now[key] }).toEqual({ name, key, value: old[key] });
      expect(now.passwd).toEqual(['********']);
      expect(now.gid).toEqual(['20']);
      expect(accountFile(mac, name)).toBeNull();
      expect(groupMembers(mac, 'staff')).toContain(name);
    }
    expect(groupMembers(mac, 'admin')).toContain('zobrien');
    expect(normalizedUser(mac, 'jdoe')).toEqual(records.jdoe);

    mac.clearCalls();
    const again = await untether(mac, ['demobilize', '--all', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(mac.writeCalls()).toEqual([]);
  });

  it('performs no write at all in a dry run, and prints the plan', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const before = userFiles(mac);
    mac.clearCalls();
    const run = await untether(mac, ['demobilize', '--all', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('zobrien: would convert');
    expect(run.stdout).toContain('delete PrimaryNTDomain (the AD NetBIOS domain');
    expect(run.stdout).toContain('Dry run: 3 would convert, 1 skipped, 0 refused. Nothing was changed.');
    expect(mac.writeCalls()).toEqual([]);
    expect(userFiles(mac)).toEqual(before);
  });

  it('refuses a logged-in user named on the command line, with the reason, changing nothing', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const run = await untether(mac, ['demobilize', '--user', 'jdoe', '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('skip: logged-in: the user is logged in (GUI session on the console); policy loggedInUser=skip waits for logout');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('refuses everything while FileVault is encrypting', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.updateState((state) => {
      state.fileVault.statusLines = ['Encryption in progress: Pending'];
    });
    const run = await untether(mac, ['demobilize', '--all', '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('refuse: filevault-converting: FileVault is encrypting');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('must run as root for a real run, and says so in one line', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const run = await untether(mac, ['demobilize', '--user', 'zobrien', '--yes'], { uid: 65534 });
    expect(run.exitCode).toBe(5);
    expect(run.stderr).toBe('untether demobilize: demobilize changes the Mac and must run as root (sudo untether demobilize ...); nothing was changed\n');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('refuses bad input by name: unknown user, a name and --all, a real run without --yes and no terminal', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const unknown = await untether(mac, ['demobilize', '--user', 'nosuch', '--yes']);
    expect(unknown).toMatchObject({ exitCode: 2, stderr: 'untether demobilize: no local account named "nosuch"; nothing was changed\n' });
    expect((await untether(mac, ['demobilize', '--user', 'a', '--all'])).exitCode).toBe(2);
    const noYes = await untether(mac, ['demobilize', '--user', 'zobrien']);
    expect(noYes.exitCode).toBe(2);
    expect(noYes.stderr).toContain('a real run needs --yes when there is no terminal to ask');
    expect((await untether(mac, ['demobilize', '--user', '../etc', '--yes'])).stderr).toContain('--user "../etc" contains "/"');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('puts a converted account back exactly with untether restore', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const original = accountSnapshot(mac, 'zobrien');
    expect((await untether(mac, ['demobilize', '--user', 'zobrien', '--yes'])).exitCode).toBe(0);
    expect(accountSnapshot(mac, 'zobrien')).not.toEqual(original);
    const restore = await untether(mac, ['restore', '--user', 'zobrien', '--yes']);
    expect(restore.stdout).toContain('restored and verified');
    expect(restore.exitCode).toBe(0);
    expect(accountSnapshot(mac, 'zobrien')).toEqual(original);
  });
});

describe('untether demobilize with hostile record data', () => {
  it('converts an account whose values hold quotes, unicode, a huge value and unknown authority tokens, keeping them intact', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const record = mac.readUser('psmith')!;
    const huge = 'Ω'.repeat(200_000);
    mac.writeUser({
      ...record,
      realname: ['Pri\'ya "Smith" $(touch /tmp/pwned) 😀'],
      comment: [huge],
      authentication_authority: [...record.authentication_authority!, ';DisabledUser;', ';Kerberosv5;;garbage', ';NetLogon;psmith;CORP'],
    });
    const run = await untether(mac, ['demobilize', '--user', 'psmith', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const after = normalizedUser(mac, 'psmith')!;
    expect(after.realname).toEqual(['Pri\'ya "Smith" $(touch /tmp/pwned) 😀']);
    expect(after.comment).toEqual([huge]);
    expect(after.authentication_authority).toEqual(expect.arrayContaining([';DisabledUser;', ';Kerberosv5;;garbage', ';NetLogon;psmith;CORP', ';SecureToken;']));
    expect(after.authentication_authority!.some((value) => value.includes(';LocalCachedUser;'))).toBe(false);
  });

  it('shows control characters in a record escaped, so a value cannot forge output lines', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const record = mac.readUser('mchen')!;
    mac.writeUser({ ...record, original_node_name: ['/Active Directory/CORP/All Domains\nzobrien  local  1  yes'] });
    const run = await untether(mac, ['scan']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('All Domains\\x0azobrien');
  });
});

describe('untether demobilize with primaryGroup=keep-with-alias', () => {
  it('keeps the AD primary GID, resolvable through one shared local alias group', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    writeManagedConfig(mac, { demobilize: { policy: { primaryGroup: 'keep-with-alias' } } });
    const run = await untether(mac, ['demobilize', '--user', 'zobrien', '--user', 'mchen', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(normalizedUser(mac, 'zobrien')?.gid).toEqual(['1522360086']);
    expect(mac.readGroup('ad-primary-1522360086')?.gid).toEqual(['1522360086']);
    expect((await mac.run('id', ['-gn', 'zobrien'])).stdout.trim()).toBe('ad-primary-1522360086');
  });
});

describe('untether demobilize without Full Disk Access', () => {
  it('refuses an account whose ~/.account must go, naming the gate, and changes nothing', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.denyFullDiskAccess();
    const run = await untether(mac, ['demobilize', '--user', 'zobrien', '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('refuse: full-disk-access: removing ~/.account needs Full Disk Access');
    expect(mac.writeCalls()).toEqual([]);
  });
});
