// What each scenario seeds, the macOS version knob, and the CLI.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMAIN_USERS_GID, VENTURA_LOGIN_MECHANISMS, createSimulatedMac, runFile } from './src/index.js';
import { tempDir, tempMac } from './support.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'test', 'macsim', 'src', 'cli.js');

describe('local-only', () => {
  const mac = tempMac({ scenario: 'local-only' });

  it('has a token-holding admin, a standard user at the console, and no AD', () => {
    expect(mac.readUser('localadmin')).toMatchObject({ uid: ['501'], gid: ['20'] });
    expect(mac.readUser('localadmin')?.authentication_authority).toContain(';SecureToken;');
    expect(mac.readGroup('admin')?.users).toEqual(['root', 'localadmin']);
    expect(mac.readUser('alex')).toMatchObject({ uid: ['502'], realname: ['Alex Rivera'] });
    const state = mac.readState();
    expect(state.adBinding).toBeNull();
    expect(state.console).toMatchObject({ mode: 'user', user: 'alex' });
    expect(state.os).toEqual({ productName: 'macOS', productVersion: '14.6.1', buildVersion: '23G93' });
    expect(state.fileVault.cryptoUsers.map((user) => user.uuid)).toContain(mac.readUser('localadmin')?.generateduid?.[0]);
  });

  it('has the built-in accounts and groups', () => {
    for (const name of ['root', 'daemon', 'nobody', '_amavisd', '_mbsetupuser', '_reportmemoryexception']) expect(mac.readUser(name), name).toBeDefined();
    expect(mac.readUser('_mbsetupuser')?.IsHidden).toEqual(['1']);
    for (const [name, gid] of [['admin', '80'], ['staff', '20'], ['wheel', '0'], ['everyone', '12'], ['localaccounts', '61']]) {
      expect(mac.readGroup(name!)?.gid, name).toEqual([gid]);
    }
    expect(mac.userNames().filter((name) => !name.startsWith('_') && !['root', 'daemon', 'nobody'].includes(name))).toEqual(['alex', 'localadmin']);
  });
});

describe('ad-bound', () => {
  const mac = tempMac({ scenario: 'ad-bound' });

  it('is bound to corp.example.com with the AD node in both search paths', () => {
    const state = mac.readState();
    expect(state.adBinding).toMatchObject({ forest: 'corp.example.com', domain: 'corp.example.com', netbiosName: 'CORP', computerAccount: 'MAC-0001$' });
    expect(state.searchPolicy.search.cspSearchPath).toContain('/Active Directory/CORP/All Domains');
    expect(state.searchPolicy.contacts.cspSearchPath).toContain('/Active Directory/CORP/All Domains');
  });

  it('seeds mobile accounts shaped like real ones, with an orphan AD primary group', () => {
    for (const name of ['jdoe', 'zobrien', 'mchen', 'psmith']) {
      const record = mac.readUser(name)!;
      expect(Number(record.uid?.[0])).toBeGreaterThan(1_000_000_000);
      expect(record.gid).toEqual([String(DOMAIN_USERS_GID)]);
      expect(record.original_node_name?.[0]).toMatch(/^\/Active Directory\/CORP\//);
      expect(record.authentication_authority?.[0]).toMatch(new RegExp(`^;LocalCachedUser;/Active Directory/CORP/[^:]+:${name}:[0-9A-F-]{36}$`));
      for (const key of ['cached_groups', 'cached_auth_policy', 'copy_timestamp', 'original_authentication_authority', 'preserved_attributes', 'smb_sid', 'dsAttrTypeStandard:PrimaryNTDomain', 'dsAttrTypeStandard:AppleMetaRecordName', 'ShadowHashData']) {
        expect(record[key], `${name} ${key}`).toBeDefined();
      }
      expect(mac.exists(`/Users/${name}/.account`)).toBe(true);
    }
    expect(mac.readUser('zobrien')?.original_node_name).toEqual(['/Active Directory/CORP/All Domains']);
    expect(mac.readUser('zobrien')?.realname).toEqual(["Zoë O'Brien"]);
    const groups = [...['admin', 'staff', 'wheel', 'everyone']].map((name) => mac.readGroup(name)!.gid?.[0]);
    expect(groups).not.toContain(String(DOMAIN_USERS_GID));
  });

  it('logs jdoe in; mchen has no token and no FileVault entry; psmith has a user profile; zobrien is an admin', () => {
    const state = mac.readState();
    expect(state.console).toMatchObject({ mode: 'user', user: 'jdoe' });
    expect(mac.readUser('mchen')?.authentication_authority).not.toContain(';SecureToken;');
    const cryptoUuids = state.fileVault.cryptoUsers.map((user) => user.uuid);
    expect(cryptoUuids).not.toContain(mac.readUser('mchen')?.generateduid?.[0]);
    expect(cryptoUuids).toContain(mac.readUser('jdoe')?.generateduid?.[0]);
    expect(state.fileVault.cryptoUsers.map((user) => user.type)).toEqual(expect.arrayContaining(['Personal Recovery User', 'MDM Bootstrap Token External Key']));
    expect(state.profiles.users).toEqual({ psmith: ['com.example.user.wifi'] });
    expect(mac.readGroup('admin')?.users).toContain('zobrien');
    expect(mac.readPlist('/Library/Preferences/com.apple.loginwindow.plist')).toMatchObject({ DisableFDEAutoLogin: true });
  });

  it('adds generated users on request', () => {
    const bigger = tempMac({ scenario: 'ad-bound', mobileUsers: 2, localUsers: 1 });
    expect(bigger.readUser('aduser002')?.original_node_name).toEqual(['/Active Directory/CORP/All Domains']);
    expect(bigger.readUser('luser001')?.uid).toEqual(['511']);
  });
});

describe('other scenarios and knobs', () => {
  it('ad-bound-fv-autologin leaves DisableFDEAutoLogin unset', () => {
    const mac = tempMac({ scenario: 'ad-bound-fv-autologin' });
    expect(mac.readPlist('/Library/Preferences/com.apple.loginwindow.plist')).not.toHaveProperty('DisableFDEAutoLogin');
    expect(mac.readState().adBinding).not.toBeNull();
  });

  it('fleet seeds N generated mobile users (5 by default, 200 on request)', () => {
    const small = tempMac({ scenario: 'fleet' });
    expect(small.userNames().filter((name) => name.startsWith('aduser'))).toHaveLength(5);
    const large = tempMac({ scenario: 'fleet', mobileUsers: 200, localUsers: 3 });
    expect(large.userNames().filter((name) => name.startsWith('aduser'))).toHaveLength(200);
    expect(large.userNames().filter((name) => name.startsWith('luser'))).toHaveLength(3);
    expect(large.readState().console.user).toBe('aduser001');
  });

  it('--os 13.6.7 gives Ventura: sw_vers and the login chain with PSSOAuthPlugin', async () => {
    const mac = tempMac({ scenario: 'ad-bound', os: '13.6.7' });
    expect((await mac.run('sw_vers', ['-productVersion'])).stdout).toBe('13.6.7\n');
    expect(mac.loginMechanisms()).toEqual(VENTURA_LOGIN_MECHANISMS);
    expect(mac.readAuthRight('system.login.console')?.version).toBe(10);
    expect(tempMac({ scenario: 'local-only', os: '15.1' }).readAuthRight('system.login.console')?.version).toBe(11);
  });

  it('needs a build number for versions it does not know', () => {
    expect(() => tempMac({ scenario: 'local-only', os: '14.7' })).toThrow(/no known build/);
    expect(tempMac({ scenario: 'local-only', os: '14.7', build: '23H124' }).readState().os.buildVersion).toBe('23H124');
  });

  it('refuses to overwrite a non-empty directory unless forced', () => {
    const mac = tempMac({ scenario: 'local-only' });
    expect(() => createSimulatedMac({ dir: mac.root, scenario: 'ad-bound' })).toThrow(/not empty/);
    expect(createSimulatedMac({ dir: mac.root, scenario: 'ad-bound', force: true }).readState().adBinding).not.toBeNull();
  });
});

describe('CLI', () => {
  it('creates a Mac, arms a fault, and summarises calls', async () => {
    const dir = path.join(tempDir(), 'cli-mac');
    const created = await runFile(process.execPath, [CLI, 'create', dir, '--scenario', 'ad-bound', '--mobile-users', '2', '--os', '13.6.7', '--authchanger']);
    expect(created).toMatchObject({ exitCode: 0, stderr: '' });
    expect(created.stdout).toContain(`created simulated Mac (ad-bound) in ${dir}`);
    expect(created.stdout).toContain('macOS 13.6.7 (22G720), bound to corp.example.com');
    expect(created.stdout).toContain('authchanger installed');
    const fault = await runFile(process.execPath, [CLI, 'fault', dir, '--tool', 'dscl', '--write', '1', '--mode', 'fail']);
    expect(fault).toMatchObject({ exitCode: 0 });
    expect((await runFile(path.join(dir, 'usr/bin/dscl'), ['.', '-create', '/Users/jdoe', 'JobTitle', 'x'])).exitCode).toBe(40);
    const summary = await runFile(process.execPath, [CLI, 'calls', dir, '--summary']);
    expect(JSON.parse(summary.stdout)).toEqual({ total: 1, byTool: { dscl: { calls: 1, writes: 1 } } });
    expect(await runFile(process.execPath, [CLI, 'login', dir, 'zobrien'])).toMatchObject({ exitCode: 0 });
    expect((await runFile(path.join(dir, 'usr/bin/stat'), ['-f%Su', '/dev/console'])).stdout).toBe('zobrien\n');
  });

  it('explains bad input with exit 2 and prints --dry-run without writing', async () => {
    const dir = path.join(tempDir(), 'never');
    const bad = await runFile(process.execPath, [CLI, 'create', dir, '--scenario', 'nope']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('create needs --scenario, one of: local-only, ad-bound, ad-bound-fv-autologin, fleet');
    const dry = await runFile(process.execPath, [CLI, 'create', dir, '--scenario', 'fleet', '--dry-run']);
    expect(dry).toMatchObject({ exitCode: 0 });
    expect(dry.stdout).toContain('mobile users: aduser001');
    const { existsSync } = await import('node:fs');
    expect(existsSync(dir)).toBe(false);
    expect((await runFile(process.execPath, [CLI, '--help'])).stdout).toContain('usage: macsim <command>');
  });
});
