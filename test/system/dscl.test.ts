import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendValues,
  changeValue,
  createAttribute,
  deleteAttribute,
  deleteValue,
  dsErrorOf,
  listRecordNames,
  listRecords,
  mergeValues,
  nativeAttribute,
  nativeType,
  readAllRecords,
  readRecord,
  readSearchPolicy,
  removeSearchPath,
  standardAttribute,
  standardType,
} from '../../agent/src/system/dscl.js';
import { parseDsclPlistRecord, parseDsclPlistRecords } from '../../agent/src/system/directory-record.js';
import { SystemToolError } from '../../agent/src/system/errors.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { buildXmlPlist } from '../../agent/src/system/plist.js';
import { FakeMac, fixture, fixtureText } from './fake-mac.js';

const READALL = 'macos-14/dscl-plist-readall-Users';
const READ_MOBILE = 'macos-14/dscl-plist-read-mobile-jdoe';

describe('parseDsclPlistRecords', () => {
  it('reads every record of a readall listing keyed by full attribute type names', () => {
    const { records, unreadable } = parseDsclPlistRecords(fixtureText(READALL));
    expect(unreadable).toEqual([]);
    expect(records.map((record) => record.recordName)).toEqual(['_amavisd', 'jdoe', 'localadmin']);
    const jdoe = records[1]!;
    expect(standardAttribute(jdoe, 'UniqueID')).toEqual(['1104562915']);
    expect(standardAttribute(jdoe, 'OriginalNodeName')).toEqual(['/Active Directory/CORP/corp.example.com']);
    expect(nativeAttribute(jdoe, 'cached_groups')).toHaveLength(2);
    expect(Object.keys(jdoe.attributes).every((key) => key.startsWith('dsAttrType'))).toBe(true);
  });

  it('decodes XML entities and keeps an AuthenticationAuthority value with spaces whole', () => {
    const jdoe = parseDsclPlistRecords(fixtureText(READALL)).records[1]!;
    expect(standardAttribute(jdoe, 'AuthenticationAuthority')).toEqual([
      ';LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
      ';Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;',
      ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
      ';SecureToken;',
    ]);
    expect(nativeAttribute(jdoe, 'accountPolicyData')?.[0]).toMatch(/^<\?xml[\s\S]*<\/plist>\n$/);
  });

  it('keeps every RecordName value and an empty attribute as an empty array', () => {
    const [amavisd, , localadmin] = parseDsclPlistRecords(fixtureText(READALL)).records;
    expect(standardAttribute(amavisd!, 'RecordName')).toEqual(['_amavisd', 'amavisd']);
    expect(nativeAttribute(localadmin!, 'AvatarRepresentation')).toEqual([]);
  });

  it('answers undefined for an absent attribute, including names of Object.prototype members', () => {
    const record = parseDsclPlistRecords(fixtureText(READALL)).records[2]!;
    expect(standardAttribute(record, 'OriginalNodeName')).toBeUndefined();
    expect(nativeAttribute(record, 'constructor')).toBeUndefined();
    expect(standardAttribute(record, 'toString')).toBeUndefined();
  });

  it('handles values with spaces, quotes, unicode, empty strings, empty arrays and a 1 MB value', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const odd = {
      'dsAttrTypeStandard:RecordName': ['zoë "quoted" o\'brien'],
      'dsAttrTypeStandard:RealName': ['Zoë Ångström — 東京 🙂', ''],
      'dsAttrTypeStandard:Comment': ['a & b < c > d', '  leading and trailing  '],
      'dsAttrTypeNative:empty': [],
      'dsAttrTypeNative:huge': [huge],
      'dsAttrTypeNative:multiline': ['line 1\nline 2\n'],
    };
    const { records, unreadable } = parseDsclPlistRecords(buildXmlPlist([odd]));
    expect(unreadable).toEqual([]);
    expect(records[0]!.recordName).toBe('zoë "quoted" o\'brien');
    expect(records[0]!.attributes).toEqual(odd);
    expect(nativeAttribute(records[0]!, 'huge')?.[0]).toHaveLength(1024 * 1024);
  });

  it('reports a record holding a non-string value as unreadable and still reads the others', () => {
    const xml = fixtureText(READALL).replace(
      '<string>/var/virusmails</string>',
      '<integer>7</integer>',
    );
    const { records, unreadable } = parseDsclPlistRecords(xml);
    expect(records.map((record) => record.recordName)).toEqual(['jdoe', 'localadmin']);
    expect(unreadable).toEqual([
      { index: 0, recordName: '_amavisd', reason: 'attribute dsAttrTypeStandard:NFSHomeDirectory holds a number value, not a string' },
    ]);
  });

  it('reports a record without RecordName as unreadable', () => {
    const { unreadable } = parseDsclPlistRecords(buildXmlPlist([{ 'dsAttrTypeStandard:UniqueID': ['5'] }]));
    expect(unreadable).toEqual([{ index: 0, recordName: undefined, reason: 'no dsAttrTypeStandard:RecordName value' }]);
  });

  it('refuses a malformed plist, a dictionary where an array belongs, binary and empty output', () => {
    expect(() => parseDsclPlistRecords('<plist><array><dict></array></plist>')).toThrow(UnexpectedOutputError);
    expect(() => parseDsclPlistRecords(fixtureText(READ_MOBILE))).toThrow(/top-level array/);
    expect(() => parseDsclPlistRecords('bplist00\u0000\u0001')).toThrow(/binary/);
    expect(() => parseDsclPlistRecords('')).toThrow(/empty output/);
    expect(() => parseDsclPlistRecords('( "OpenStep" )')).toThrow(/XML property list/);
  });
});

describe('parseDsclPlistRecord', () => {
  it('reads a single mobile account record', () => {
    const record = parseDsclPlistRecord(fixtureText(READ_MOBILE));
    expect(record.recordName).toBe('jdoe');
    expect(standardAttribute(record, 'PrimaryNTDomain')).toEqual(['CORP']);
    expect(nativeAttribute(record, 'ShadowHashData')?.[0]).toMatch(/^62706c69 73743030 /);
  });
});

describe('dscl tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('reads all users with one dscl -plist -readall call', async () => {
    mac.installFixture('dscl', READALL);
    const listing = await readAllRecords('/Users');
    expect(listing.records).toHaveLength(3);
    expect(mac.calls('dscl')).toEqual([{ args: ['-plist', '.', '-readall', '/Users'], stdin: '' }]);
  });

  it('reads a readall listing with a 1 MB value through a real process', async () => {
    const huge = 'ab '.repeat(350_000);
    mac.install('dscl', { stdout: buildXmlPlist([{ 'dsAttrTypeStandard:RecordName': ['big'], 'dsAttrTypeNative:blob': [huge] }]) });
    const { records } = await readAllRecords('/Users');
    expect(nativeAttribute(records[0]!, 'blob')).toEqual([huge]);
  });

  it('turns a malformed readall plist into a SystemToolError naming dscl and its arguments', async () => {
    mac.install('dscl', { stdout: '<?xml version="1.0"?><plist><array><dict><key>x</key>' });
    const error = await readAllRecords('/Users').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemToolError);
    expect(error).toMatchObject({ code: 'E_TOOL_OUTPUT', tool: 'dscl', args: ['-plist', '.', '-readall', '/Users'] });
    expect((error as Error).message).toMatch(/^parsing output of dscl -plist \. -readall \/Users: stdout: malformed XML property list/);
  });

  it('answers not-found for eDSRecordNotFound instead of throwing', async () => {
    mac.installFixture('dscl', 'macos-any/dscl-read-record-not-found');
    await expect(readRecord('/Users/games9')).resolves.toEqual({ kind: 'not-found', path: '/Users/games9' });
    expect(mac.calls('dscl')[0]!.args).toEqual(['-plist', '.', '-read', '/Users/games9']);
  });

  it('reads one record as found', async () => {
    mac.installFixture('dscl', READ_MOBILE);
    const lookup = await readRecord('/Users/jdoe');
    expect(lookup.kind === 'found' && lookup.record.recordName).toBe('jdoe');
  });

  it('throws a SystemToolError with the DS error for a permission error', async () => {
    mac.installFixture('dscl', 'macos-any/dscl-create-permission-denied');
    const error = await createAttribute('/Users/jdoe', standardType('UserShell'), ['/bin/zsh']).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'E_TOOL_FAILED',
      tool: 'dscl',
      exitCode: 40,
      dsError: { status: -14120, name: 'eDSPermissionError' },
    });
    expect(dsErrorOf(error)).toBe('eDSPermissionError');
  });

  it('reports eDSAttributeNotFound when changing a value that is not there', async () => {
    mac.installFixture('dscl', 'macos-any/dscl-change-attribute-not-found');
    const error = await changeValue('/Users/jdoe', standardType('UserShell'), '/bin/tcsh', '/bin/zsh').catch((caught: unknown) => caught);
    expect(dsErrorOf(error)).toBe('eDSAttributeNotFound');
    expect(error).toMatchObject({ exitCode: 54 });
  });

  it('names every attribute of every write by its full type under -raw, standard or native, mapped or not', async () => {
    mac.install('dscl', {});
    await deleteAttribute('/Users/jdoe', standardType('PrimaryNTDomain'));
    await deleteAttribute('/Users/jdoe', standardType('AppleMetaRecordName'));
    await deleteAttribute('/Users/jdoe', standardType('OriginalNodeName'));
    await deleteAttribute('/Users/jdoe', nativeType('cached_groups'));
    await createAttribute('/Users/jdoe', standardType('NetworkUser'), ['jdoe@example.com']);
    await createAttribute('/Users/jdoe', nativeType('_xcreds_oidc_username'), ['jdoe']);
    await createAttribute('/Users/jdoe', standardType('AppleMetaRecordName'), ['CN=John Doe,DC=corp']);
    expect(mac.calls('dscl').map((call) => call.args)).toEqual([
      ['-raw', '.', '-delete', '/Users/jdoe', 'dsAttrTypeStandard:PrimaryNTDomain'],
      ['-raw', '.', '-delete', '/Users/jdoe', 'dsAttrTypeStandard:AppleMetaRecordName'],
      ['-raw', '.', '-delete', '/Users/jdoe', 'dsAttrTypeStandard:OriginalNodeName'],
      ['-raw', '.', '-delete', '/Users/jdoe', 'dsAttrTypeNative:cached_groups'],
      ['-raw', '.', '-create', '/Users/jdoe', 'dsAttrTypeStandard:NetworkUser', 'jdoe@example.com'],
      ['-raw', '.', '-create', '/Users/jdoe', 'dsAttrTypeNative:_xcreds_oidc_username', 'jdoe'],
      ['-raw', '.', '-create', '/Users/jdoe', 'dsAttrTypeStandard:AppleMetaRecordName', 'CN=John Doe,DC=corp'],
    ]);
  });

  it('passes values (spaces, semicolons, a leading dash) as single arguments after the attribute, never before the data source', async () => {
    mac.install('dscl', {});
    const value = ';LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9';
    await deleteValue('/Users/jdoe', standardType('AuthenticationAuthority'), value);
    await appendValues('/Users/jdoe', standardType('AuthenticationAuthority'), [';SecureToken;']);
    await mergeValues('/Groups/staff', standardType('GroupMembership'), ['jdoe']);
    await createAttribute('/Users/jdoe', standardType('RealName'), ['-plist John Doe']);
    await changeValue('/Users/jdoe', standardType('PrimaryGroupID'), '1522360086', '-20');
    expect(mac.calls('dscl').map((call) => call.args)).toEqual([
      ['-raw', '.', '-delete', '/Users/jdoe', 'dsAttrTypeStandard:AuthenticationAuthority', value],
      ['-raw', '.', '-append', '/Users/jdoe', 'dsAttrTypeStandard:AuthenticationAuthority', ';SecureToken;'],
      ['-raw', '.', '-merge', '/Groups/staff', 'dsAttrTypeStandard:GroupMembership', 'jdoe'],
      ['-raw', '.', '-create', '/Users/jdoe', 'dsAttrTypeStandard:RealName', '-plist John Doe'],
      ['-raw', '.', '-change', '/Users/jdoe', 'dsAttrTypeStandard:PrimaryGroupID', '1522360086', '-20'],
    ]);
  });

  it('refuses record paths and attribute names it does not recognise before running dscl', async () => {
    mac.install('dscl', {});
    await expect(readRecord('jdoe')).rejects.toThrow(TypeError);
    await expect(readRecord('/Users/../etc')).rejects.toThrow(TypeError);
    await expect(deleteAttribute('/Users/jdoe', 'OriginalNodeName' as never)).rejects.toThrow(/full type name/);
    await expect(appendValues('/Users/jdoe', standardType('RealName'), [])).rejects.toThrow(TypeError);
    expect(mac.calls('dscl')).toEqual([]);
  });

  it('lists records having an attribute with the whole rest of each line', async () => {
    mac.installFixture('dscl', 'macos-any/dscl-list-Users-UserShell');
    const entries = await listRecords('/Users', standardType('UserShell'));
    expect(entries[3]).toEqual({ recordName: 'itsafeature', value: '/bin/bash' });
    expect(mac.calls('dscl')[0]!.args).toEqual(['-raw', '.', '-list', '/Users', 'dsAttrTypeStandard:UserShell']);
  });

  it('lists record names', async () => {
    mac.install('dscl', { stdout: '_amavisd\ndaemon\njdoe\nroot\n' });
    await expect(listRecordNames('/Users')).resolves.toEqual(['_amavisd', 'daemon', 'jdoe', 'root']);
  });

  it('reads the /Search policy and removes one search path entry', async () => {
    const policy = {
      'dsAttrTypeStandard:CSPSearchPath': ['/Local/Default', '/Active Directory/CORP/All Domains'],
      'dsAttrTypeStandard:SearchPolicy': ['dsAttrTypeStandard:CSPSearchPath'],
    };
    mac.install('dscl', { stdout: buildXmlPlist(policy) });
    await expect(readSearchPolicy('/Search')).resolves.toEqual({
      searchPolicy: 'dsAttrTypeStandard:CSPSearchPath',
      cspSearchPath: ['/Local/Default', '/Active Directory/CORP/All Domains'],
    });
    await removeSearchPath('/Search/Contacts', '/Active Directory/CORP/All Domains');
    expect(mac.calls('dscl').map((call) => call.args)).toEqual([
      ['-plist', '/Search', '-read', '/', 'SearchPolicy', 'CSPSearchPath'],
      ['-raw', '/Search/Contacts', '-delete', '/', 'dsAttrTypeStandard:CSPSearchPath', '/Active Directory/CORP/All Domains'],
    ]);
  });

  it('answers an empty search path when the attribute is absent', async () => {
    mac.install('dscl', { stdout: buildXmlPlist({ 'dsAttrTypeStandard:SearchPolicy': ['dsAttrTypeStandard:NSPSearchPath'] }) });
    await expect(readSearchPolicy('/Search')).resolves.toEqual({ searchPolicy: 'dsAttrTypeStandard:NSPSearchPath', cspSearchPath: [] });
  });

  it('fails with E_TOOL_MISSING when dscl is not installed', async () => {
    const error = await readAllRecords('/Users').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_TOOL_MISSING', tool: 'dscl', exitCode: 127 });
  });

  it('keeps the invalid-path asymmetry visible: delete of a missing record is eDSUnknownNodeName', async () => {
    const invalid = fixture('macos-any/dscl-delete-invalid-path');
    mac.install('dscl', invalid);
    const error = await deleteAttribute('/Users/_nixbld10', standardType('UserShell')).catch((caught: unknown) => caught);
    expect(dsErrorOf(error)).toBe('eDSUnknownNodeName');
    expect(error).toMatchObject({ exitCode: 185, stdout: 'delete: Invalid Path\n' });
  });
});
