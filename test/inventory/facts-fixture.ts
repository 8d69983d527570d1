// Plain-value scan facts for pure tests: a bound Mac with one mobile, one local and one system account.
import type { DirectoryRecord } from '../../agent/src/system/dscl.js';
import type { ScanFacts } from '../../agent/src/inventory/facts.js';

export function record(name: string, attributes: Record<string, string[]>): DirectoryRecord {
  return { recordName: name, attributes: { 'dsAttrTypeStandard:RecordName': [name], ...attributes } };
}

export const MOBILE_GUID = '0A7C1A52-6D8B-4C59-9E7F-2B1C3D4E5F60';
export const LOCAL_GUID = 'C4713E84-50C7-419E-ABC4-766DFE170F56';

export const mobileRecord = record('jdoe', {
  'dsAttrTypeStandard:UniqueID': ['1853244162'],
  'dsAttrTypeStandard:PrimaryGroupID': ['1583428591'],
  'dsAttrTypeStandard:GeneratedUID': [MOBILE_GUID],
  'dsAttrTypeStandard:NFSHomeDirectory': ['/Users/jdoe'],
  'dsAttrTypeStandard:RealName': ["Zoë O'Brien"],
  'dsAttrTypeStandard:OriginalNodeName': ['/Active Directory/CORP/All Domains'],
  'dsAttrTypeStandard:AuthenticationAuthority': [
    ';LocalCachedUser;/Active Directory/CORP/All Domains:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
    ';Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;',
    ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
    ';SecureToken;',
  ],
});

export const localRecord = record('localadmin', {
  'dsAttrTypeStandard:UniqueID': ['501'],
  'dsAttrTypeStandard:PrimaryGroupID': ['20'],
  'dsAttrTypeStandard:GeneratedUID': [LOCAL_GUID],
  'dsAttrTypeStandard:NFSHomeDirectory': ['/Users/localadmin'],
  'dsAttrTypeStandard:AuthenticationAuthority': [';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2>', ';SecureToken;'],
});

export const systemRecord = record('_nixbld1', {
  'dsAttrTypeStandard:UniqueID': ['301'],
  'dsAttrTypeNative:IsHidden': ['1'],
});

export function baseFacts(overrides: Partial<ScanFacts> = {}): ScanFacts {
  return {
    collectedAt: new Date('2026-11-24T12:00:00Z'),
    agentVersion: '9.9.9',
    users: { records: [mobileRecord, localRecord, systemRecord], unreadable: [] },
    adminGroup: { ok: true, value: { kind: 'found', record: record('admin', { 'dsAttrTypeStandard:GroupMembership': ['root', 'localadmin'] }) } },
    disabledGroup: { ok: true, value: { kind: 'not-found', path: '/Groups/com.apple.access_disabled' } },
    binding: { ok: true, value: { bound: true, forest: 'corp.example.com', domain: 'corp.example.com', computerAccount: 'MAC-0001$', options: {} } },
    fileVault: { ok: true, value: { on: true, encryptionInProgress: false, decryptionInProgress: false, lines: ['FileVault is On.'] } },
    fileVaultUsers: { ok: true, value: [{ name: 'localadmin', uuid: LOCAL_GUID }] },
    cryptoUsers: { ok: true, value: [{ uuid: LOCAL_GUID, type: 'Local Open Directory User' }, { uuid: MOBILE_GUID, type: 'Local Open Directory User' }] },
    consoleUser: { ok: true, value: { kind: 'user', name: 'jdoe', uid: 1853244162 } },
    sessions: { ok: true, value: { gui: [{ name: 'jdoe', uid: 1853244162, onConsole: true }], logins: [], processesByUid: { '0': 150, '1853244162': 60 } } },
    macOS: { ok: true, value: { productName: 'macOS', productVersion: '14.6.1', buildVersion: '23G93', major: 14, minor: 6, patch: 1 } },
    profiles: { ok: true, value: { computer: ['com.example.wifi'], byUser: { jdoe: ['com.example.user.vpn'] } } },
    enrollment: { ok: true, value: { dep: true, mdm: 'user-approved' } },
    loginChain: { ok: true, value: { class: 'evaluate-mechanisms', mechanisms: ['builtin:prelogin', 'loginwindow:login', 'loginwindow:done'] } },
    defaultLoginChain: { ok: true, value: ['builtin:prelogin', 'loginwindow:login', 'loginwindow:done'] },
    disableFdeAutoLogin: { ok: true, value: { managed: undefined, local: true } },
    ...overrides,
  };
}
