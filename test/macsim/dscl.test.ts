// The fake dscl against the documented formats (macos-tools.md §1) and the captured fixtures.
import { beforeAll, describe, expect, it } from 'vitest';
import { isPlistDict, parseXmlPlist, type PlistDict } from './src/plist.js';
import type { SimulatedMac } from './src/index.js';
import { fixture, tempMac } from './support.js';

let mac: SimulatedMac;
const dscl = (...args: string[]) => mac.run('dscl', args);

beforeAll(() => {
  mac = tempMac({ scenario: 'ad-bound' });
});

describe('dscl list', () => {
  it('pads values to column maxLen+3 like the captured UniqueID listing', async () => {
    const result = await dscl('.', '-list', '/Users', 'UniqueID');
    expect(result.exitCode).toBe(0);
    const captured = fixture('any', 'dscl-list-Users-UniqueID').stdout;
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 10).join('\n') + '\n').toBe(captured);
  });

  it('prints the captured UserShell lines for the same system accounts', async () => {
    const result = await dscl('.', '-list', '/Users', 'UserShell');
    const ours = new Set(result.stdout.split('\n'));
    const captured = fixture('any', 'dscl-list-Users-UserShell').stdout.trimEnd().split('\n');
    for (const line of captured.filter((item) => !item.startsWith('itsafeature'))) expect(ours).toContain(line);
  });

  it('skips records without the attribute and never wraps values that contain spaces', async () => {
    const result = await dscl('.', '-list', '/Users', 'OriginalNodeName');
    expect(result.stdout).toBe(
      [
        'jdoe      /Active Directory/CORP/corp.example.com',
        'mchen     /Active Directory/CORP/All Domains',
        'psmith    /Active Directory/CORP/All Domains',
        'zobrien   /Active Directory/CORP/All Domains',
        '',
      ].join('\n'),
    );
  });

  it('lists record names sorted case-insensitively, one per line', async () => {
    const names = (await dscl('.', 'list', '/Users')).stdout.trimEnd().split('\n');
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(names).toContain('root');
    expect(names).toContain('zobrien');
  });
});

describe('dscl read (text)', () => {
  it('puts native attributes first, strips only the standard prefix and applies the space rule', async () => {
    const { stdout, exitCode } = await dscl('.', '-read', '/Users/jdoe');
    expect(exitCode).toBe(0);
    const names = stdout
      .split('\n')
      .filter((line) => /^[A-Za-z_][\w:]*:( |$)/.test(line))
      .map((line) => line.slice(0, line.indexOf(':', line.startsWith('dsAttrTypeNative:') ? 17 : 0)));
    const firstStandard = names.findIndex((name) => !name.startsWith('dsAttrTypeNative:'));
    expect(names.slice(firstStandard).every((name) => !name.startsWith('dsAttrType'))).toBe(true);
    expect(stdout).toContain('AuthenticationAuthority:\n ;LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9\n ;Kerberosv5;');
    expect(stdout).toContain('RealName:\n John Doe\n');
    expect(stdout).toContain('UniqueID: 1104562915\n');
    expect(stdout).toContain('dsAttrTypeNative:preserved_attributes: RealName UserShell\n');
    expect(stdout).toContain('AppleMetaNodeLocation: /Local/Default\nAppleMetaRecordName:');
    expect(stdout).toContain('RecordType: dsRecTypeStandard:Users\n');
  });

  it('prints a multi-line plist value raw, with the blank line after </plist>', async () => {
    const { stdout } = await dscl('.', '-read', '/Users/jdoe', 'accountPolicyData');
    expect(stdout).toMatch(/^dsAttrTypeNative:accountPolicyData:\n <\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    expect(stdout.endsWith('</dict>\n</plist>\n\n')).toBe(true);
  });

  it('renders binary ShadowHashData as hex groups on its own line', async () => {
    const { stdout } = await dscl('.', '-read', '/Users/jdoe', 'ShadowHashData');
    expect(stdout).toBe('dsAttrTypeNative:ShadowHashData:\n 62706c69 73743030 d2010203 0a5f101e 5352502d 52464335 30353400\n');
  });

  it('matches the layout of the captured macOS 13 system-user read', async () => {
    const captured = fixture('13', 'dscl-read-nixbld1').stdout;
    await dscl('.', '-create', '/Users/_nixbld1');
    mac.writeUser({
      name: ['_nixbld1'],
      _writers_passwd: ['_nixbld1'],
      accountPolicyData: [
        new TextEncoder().encode(captured.slice(captured.indexOf('<?xml'), captured.indexOf('</plist>') + '</plist>\n'.length)),
      ],
      IsHidden: ['1'],
      record_daemon_version: ['8770000'],
      generateduid: ['95CA4ABC-6A65-4EE0-8430-1F8BC58E9C64'],
      home: ['/var/empty'],
      passwd: ['********'],
      gid: ['3000'],
      uid: ['301'],
      shell: ['/sbin/nologin'],
    });
    const { stdout } = await dscl('.', '-read', '/Users/_nixbld1');
    expect(stdout).toBe(captured);
    await dscl('.', '-delete', '/Users/_nixbld1');
  });

  it('prints requested keys, then "No such key" on stdout, and exits 0', async () => {
    const result = await dscl('.', '-read', '/Users/jdoe', 'UniqueID', 'NoSuchThing', 'RealName');
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toBe('RealName:\n John Doe\nUniqueID: 1104562915\nNo such key: NoSuchThing\n');
  });

  it('prints an empty value as "Name: " with a trailing space', async () => {
    await dscl('.', '-create', '/Users/mchen', 'dsAttrTypeNative:AvatarRepresentation');
    expect((await dscl('.', '-read', '/Users/mchen', 'AvatarRepresentation')).stdout).toBe('dsAttrTypeNative:AvatarRepresentation: \n');
  });

  it('reports a missing record like the capture: stderr DS error, exit 56', async () => {
    const result = await dscl('.', '-read', '/Users/games9');
    const captured = fixture('any', 'dscl-read-record-not-found');
    expect(result).toMatchObject({ stdout: captured.stdout, stderr: captured.stderr, exitCode: captured.exitCode });
  });

  it('reports an invalid path with "read: Invalid Path" and eDSUnknownNodeName, exit 185', async () => {
    const result = await dscl('.', '-read', '/NoSuchType/x');
    expect(result).toMatchObject({ stdout: 'read: Invalid Path\n', stderr: '<dscl_cmd> DS Error: -14009 (eDSUnknownNodeName)\n', exitCode: 185 });
  });

  it('keeps both prefixes with -raw, and takes -raw key names literally (a bare one names nothing)', async () => {
    const { stdout } = await dscl('-raw', '.', '-read', '/Users/jdoe', 'dsAttrTypeStandard:UniqueID', 'dsAttrTypeNative:cached_groups', 'UniqueID');
    expect(stdout).toBe(
      'dsAttrTypeNative:cached_groups: 5B2C8D34-1A7E-4F6B-9C0D-2E3F4A5B6C7D 8E9F0A1B-2C3D-4E5F-6A7B-8C9D0E1F2A3B\ndsAttrTypeStandard:UniqueID: 1104562915\nNo such key: UniqueID\n',
    );
  });

  it('finds a record by an alias RecordName', async () => {
    expect((await dscl('.', '-read', '/Users/amavisd', 'UniqueID')).stdout).toBe('UniqueID: 83\n');
  });
});

describe('dscl -plist', () => {
  it('reads the mobile account as the reconstructed jdoe fixture shows it (same dict)', async () => {
    const result = await dscl('-plist', '.', '-read', '/Users/jdoe');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist[^\n]*\n<plist version="1\.0">\n<dict>\n\t<key>/);
    expect(parseXmlPlist(result.stdout)).toEqual(parseXmlPlist(fixture('14', 'dscl-plist-read-mobile-jdoe').stdout));
  });

  it('omits missing keys silently and keeps every value an array of strings', async () => {
    const result = await dscl('-plist', '.', '-read', '/Users/jdoe', 'RealName', 'NoSuchThing');
    expect(result.stderr).toBe('');
    expect(parseXmlPlist(result.stdout)).toEqual({ 'dsAttrTypeStandard:RealName': ['John Doe'] });
  });

  it('readall returns an array of record dicts sorted by name, matching the fixture records', async () => {
    const result = await dscl('-plist', '.', '-readall', '/Users');
    const records = parseXmlPlist(result.stdout) as PlistDict[];
    const names = records.map((record) => String((record['dsAttrTypeStandard:RecordName'] as string[])[0]));
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const captured = parseXmlPlist(fixture('14', 'dscl-plist-readall-Users').stdout) as PlistDict[];
    for (const expected of captured) {
      const name = (expected['dsAttrTypeStandard:RecordName'] as string[])[0];
      const ours = records.find((record) => (record['dsAttrTypeStandard:RecordName'] as string[])[0] === name);
      expect(ours, name).toBeDefined();
      for (const [key, value] of Object.entries(expected)) expect([name, key, ours![key]]).toEqual([name, key, value]);
    }
  });

  it('text readall separates records with a "-" line', async () => {
    const { stdout } = await dscl('.', '-readall', '/Groups', 'RecordName');
    const groups = (await dscl('.', '-list', '/Groups')).stdout.trimEnd().split('\n');
    expect(stdout.split('\n-\n')).toHaveLength(groups.length);
    expect(stdout).toContain('RecordName: admin BUILTIN\\Administrators\n-\nRecordName:');
  });
});

describe('dscl writes', () => {
  it('create replaces values, append adds, merge adds only new ones, all silently', async () => {
    for (const args of [
      ['-create', '/Users/psmith', 'JobTitle', 'Engineer', 'Lead'],
      ['-append', '/Users/psmith', 'JobTitle', 'Lead'],
      ['-merge', '/Users/psmith', 'JobTitle', 'Lead', 'Manager'],
    ]) {
      expect(await dscl('.', ...args)).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    }
    // JobTitle is outside the local standard list: the bare name is the native attribute.
    expect(mac.readUserTyped('psmith')?.['dsAttrTypeNative:JobTitle']).toEqual(['Engineer', 'Lead', 'Lead', 'Manager']);
    await dscl('.', '-create', '/Users/psmith', 'JobTitle', 'Analyst');
    expect(mac.readUserTyped('psmith')?.['dsAttrTypeNative:JobTitle']).toEqual(['Analyst']);
    expect(mac.readUserTyped('psmith')?.['dsAttrTypeStandard:JobTitle']).toBeUndefined();
  });

  it('deletes one value, then the attribute; deleting an absent attribute is silent', async () => {
    await dscl('.', '-create', '/Users/psmith', 'JobTitle', 'A', 'B');
    await dscl('.', '-delete', '/Users/psmith', 'JobTitle', 'A');
    expect(mac.readUserTyped('psmith')?.['dsAttrTypeNative:JobTitle']).toEqual(['B']);
    await dscl('.', '-delete', '/Users/psmith', 'JobTitle');
    expect(mac.readUserTyped('psmith')?.['dsAttrTypeNative:JobTitle']).toBeUndefined();
    expect(await dscl('.', '-delete', '/Users/psmith', 'JobTitle')).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('change swaps one value, and reports eDSAttributeNotFound (exit 54) when the old value is absent', async () => {
    await dscl('.', '-change', '/Users/psmith', 'UserShell', '/bin/zsh', '/bin/bash');
    expect(mac.readUser('psmith')?.shell).toEqual(['/bin/bash']);
    const result = await dscl('.', '-change', '/Users/psmith', 'UserShell', '/bin/zsh', '/bin/sh');
    const captured = fixture('any', 'dscl-change-attribute-not-found');
    expect(result).toMatchObject({ stdout: '', stderr: captured.stderr, exitCode: captured.exitCode });
  });

  it('deleting a missing record prints "delete: Invalid Path" like the capture (exit 185)', async () => {
    const captured = fixture('any', 'dscl-delete-invalid-path');
    expect(await dscl('.', '-delete', '/Users/_nixbld10')).toMatchObject({ stdout: captured.stdout, stderr: captured.stderr, exitCode: captured.exitCode });
  });

  it('silently ignores a plain delete of PrimaryNTDomain and AppleMetaRecordName (RT #63); -raw with the full name removes them', async () => {
    for (const attribute of ['PrimaryNTDomain', 'AppleMetaRecordName']) {
      const full = `dsAttrTypeStandard:${attribute}`;
      // The bare name is the native attribute, which the record does not have: nothing happens.
      expect(await dscl('.', '-delete', '/Users/zobrien', attribute)).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
      expect((await dscl('.', '-read', '/Users/zobrien', attribute)).stdout).toBe(`No such key: ${attribute}\n`);
      expect((await dscl('-raw', '.', '-read', '/Users/zobrien', full)).stdout).toContain(`${full}:`);
      // The full name without -raw is not trusted either (every known fix uses -raw).
      expect(await dscl('.', '-delete', '/Users/zobrien', full)).toMatchObject({ exitCode: 0 });
      expect((await dscl('-raw', '.', '-read', '/Users/zobrien', full)).stdout).toContain(`${full}:`);
      expect(await dscl('-raw', '.', '-delete', '/Users/zobrien', full)).toMatchObject({ exitCode: 0 });
      expect((await dscl('-raw', '.', '-read', '/Users/zobrien', full)).stdout).toBe(`No such key: ${full}\n`);
    }
  });

  it('drops ShadowHashData when the ;ShadowHash; authority is removed (10.14.4+ behaviour)', async () => {
    const shadow = ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>';
    await dscl('.', '-delete', '/Users/mchen', 'AuthenticationAuthority', shadow);
    expect(mac.readUser('mchen')?.ShadowHashData).toBeUndefined();
  });

  it('creates and renames records, keeping the file named after the first RecordName', async () => {
    await dscl('.', '-create', '/Users/tempuser');
    await dscl('.', '-create', '/Users/tempuser', 'UniqueID', '901');
    expect(mac.readUser('tempuser')?.generateduid?.[0]).toMatch(/^[0-9A-F-]{36}$/);
    await dscl('.', '-change', '/Users/tempuser', 'RecordName', 'tempuser', 'renamed');
    expect(mac.exists('/var/db/dslocal/nodes/Default/users/renamed.plist')).toBe(true);
    expect(mac.exists('/var/db/dslocal/nodes/Default/users/tempuser.plist')).toBe(false);
    expect(await dscl('.', '-delete', '/Users/renamed')).toMatchObject({ exitCode: 0 });
    expect(mac.readUser('renamed')).toBeUndefined();
  });
});

describe('dscl attribute name resolution (every verb)', () => {
  // macos-tools.md §1.5: a bare X is dsAttrTypeStandard:X only when X is in the node's standard attribute
  // list, otherwise dsAttrTypeNative:X; with -raw names are taken literally. Three kinds of names: one in
  // the list (RealName), a standard attribute outside it (AppleMetaRecordName) and an unknown one.
  let local: SimulatedMac;
  const run = (...args: string[]) => local.run('dscl', args);
  const typed = () => local.readUserTyped('alex')!;
  beforeAll(() => {
    local = tempMac({ scenario: 'local-only' });
  });

  it('create, append and merge with a bare name write the type the standard list gives it', async () => {
    await run('.', '-create', '/Users/alex', 'RealName', 'Alex R');
    await run('.', '-create', '/Users/alex', 'AppleMetaRecordName', 'CN=bare');
    await run('.', '-append', '/Users/alex', 'AppleMetaRecordName', 'CN=appended');
    await run('.', '-merge', '/Users/alex', 'FavouriteColour', 'blue', 'blue');
    expect(typed()).toMatchObject({
      'dsAttrTypeStandard:RealName': ['Alex R'],
      'dsAttrTypeNative:AppleMetaRecordName': ['CN=bare', 'CN=appended'],
      'dsAttrTypeNative:FavouriteColour': ['blue'],
    });
    expect(typed()['dsAttrTypeStandard:AppleMetaRecordName']).toBeUndefined();
    expect(typed()['dsAttrTypeStandard:FavouriteColour']).toBeUndefined();
  });

  it('-raw with full names writes exactly the type named, beside a native attribute of the same short name', async () => {
    await run('-raw', '.', '-create', '/Users/alex', 'dsAttrTypeStandard:AppleMetaRecordName', 'CN=standard');
    await run('-raw', '.', '-append', '/Users/alex', 'dsAttrTypeStandard:FavouriteColour', 'red');
    await run('-raw', '.', '-merge', '/Users/alex', 'dsAttrTypeNative:RealName', 'native name');
    expect(typed()).toMatchObject({
      'dsAttrTypeStandard:AppleMetaRecordName': ['CN=standard'],
      'dsAttrTypeNative:AppleMetaRecordName': ['CN=bare', 'CN=appended'],
      'dsAttrTypeStandard:FavouriteColour': ['red'],
      'dsAttrTypeNative:RealName': ['native name'],
      'dsAttrTypeStandard:RealName': ['Alex R'],
    });
  });

  it('read shows each type under its own name; a bare key reads the type the list gives it, -raw keys are literal', async () => {
    const text = (await run('.', '-read', '/Users/alex', 'AppleMetaRecordName', 'RealName')).stdout;
    expect(text).toBe('dsAttrTypeNative:AppleMetaRecordName: CN=bare CN=appended\nRealName:\n Alex R\n');
    const raw = (await run('-raw', '.', '-read', '/Users/alex', 'dsAttrTypeStandard:AppleMetaRecordName', 'AppleMetaRecordName')).stdout;
    expect(raw).toBe('dsAttrTypeStandard:AppleMetaRecordName: CN=standard\nNo such key: AppleMetaRecordName\n');
    const all = (await run('.', '-read', '/Users/alex')).stdout;
    expect(all).toContain('dsAttrTypeNative:AppleMetaRecordName: CN=bare CN=appended\n');
    expect(all).toContain('\nAppleMetaRecordName: CN=standard\n');
    expect(all).toContain('dsAttrTypeNative:RealName:\n native name\n');
    const plist = parseXmlPlist((await run('-plist', '.', '-read', '/Users/alex', 'FavouriteColour', 'dsAttrTypeStandard:FavouriteColour')).stdout);
    expect(plist).toEqual({ 'dsAttrTypeNative:FavouriteColour': ['blue'], 'dsAttrTypeStandard:FavouriteColour': ['red'] });
  });

  it('readall and list resolve their keys the same way', async () => {
    const records = parseXmlPlist((await run('-plist', '.', '-readall', '/Users', 'AppleMetaRecordName')).stdout) as PlistDict[];
    expect(records.filter((record) => Object.keys(record).length > 0)).toEqual([{ 'dsAttrTypeNative:AppleMetaRecordName': ['CN=bare', 'CN=appended'] }]);
    expect((await run('.', '-list', '/Users', 'AppleMetaRecordName')).stdout).toBe('alex   CN=bare CN=appended\n');
    expect((await run('-raw', '.', '-list', '/Users', 'dsAttrTypeStandard:AppleMetaRecordName')).stdout).toBe('alex   CN=standard\n');
    expect((await run('-raw', '.', '-list', '/Users', 'AppleMetaRecordName')).stdout).toBe('');
  });

  it('change and delete with a bare name touch only the type the list gives it', async () => {
    expect(await run('.', '-change', '/Users/alex', 'AppleMetaRecordName', 'CN=standard', 'CN=x')).toMatchObject({ exitCode: 54 });
    expect(await run('.', '-change', '/Users/alex', 'AppleMetaRecordName', 'CN=bare', 'CN=changed')).toMatchObject({ exitCode: 0 });
    await run('.', '-delete', '/Users/alex', 'AppleMetaRecordName', 'CN=appended');
    await run('.', '-delete', '/Users/alex', 'FavouriteColour');
    expect(typed()).toMatchObject({ 'dsAttrTypeNative:AppleMetaRecordName': ['CN=changed'], 'dsAttrTypeStandard:AppleMetaRecordName': ['CN=standard'], 'dsAttrTypeStandard:FavouriteColour': ['red'] });
    expect(typed()['dsAttrTypeNative:FavouriteColour']).toBeUndefined();
    await run('-raw', '.', '-change', '/Users/alex', 'dsAttrTypeStandard:AppleMetaRecordName', 'CN=standard', 'CN=raw');
    await run('-raw', '.', '-delete', '/Users/alex', 'dsAttrTypeNative:AppleMetaRecordName');
    expect(typed()['dsAttrTypeStandard:AppleMetaRecordName']).toEqual(['CN=raw']);
    expect(typed()['dsAttrTypeNative:AppleMetaRecordName']).toBeUndefined();
  });

  it('fails loudly on a -raw write with a bare name and on an unknown option before the data source; values after the key may start with "-"', async () => {
    const bare = await run('-raw', '.', '-create', '/Users/alex', 'RealName', 'x');
    expect(bare.exitCode).toBe(99);
    expect(bare.stderr).toMatch(/unsupported invocation: .*bare attribute name "RealName"/);
    const option = await run('-x', '.', '-read', '/Users/alex');
    expect(option.exitCode).toBe(99);
    expect(await run('-raw', '.', '-create', '/Users/alex', 'dsAttrTypeNative:dashes', '-raw', '--', '-plist')).toMatchObject({ exitCode: 0 });
    expect(typed()['dsAttrTypeNative:dashes']).toEqual(['-raw', '--', '-plist']);
  });
});

describe('dscl /Search', () => {
  it('reads the search policy with the multi-line rule for AD node names', async () => {
    const { stdout } = await dscl('/Search', '-read', '/', 'CSPSearchPath', 'SearchPolicy');
    expect(stdout).toBe('CSPSearchPath:\n /Local/Default\n /BSD/local\n /Active Directory/CORP/All Domains\nSearchPolicy: dsAttrTypeStandard:CSPSearchPath\n');
  });

  it('removes the AD node and switches to the automatic search policy', async () => {
    const other = tempMac({ scenario: 'ad-bound' });
    const node = '/Active Directory/CORP/All Domains';
    for (const searchNode of ['/Search', '/Search/Contacts']) {
      expect(await other.run('dscl', [searchNode, '-delete', '/', 'CSPSearchPath', node])).toMatchObject({ exitCode: 0 });
      expect(await other.run('dscl', [searchNode, '-change', '/', 'SearchPolicy', 'dsAttrTypeStandard:CSPSearchPath', 'dsAttrTypeStandard:NSPSearchPath'])).toMatchObject({
        exitCode: 0,
      });
    }
    const state = other.readState();
    expect(state.searchPolicy.search).toMatchObject({ cspSearchPath: ['/Local/Default', '/BSD/local'], searchPolicy: 'dsAttrTypeStandard:NSPSearchPath' });
    expect(state.searchPolicy.contacts.cspSearchPath).not.toContain(node);
    const wrongOld = await other.run('dscl', ['/Search', '-change', '/', 'SearchPolicy', 'CSPSearchPath', 'NSPSearchPath']);
    expect(wrongOld.exitCode).toBe(54);
  });
});

describe('dscl around opendirectoryd', () => {
  it('fails with a DS error while opendirectoryd restarts, then recovers', async () => {
    const other = tempMac({ scenario: 'local-only' });
    other.setDirectoryRestartWindow({ ms: 0, calls: 2 });
    expect(await other.run('killall', ['opendirectoryd'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(await other.run('dscl', ['.', '-read', '/Users/alex', 'UniqueID'])).toMatchObject({
        stdout: '',
        stderr: '<dscl_cmd> DS Error: -14002 (eDSOpenNodeFailed)\n',
        exitCode: 178,
      });
    }
    expect(await other.run('dscl', ['.', '-read', '/Users/alex', 'UniqueID'])).toMatchObject({ stdout: 'UniqueID: 502\n', exitCode: 0 });
    expect(other.readState().opendirectoryd.restarts).toBe(1);
  });
});

describe('dscl authonly and unmodelled calls', () => {
  it('authenticates with the seeded password and refuses a wrong one with eDSAuthFailed', async () => {
    expect(await dscl('.', '-authonly', 'jdoe', 'jdoe-password')).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    const wrong = await dscl('.', '-authonly', 'jdoe', 'nope');
    expect(wrong.exitCode).toBe(10);
    expect(wrong.stderr).toContain('<dscl_cmd> DS Error: -14090 (eDSAuthFailed)');
  });

  it('fails loudly (exit 99) on anything it does not model', async () => {
    for (const args of [
      ['.', '-passwd', '/Users/jdoe', 'x'],
      ['.', '-search', '/Users', 'UniqueID', '501'],
      ['/Active Directory/CORP/All Domains', '-read', '/Users/jdoe'],
      ['.', '-read', '/Computers/x'],
    ]) {
      const result = await dscl(...args);
      expect(result.exitCode, args.join(' ')).toBe(99);
      expect(result.stderr).toMatch(/^macsim: dscl: unsupported invocation: /);
    }
  });

  it('records every call in calls.jsonl with its exit code and whether it wrote', async () => {
    mac.clearCalls();
    await dscl('.', '-read', '/Users/jdoe', 'UniqueID');
    await dscl('.', '-create', '/Users/jdoe', 'JobTitle', 'x');
    const calls = mac.calls();
    expect(calls.map((call) => [call.tool, call.exitCode, call.isWrite])).toEqual([
      ['dscl', 0, false],
      ['dscl', 0, true],
    ]);
    expect(calls[0]?.args).toEqual(['.', '-read', '/Users/jdoe', 'UniqueID']);
    expect(calls[0]?.durationMs).toBeGreaterThan(0);
  });
});

it('keeps records in the dslocal shape on disk', () => {
  const record = mac.readPlist('/var/db/dslocal/nodes/Default/users/jdoe.plist');
  expect(isPlistDict(record)).toBe(true);
  for (const values of Object.values(record as PlistDict)) expect(Array.isArray(values)).toBe(true);
  expect((record as PlistDict).original_node_name).toEqual(['/Active Directory/CORP/corp.example.com']);
  expect(((record as PlistDict).ShadowHashData as unknown[])[0]).toBeInstanceOf(Uint8Array);
});
