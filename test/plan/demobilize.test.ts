import { describe, expect, it } from 'vitest';
import { isDirectoryKerberosAuthority, planDemobilization, type DemobilizeFacts } from '../../agent/src/plan/demobilize.js';
import { applyToAttributes, describeOperation, planOperationSchema } from '../../agent/src/plan/operations.js';
import { DEFAULT_DEMOBILIZE_POLICY, demobilizePolicySchema } from '../../agent/src/plan/policy.js';
import { LOCAL_GUID, localRecord, MOBILE_GUID, mobileRecord, record } from '../inventory/facts-fixture.js';

const LKDC = ';Kerberosv5;;jdoe@LKDC:SHA1.B58C56AD77898DE69AAEFD22A538D6EDDEFF8D47;LKDC:SHA1.B58C56AD77898DE69AAEFD22A538D6EDDEFF8D47;';

const fullMobile = record('jdoe', {
  ...mobileRecord.attributes,
  'dsAttrTypeStandard:AuthenticationAuthority': [
    ';LocalCachedUser;/Active Directory/CORP/All Domains:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
    ';Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;',
    ';LocalCachedUser;/Active Directory/CORP/corp.example.com:jdoe:9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
    ';Kerberosv5;;jdoe@EMEA.CORP.EXAMPLE.COM;EMEA.CORP.EXAMPLE.COM;',
    LKDC,
    ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>',
    ';SecureToken;',
  ],
  'dsAttrTypeStandard:Password': ['********'],
  'dsAttrTypeStandard:PrimaryNTDomain': ['CORP'],
  'dsAttrTypeStandard:AppleMetaRecordName': ['CN=John Doe,OU=Staff,DC=corp,DC=example,DC=com'],
  'dsAttrTypeStandard:SMBSID': ['S-1-5-21-1-2-3-1104'],
  'dsAttrTypeStandard:CopyTimestamp': ['2026-01-01T00:00:00Z'],
  'dsAttrTypeNative:cached_groups': ['<plist/>'],
  'dsAttrTypeStandard:AltSecurityIdentities': ['X509:<T>CN=CA<S>CN=jdoe'],
  'dsAttrTypeNative:ShadowHashData': ['62706c69 73743030'],
});

function facts(overrides: Partial<DemobilizeFacts> = {}): DemobilizeFacts {
  return {
    sessions: { gui: [], logins: [], processesByUid: {} },
    fileVault: { state: 'on', conversion: 'none', autoLogin: false },
    fullDiskAccess: 'granted',
    groups: [
      record('staff', { 'dsAttrTypeStandard:PrimaryGroupID': ['20'], 'dsAttrTypeStandard:GroupMembership': ['localadmin'] }),
      record('admin', { 'dsAttrTypeStandard:PrimaryGroupID': ['80'], 'dsAttrTypeStandard:GroupMembership': ['root', 'localadmin'] }),
    ],
    secureTokenHolders: [LOCAL_GUID, MOBILE_GUID],
    userProfiles: {},
    ...overrides,
  };
}

const target = (overrides: Partial<{ accountFileExists: boolean; effectiveAdmin: boolean }> = {}) => ({ record: fullMobile, accountFileExists: true, effectiveAdmin: false, ...overrides });

describe('planDemobilization', () => {
  it('removes every LocalCachedUser and AD Kerberos authority, keeping the local realm, ShadowHash and SecureToken', () => {
    const plan = planDemobilization(target(), facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(plan.action).toBe('convert');
    const after = applyToAttributes(fullMobile.attributes, plan.operations);
    expect(after['dsAttrTypeStandard:AuthenticationAuthority']).toEqual([LKDC, ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>', ';SecureToken;']);
    expect(plan.operations.some((operation) => operation.op === 'delete-attribute' && operation.attribute === 'dsAttrTypeStandard:AuthenticationAuthority')).toBe(false);
  });

  it('edits the authority first, then deletes only the cached attributes that exist, each by its full type', () => {
    const plan = planDemobilization(target(), facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(plan.operations.slice(0, 4).every((operation) => operation.op === 'delete-value')).toBe(true);
    const deletes = plan.operations.filter((operation) => operation.op === 'delete-attribute');
    expect(deletes.map((operation) => operation.op === 'delete-attribute' && operation.attribute)).toEqual([
      'dsAttrTypeStandard:OriginalNodeName',
      'dsAttrTypeStandard:CopyTimestamp',
      'dsAttrTypeNative:cached_groups',
      'dsAttrTypeStandard:SMBSID',
      'dsAttrTypeStandard:PrimaryNTDomain',
      'dsAttrTypeStandard:AppleMetaRecordName',
    ]);
  });

  it('never touches UID, GeneratedUID, home or the password hash, and keeps smart-card pairing by default', () => {
    const plan = planDemobilization(target(), facts(), DEFAULT_DEMOBILIZE_POLICY);
    const after = applyToAttributes(fullMobile.attributes, plan.operations);
    for (const kept of ['UniqueID', 'GeneratedUID', 'NFSHomeDirectory', 'AltSecurityIdentities']) {
      expect(after[`dsAttrTypeStandard:${kept}`]).toEqual(fullMobile.attributes[`dsAttrTypeStandard:${kept}`]);
    }
    expect(after['dsAttrTypeNative:ShadowHashData']).toEqual(['62706c69 73743030']);
    const removing = planDemobilization(target(), facts(), demobilizePolicySchema.parse({ altSecurityIdentities: 'remove' }));
    expect(applyToAttributes(fullMobile.attributes, removing.operations)['dsAttrTypeStandard:AltSecurityIdentities']).toBeUndefined();
  });

  it('sets Password only when it is not the placeholder, removes ~/.account, resolves the primary group and joins staff', () => {
    const plan = planDemobilization(target(), facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(plan.operations.some((operation) => operation.op === 'set-attribute' && operation.attribute === 'dsAttrTypeStandard:Password')).toBe(false);
    expect(plan.operations).toContainEqual(expect.objectContaining({ op: 'remove-account-file' }));
    expect(plan.operations).toContainEqual(expect.objectContaining({ op: 'set-attribute', attribute: 'dsAttrTypeStandard:PrimaryGroupID', values: ['20'] }));
    expect(plan.operations).toContainEqual(expect.objectContaining({ op: 'add-group-member', group: 'staff' }));
    const withoutPassword = planDemobilization({ ...target(), record: record('jdoe', { ...fullMobile.attributes, 'dsAttrTypeStandard:Password': ['x'] }) }, facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(withoutPassword.operations).toContainEqual(expect.objectContaining({ op: 'set-attribute', attribute: 'dsAttrTypeStandard:Password', values: ['********'] }));
  });

  it('keeps an AD admin an admin after unbind, and follows grant and revoke', () => {
    const preserve = planDemobilization(target({ effectiveAdmin: true }), facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(preserve.operations).toContainEqual(expect.objectContaining({ op: 'add-group-member', group: 'admin' }));
    const notAdmin = planDemobilization(target(), facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(notAdmin.operations.some((operation) => operation.op === 'add-group-member' && operation.group === 'admin')).toBe(false);
    const adminFacts = facts({ groups: [record('admin', { 'dsAttrTypeStandard:PrimaryGroupID': ['80'], 'dsAttrTypeStandard:GroupMembership': ['jdoe'] })] });
    const revoke = planDemobilization(target(), adminFacts, demobilizePolicySchema.parse({ admin: 'revoke' }));
    expect(revoke.operations).toContainEqual(expect.objectContaining({ op: 'remove-group-member', group: 'admin' }));
  });

  it('skips a logged-in user by default and converts with loggedInUser=allow', () => {
    const atConsole = { gui: [{ name: 'jdoe', uid: 1853244162, onConsole: true }], logins: [], processesByUid: {} };
    const skipped = planDemobilization(target(), facts({ sessions: atConsole }), DEFAULT_DEMOBILIZE_POLICY);
    expect(skipped.action).toBe('skip');
    expect(skipped.gates).toContainEqual(expect.objectContaining({ gate: 'logged-in', outcome: 'skip' }));
    expect(planDemobilization(target(), facts({ sessions: atConsole }), demobilizePolicySchema.parse({ loggedInUser: 'allow' })).action).toBe('convert');
  });

  it('counts every session as logged in: fast user switching, SSH, a terminal, processes of the uid, and unknown', () => {
    const none = { gui: [], logins: [], processesByUid: {} };
    const cases = [
      { ...none, gui: [{ name: 'someone-else', uid: 1853244162, onConsole: false }] },
      { ...none, logins: [{ name: 'JDOE', line: 'ttys001', host: '10.0.0.5' }] },
      { ...none, logins: [{ name: 'jdoe', line: 'ttys000', host: null }] },
      { ...none, processesByUid: { '1853244162': 3 } },
    ];
    for (const sessions of cases) {
      const plan = planDemobilization(target(), facts({ sessions }), DEFAULT_DEMOBILIZE_POLICY);
      expect(plan.action, JSON.stringify(sessions)).toBe('skip');
    }
    expect(planDemobilization(target(), facts({ sessions: null }), DEFAULT_DEMOBILIZE_POLICY).gates).toContainEqual(expect.objectContaining({ gate: 'logged-in', outcome: 'skip' }));
    // Another user's sessions and root's processes do not hold this account back.
    const others = { gui: [{ name: 'alex', uid: 502, onConsole: true }], logins: [{ name: 'alex', line: 'ttys000', host: null }], processesByUid: { '0': 200, '502': 60 } };
    expect(planDemobilization(target(), facts({ sessions: others }), DEFAULT_DEMOBILIZE_POLICY).action).toBe('convert');
  });

  it('refuses while FileVault converts or its state is unknown, and when Full Disk Access is missing for ~/.account', () => {
    expect(planDemobilization(target(), facts({ fileVault: { state: 'on', conversion: 'encrypting', autoLogin: false } }), DEFAULT_DEMOBILIZE_POLICY).action).toBe('refuse');
    expect(planDemobilization(target(), facts({ fileVault: { state: 'unknown', conversion: 'unknown', autoLogin: 'unknown' } }), DEFAULT_DEMOBILIZE_POLICY).action).toBe('refuse');
    const fda = planDemobilization(target(), facts({ fullDiskAccess: 'denied' }), DEFAULT_DEMOBILIZE_POLICY);
    expect(fda.action).toBe('refuse');
    expect(fda.gates).toContainEqual(expect.objectContaining({ gate: 'full-disk-access', outcome: 'refuse' }));
    expect(planDemobilization(target({ accountFileExists: false }), facts({ fullDiskAccess: 'denied' }), DEFAULT_DEMOBILIZE_POLICY).action).toBe('convert');
  });

  it('warns (or blocks by policy) for user-level profiles, and warns for the sole SecureToken holder and FileVault auto-login', () => {
    const withProfile = facts({ userProfiles: { jdoe: ['com.example.vpn'] }, secureTokenHolders: [MOBILE_GUID], fileVault: { state: 'on', conversion: 'none', autoLogin: true } });
    const plan = planDemobilization(target(), withProfile, DEFAULT_DEMOBILIZE_POLICY);
    expect(plan.action).toBe('convert');
    expect(plan.gates.map((gate) => [gate.gate, gate.outcome])).toEqual([
      ['secure-token', 'warn'],
      ['user-profiles', 'warn'],
      ['filevault-autologin', 'warn'],
    ]);
    expect(planDemobilization(target(), withProfile, demobilizePolicySchema.parse({ userProfiles: 'block' })).action).toBe('refuse');
  });

  it('does nothing to an account that is already local, so a second run is a no-op', () => {
    const plan = planDemobilization({ record: localRecord, accountFileExists: false, effectiveAdmin: true }, facts(), DEFAULT_DEMOBILIZE_POLICY);
    expect(plan).toMatchObject({ action: 'skip', operations: [] });
    expect(plan.gates[0]).toMatchObject({ gate: 'not-mobile' });
  });

  it('handles hostile values: quotes, unicode, huge values and unknown authority tokens pass through untouched', () => {
    const hostile = record("o'brien \"zoë\"", {
      ...fullMobile.attributes,
      'dsAttrTypeStandard:RealName': ['Zoë "\'; rm -rf /'],
      'dsAttrTypeStandard:AuthenticationAuthority': [';LocalCachedUser;/Active Directory/CORP/All Domains:o\'brien:GUID', ';DisabledUser;', ';Kerberosv5;;malformed', ';ShadowHash;', 'x'.repeat(100_000)],
    });
    const plan = planDemobilization({ record: hostile, accountFileExists: false, effectiveAdmin: false }, facts(), DEFAULT_DEMOBILIZE_POLICY);
    const after = applyToAttributes(hostile.attributes, plan.operations);
    expect(after['dsAttrTypeStandard:AuthenticationAuthority']).toEqual([';DisabledUser;', ';Kerberosv5;;malformed', ';ShadowHash;', 'x'.repeat(100_000)]);
  });

  it('refuses a record without UID or GeneratedUID, which could not be verified', () => {
    const broken = record('broken', { 'dsAttrTypeStandard:OriginalNodeName': ['/Active Directory/X/All Domains'] });
    expect(planDemobilization({ record: broken, accountFileExists: false, effectiveAdmin: false }, facts(), DEFAULT_DEMOBILIZE_POLICY).action).toBe('refuse');
  });

  it('tells AD Kerberos authorities from the local realm one', () => {
    expect(isDirectoryKerberosAuthority(';Kerberosv5;;jdoe@CORP.EXAMPLE.COM;CORP.EXAMPLE.COM;')).toBe(true);
    expect(isDirectoryKerberosAuthority(LKDC)).toBe(false);
    expect(isDirectoryKerberosAuthority(';Kerberosv5;;malformed')).toBe(false);
    expect(isDirectoryKerberosAuthority(';ShadowHash;')).toBe(false);
  });
});

describe('planDemobilization with primaryGroup=keep-with-alias', () => {
  it('keeps the AD GID and ensures a local alias group for it instead of switching to staff', () => {
    const plan = planDemobilization(target(), facts(), demobilizePolicySchema.parse({ primaryGroup: 'keep-with-alias' }));
    expect(plan.operations.some((operation) => operation.op === 'set-attribute' && operation.attribute === 'dsAttrTypeStandard:PrimaryGroupID')).toBe(false);
    expect(plan.operations).toContainEqual(expect.objectContaining({ op: 'ensure-alias-group', group: 'ad-primary-1583428591', gid: 1583428591 }));
  });
});

describe('plan operations across the typed-writes upgrade', () => {
  it('still reads a journaled delete-attribute with the old raw flag, and shows a native attribute with its prefix', () => {
    const old = planOperationSchema.parse({ op: 'delete-attribute', attribute: 'dsAttrTypeStandard:PrimaryNTDomain', raw: true, why: 'cached' });
    expect(old).toMatchObject({ op: 'delete-attribute', attribute: 'dsAttrTypeStandard:PrimaryNTDomain' });
    expect(planOperationSchema.safeParse({ op: 'delete-attribute', attribute: 'PrimaryNTDomain', why: 'bare' }).success).toBe(false);
    expect(describeOperation({ op: 'delete-attribute', attribute: 'dsAttrTypeNative:PrimaryNTDomain', why: 'stray' })).toBe('delete dsAttrTypeNative:PrimaryNTDomain (stray)');
    expect(describeOperation({ op: 'delete-attribute', attribute: 'dsAttrTypeStandard:PrimaryNTDomain', why: 'cached' })).toBe('delete PrimaryNTDomain (cached)');
  });
});
