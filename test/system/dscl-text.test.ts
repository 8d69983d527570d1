import { describe, expect, it } from 'vitest';
import { DS_ERRORS, parseDsErrorName, parseDsclList, parseDsclNames, parseDsclRead } from '../../agent/src/system/dscl-text.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { fixture, fixtureText } from './fake-mac.js';

describe('parseDsclList', () => {
  it('reads the UniqueID listing with values at the shared column', () => {
    const entries = parseDsclList(fixtureText('macos-any/dscl-list-Users-UniqueID'));
    expect(entries).toHaveLength(10);
    expect(entries[0]).toEqual({ recordName: '_accessoryupdater', value: '278' });
    expect(entries[9]).toEqual({ recordName: '_ard', value: '67' });
  });

  it('reads the UserShell listing', () => {
    const entries = parseDsclList(fixtureText('macos-any/dscl-list-Users-UserShell'));
    expect(entries.map((entry) => `${entry.recordName}=${entry.value}`)).toEqual([
      '_amavisd=/usr/bin/false',
      '_uucp=/usr/sbin/uucico',
      'daemon=/usr/bin/false',
      'itsafeature=/bin/bash',
      'nobody=/usr/bin/false',
      'root=/bin/sh',
    ]);
  });

  it('keeps a value containing spaces whole, where awk would cut it', () => {
    const raw = [
      '_reportmemoryexception   /usr/bin/false',
      'jdoe                     /Active Directory/CORP/corp.example.com',
      'k                        /Active Directory/CORP/All Domains',
      '',
    ].join('\n');
    expect(parseDsclList(raw)).toEqual([
      { recordName: '_reportmemoryexception', value: '/usr/bin/false' },
      { recordName: 'jdoe', value: '/Active Directory/CORP/corp.example.com' },
      { recordName: 'k', value: '/Active Directory/CORP/All Domains' },
    ]);
  });

  it('reads a listing with a single record, and an empty listing', () => {
    expect(parseDsclList('jdoe   /Active Directory/CORP/All Domains\n')).toEqual([
      { recordName: 'jdoe', value: '/Active Directory/CORP/All Domains' },
    ]);
    expect(parseDsclList('')).toEqual([]);
  });

  it('keeps several values on one line as printed (joined by single spaces)', () => {
    expect(parseDsclList('admin   root itsafeature\n')).toEqual([{ recordName: 'admin', value: 'root itsafeature' }]);
  });

  it('refuses lines that are not aligned on the value column', () => {
    expect(() => parseDsclList('jdoe 501\n')).toThrow(UnexpectedOutputError);
    expect(() => parseDsclList('jdoe     501\nverylongname 502\n')).toThrow(/not aligned|3-space/);
  });
});

describe('parseDsclNames', () => {
  it('reads one record name per line', () => {
    expect(parseDsclNames('_amavisd\nroot\n\n')).toEqual(['_amavisd', 'root']);
  });
});

describe('parseDsclRead', () => {
  it('reads the macOS 13 system user with its multi-line plist value and native-first order', () => {
    const { attributes, missingKeys } = parseDsclRead(fixtureText('macos-13/dscl-read-nixbld1'));
    expect(missingKeys).toEqual([]);
    expect(Object.keys(attributes)).toEqual([
      'dsAttrTypeNative:_writers_passwd',
      'dsAttrTypeNative:accountPolicyData',
      'dsAttrTypeNative:IsHidden',
      'dsAttrTypeNative:record_daemon_version',
      'dsAttrTypeStandard:AppleMetaNodeLocation',
      'dsAttrTypeStandard:GeneratedUID',
      'dsAttrTypeStandard:NFSHomeDirectory',
      'dsAttrTypeStandard:Password',
      'dsAttrTypeStandard:PrimaryGroupID',
      'dsAttrTypeStandard:RecordName',
      'dsAttrTypeStandard:RecordType',
      'dsAttrTypeStandard:UniqueID',
      'dsAttrTypeStandard:UserShell',
    ]);
    const policy = attributes['dsAttrTypeNative:accountPolicyData']!;
    expect(policy).toHaveLength(1);
    expect(policy[0]).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    expect(policy[0]).toContain('\t<key>creationTime</key>\n\t<real>1667407560.622637</real>');
    expect(policy[0]!.endsWith('</plist>\n')).toBe(true);
    expect(attributes['dsAttrTypeStandard:RecordType']).toEqual(['dsRecTypeStandard:Users']);
    expect(attributes['dsAttrTypeStandard:UniqueID']).toEqual(['301']);
  });

  it('reads the Mojave admin: empty value, multi-line values with spaces, several single-line values', () => {
    const { attributes } = parseDsclRead(fixtureText('macos-10.14/dscl-read-itsafeature'));
    expect(attributes['dsAttrTypeNative:AvatarRepresentation']).toEqual(['']);
    expect(attributes['dsAttrTypeStandard:RealName']).toEqual(["It's a feature"]);
    expect(attributes['dsAttrTypeStandard:Picture']).toEqual(['/Library/User Pictures/Sports/Golf.png']);
    expect(attributes['dsAttrTypeStandard:AuthenticationAuthority']).toEqual([
      ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
      ';Kerberosv5;;itsafeature@LKDC:SHA1.B58C56AD77898DE69AAEFD22A538D6EDDEFF8D47;LKDC:SHA1.B58C56AD77898DE69AAEFD22A538D6EDDEFF8D47;',
      ';SecureToken;',
    ]);
    expect(attributes['dsAttrTypeNative:unlockOptions']).toEqual(['0']);
  });

  it('reads a mobile AuthenticationAuthority printed one value per line because one value has spaces', () => {
    const raw = [
      'AuthenticationAuthority:',
      ' ;LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
      ' ;Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;',
      ' ;ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
      'OriginalNodeName:',
      ' /Active Directory/CORP/corp.example.com',
      '',
    ].join('\n');
    expect(parseDsclRead(raw).attributes).toEqual({
      'dsAttrTypeStandard:AuthenticationAuthority': [
        ';LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
        ';Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;',
        ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
      ],
      'dsAttrTypeStandard:OriginalNodeName': ['/Active Directory/CORP/corp.example.com'],
    });
  });

  it('collects "No such key" lines for requested attributes that are missing', () => {
    const raw = 'UniqueID: 501\nNo such key: OriginalNodeName\nNo such key: CopyTimestamp\n';
    expect(parseDsclRead(raw)).toEqual({
      attributes: { 'dsAttrTypeStandard:UniqueID': ['501'] },
      missingKeys: ['OriginalNodeName', 'CopyTimestamp'],
    });
  });

  it('reads -raw output where standard prefixes are kept, and a hex binary value', () => {
    const raw = 'dsAttrTypeNative:ShadowHashData:\n 62706c69 73743030 d2010203\ndsAttrTypeStandard:UniqueID: 501\n';
    expect(parseDsclRead(raw).attributes).toEqual({
      'dsAttrTypeNative:ShadowHashData': ['62706c69 73743030 d2010203'],
      'dsAttrTypeStandard:UniqueID': ['501'],
    });
  });

  it('refuses text that is neither an attribute nor a value, and a plist value that never closes', () => {
    expect(() => parseDsclRead('garbage line here\n')).toThrow(UnexpectedOutputError);
    expect(() => parseDsclRead('dsAttrTypeNative:accountPolicyData:\n <?xml version="1.0"?>\n<plist>\n')).toThrow(/inside a plist/);
    expect(() => parseDsclRead('UniqueID: 1\nUniqueID: 2\n')).toThrow(/twice/);
  });
});

describe('parseDsErrorName', () => {
  it.each([
    ['macos-any/dscl-read-record-not-found', 'eDSRecordNotFound'],
    ['macos-any/dscl-create-permission-denied', 'eDSPermissionError'],
    ['macos-13/dscl-delete-record-permission-denied', 'eDSPermissionError'],
    ['macos-any/dscl-delete-invalid-path', 'eDSUnknownNodeName'],
    ['macos-any/dscl-change-attribute-not-found', 'eDSAttributeNotFound'],
  ])('names the DS error in %s and its exit code matches the table', (name, expected) => {
    const captured = fixture(name);
    const error = parseDsErrorName(captured.stderr);
    expect(error).toBe(expected);
    expect(DS_ERRORS[error!].exitCode).toBe(captured.exitCode);
  });

  it('answers undefined for stderr without a known DS error', () => {
    expect(parseDsErrorName('')).toBeUndefined();
    expect(parseDsErrorName('<dscl_cmd> DS Error: -14090 (eDSAuthFailed)\n')).toBeUndefined();
  });
});
