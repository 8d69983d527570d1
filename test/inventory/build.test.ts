import { describe, expect, it } from 'vitest';
import { buildInventory, compareNamesIgnoringCase } from '../../agent/src/inventory/build.js';
import { classifyAccount } from '../../agent/src/inventory/classify.js';
import { inventoryStage } from '../../agent/src/inventory/stage.js';
import { baseFacts, LOCAL_GUID, localRecord, mobileRecord, record, systemRecord } from './facts-fixture.js';

describe('classifyAccount', () => {
  it('calls an account mobile on OriginalNodeName alone or on a LocalCachedUser authority alone', () => {
    expect(classifyAccount('a', record('a', { 'dsAttrTypeStandard:UniqueID': ['1100'], 'dsAttrTypeStandard:OriginalNodeName': ['/Active Directory/X/All Domains'] }))).toBe('mobile');
    expect(classifyAccount('b', record('b', { 'dsAttrTypeStandard:UniqueID': ['1100'], 'dsAttrTypeStandard:AuthenticationAuthority': [';LocalCachedUser;/Active Directory/X/x.com:b:GUID'] }))).toBe('mobile');
  });

  it('tells system accounts by name and UID, and never guesses a UID', () => {
    expect(classifyAccount('_nixbld1', systemRecord)).toBe('system');
    expect(classifyAccount('root', record('root', { 'dsAttrTypeStandard:UniqueID': ['0'] }))).toBe('system');
    expect(classifyAccount('x', record('x', { 'dsAttrTypeStandard:UniqueID': ['499'] }))).toBe('system');
    expect(classifyAccount('localadmin', localRecord)).toBe('local');
    expect(classifyAccount('odd', record('odd', { 'dsAttrTypeStandard:UniqueID': ['5O1'] }))).toBe('unknown');
    expect(classifyAccount('none', record('none', {}))).toBe('unknown');
  });
});

describe('buildInventory', () => {
  it('lists accounts by name ignoring case, the same on every machine (no locale collation)', () => {
    const names = ['zed', 'Bob', 'alice', 'Alice', 'bob', '_mbsetupuser', 'Zoe'];
    expect([...names].sort(compareNamesIgnoringCase)).toEqual(['_mbsetupuser', 'Alice', 'alice', 'Bob', 'bob', 'zed', 'Zoe']);
    const inventory = buildInventory(baseFacts());
    const listed = inventory.users.map((user) => user.name);
    expect(listed).toEqual([...listed].sort(compareNamesIgnoringCase));
  });

  it('reports each account with kind, evidence, admin, token, FileVault, profiles and who is logged in', () => {
    const inventory = buildInventory(baseFacts());
    const jdoe = inventory.users.find((user) => user.name === 'jdoe')!;
    expect(jdoe).toMatchObject({
      kind: 'mobile',
      uid: 1853244162,
      primaryGroupId: 1583428591,
      admin: false,
      secureToken: 'enabled',
      fileVault: false,
      profiles: ['com.example.user.vpn'],
      loggedIn: true,
      realName: "Zoë O'Brien",
      mobile: { originalNodeName: '/Active Directory/CORP/All Domains' },
    });
    expect(jdoe.mobile.localCachedUser).toContain(';LocalCachedUser;/Active Directory/CORP/All Domains:jdoe:');
    const admin = inventory.users.find((user) => user.name === 'localadmin')!;
    expect(admin).toMatchObject({ kind: 'local', admin: true, secureToken: 'enabled', fileVault: true, loggedIn: false, generatedUid: LOCAL_GUID });
    expect(inventory.summary).toEqual({ mobile: 1, local: 1, system: 1, unknown: 0 });
    expect(inventory.binding).toEqual({ bound: true, domain: 'corp.example.com', forest: 'corp.example.com', computerAccount: 'MAC-0001$' });
    expect(inventory.fileVault).toEqual({ state: 'on', conversion: 'none', autoLogin: false });
    expect(inventory.loginWindow).toMatchObject({ kind: 'apple', isOsDefault: true, demobilizeMechanism: false });
    expect(inventory.mdm).toEqual({ enrolled: true, dep: true, userApproved: true });
    expect(inventory.warnings).toEqual([]);
    expect(inventoryStage(inventory)).toBe('bound-with-mobile-accounts');
  });

  it('takes SecureToken from the APFS crypto users, so a stale authority marker does not count', () => {
    const inventory = buildInventory(baseFacts({ cryptoUsers: { ok: true, value: [{ uuid: LOCAL_GUID, type: 'Local Open Directory User' }] } }));
    expect(inventory.users.find((user) => user.name === 'jdoe')!.secureToken).toBe('disabled');
  });

  it('falls back to the authority marker, and says unknown rather than no, when crypto users cannot be read', () => {
    const inventory = buildInventory(
      baseFacts({
        cryptoUsers: { ok: false, error: 'listing APFS crypto users: boom' },
        users: { records: [mobileRecord, record('plain', { 'dsAttrTypeStandard:UniqueID': ['502'] })], unreadable: [] },
      }),
    );
    expect(inventory.users.find((user) => user.name === 'jdoe')!.secureToken).toBe('enabled');
    expect(inventory.users.find((user) => user.name === 'plain')!.secureToken).toBe('unknown');
    expect(inventory.warnings).toEqual(['listing APFS crypto users: boom']);
  });

  it('reports FileVault automatic login on unless DisableFDEAutoLogin is set, a profile winning over the local file', () => {
    const on = buildInventory(baseFacts({ disableFdeAutoLogin: { ok: true, value: { managed: undefined, local: undefined } } }));
    expect(on.fileVault.autoLogin).toBe(true);
    const managedWins = buildInventory(baseFacts({ disableFdeAutoLogin: { ok: true, value: { managed: false, local: true } } }));
    expect(managedWins.fileVault.autoLogin).toBe(true);
    const unreadable = buildInventory(baseFacts({ disableFdeAutoLogin: { ok: false, error: 'x: y' } }));
    expect(unreadable.fileVault.autoLogin).toBe('unknown');
  });

  it('marks a FileVault conversion in progress so that no account change starts', () => {
    const inventory = buildInventory(
      baseFacts({ fileVault: { ok: true, value: { on: true, encryptionInProgress: true, decryptionInProgress: false, progress: 'Pending', lines: [] } } }),
    );
    expect(inventory.fileVault.conversion).toBe('encrypting');
  });

  it('keeps going when sources fail, with unknowns and one warning per failed source', () => {
    const inventory = buildInventory(
      baseFacts({
        binding: { ok: false, error: 'reading the AD binding: missing tool' },
        loginChain: { ok: false, error: 'reading the login window chain: NO (-60005)' },
        enrollment: { ok: false, error: 'reading MDM enrollment: exited 1' },
        consoleUser: { ok: false, error: 'reading the console user: timed out' },
      }),
    );
    expect(inventory.binding).toEqual({ bound: false });
    expect(inventory.loginWindow).toMatchObject({ kind: 'unknown', error: 'reading the login window chain: NO (-60005)' });
    expect(inventory.mdm.enrolled).toBe('unknown');
    expect(inventory.consoleUser).toEqual({ loggedIn: false, reason: 'unknown' });
    expect(inventory.warnings).toHaveLength(4);
  });

  it('warns about records dscl could not give whole, instead of dropping them silently', () => {
    const inventory = buildInventory(baseFacts({ users: { records: [localRecord], unreadable: [{ index: 3, recordName: 'broken', reason: 'attribute x holds a dictionary' }] } }));
    expect(inventory.warnings).toContain('reading user record broken: attribute x holds a dictionary');
  });
});
