import { describe, expect, it } from 'vitest';
import { applyToAttributes, type PlanOperation } from '../../agent/src/plan/operations.js';
import { planRestore, recordDifferences, type AccountState } from '../../agent/src/plan/restore.js';
import { planDemobilization } from '../../agent/src/plan/demobilize.js';
import { DEFAULT_DEMOBILIZE_POLICY } from '../../agent/src/plan/policy.js';
import { mobileRecord, record } from '../inventory/facts-fixture.js';

const before: AccountState = {
  record: record('jdoe', { ...mobileRecord.attributes, 'dsAttrTypeStandard:PrimaryNTDomain': ['CORP'], 'dsAttrTypeNative:ShadowHashData': ['62706c69'] }),
  groups: { staff: false, admin: false },
  accountFile: { contentBase64: Buffer.from('cache').toString('base64'), mode: 0o600 },
};

function afterPartial(count: number): AccountState {
  const plan = planDemobilization(
    { record: before.record, accountFileExists: true, effectiveAdmin: false },
    { sessions: { gui: [], logins: [], processesByUid: {} }, fileVault: { state: 'off', conversion: 'none', autoLogin: false }, fullDiskAccess: 'granted', groups: [], secureTokenHolders: null, userProfiles: {} },
    DEFAULT_DEMOBILIZE_POLICY,
  );
  const operations = plan.operations.slice(0, count);
  return {
    record: { recordName: 'jdoe', attributes: applyToAttributes(before.record.attributes, operations) },
    groups: { staff: operations.some((operation) => operation.op === 'add-group-member'), admin: false },
    accountFile: operations.some((operation) => operation.op === 'remove-account-file') ? null : before.accountFile,
  };
}

describe('planRestore', () => {
  it('puts an account back from any point of a conversion, authority values appended and never rewritten whole', () => {
    for (let count = 0; count <= 12; count += 1) {
      const current = afterPartial(count);
      const { operations, unrestorable } = planRestore(current, before);
      expect(unrestorable).toEqual([]);
      const restored = applyToAttributes(current.record.attributes, operations);
      expect(recordDifferences({ recordName: 'jdoe', attributes: restored }, before.record)).toEqual([]);
      expect(operations.some((operation) => 'attribute' in operation && operation.attribute === 'dsAttrTypeStandard:AuthenticationAuthority' && operation.op !== 'append-values' && operation.op !== 'delete-value')).toBe(false);
    }
  });

  it('tells a native attribute from the standard one of the same short name: the stray one goes, the snapshot one comes back', () => {
    const attributes: Record<string, string[]> = Object.fromEntries(Object.entries({ ...before.record.attributes, 'dsAttrTypeNative:PrimaryNTDomain': ['CORP'] }).map(([key, values]) => [key, [...values]]));
    delete attributes['dsAttrTypeStandard:PrimaryNTDomain'];
    const { operations } = planRestore({ ...before, record: record('jdoe', attributes) }, before);
    expect(operations).toEqual([
      { op: 'delete-attribute', attribute: 'dsAttrTypeNative:PrimaryNTDomain', why: 'absent in the snapshot' },
      { op: 'set-attribute', attribute: 'dsAttrTypeStandard:PrimaryNTDomain', values: ['CORP'], why: 'as in the snapshot' },
    ]);
  });

  it('refuses to plan from a record read without types (a bare attribute name), naming it', () => {
    const untyped = { ...before, record: record('jdoe', { ...before.record.attributes, PrimaryNTDomain: ['CORP'] }) };
    expect(() => planRestore(before, untyped)).toThrow(/attribute "PrimaryNTDomain" has no type .*never written back/);
    expect(() => planRestore(untyped, before)).toThrow(expect.objectContaining({ code: 'E_UNTYPED_ATTRIBUTE' }));
  });

  it('restores group membership and ~/.account, and does nothing when nothing changed', () => {
    expect(planRestore(before, before).operations).toEqual([]);
    const { operations } = planRestore(afterPartial(99), before);
    expect(operations).toContainEqual(expect.objectContaining({ op: 'remove-group-member', group: 'staff' }));
    expect(operations).toContainEqual(expect.objectContaining({ op: 'restore-account-file', mode: 0o600 }));
    expect(operations).toContainEqual(expect.objectContaining({ op: 'set-attribute', attribute: 'dsAttrTypeStandard:PrimaryNTDomain', values: ['CORP'] }));
  });

  it('says what it cannot write back instead of writing a wrong value: the password hash', () => {
    const current = { ...before, record: record('jdoe', { ...before.record.attributes, 'dsAttrTypeNative:ShadowHashData': ['00000000'] }) };
    const { operations, unrestorable } = planRestore(current, before);
    expect(operations).toEqual([]);
    expect(unrestorable).toEqual(['ShadowHashData: the password hash changed; the user needs a password reset']);
  });

  it('never removes a ShadowHash or SecureToken authority that the snapshot lacks', () => {
    const current = { ...before, record: record('jdoe', { ...before.record.attributes, 'dsAttrTypeStandard:AuthenticationAuthority': [...before.record.attributes['dsAttrTypeStandard:AuthenticationAuthority']!, ';SecureToken;x'] }) };
    const snapshot = { ...before, record: record('jdoe', { ...before.record.attributes, 'dsAttrTypeStandard:AuthenticationAuthority': [';ShadowHash;'] }) };
    const { operations, unrestorable } = planRestore(current, snapshot);
    expect(operations.filter((operation) => operation.op === 'delete-value').map((operation) => operation.op === 'delete-value' && operation.value)).not.toContain(';SecureToken;');
    expect(unrestorable.length).toBeGreaterThan(0);
  });
});

describe('planRestore of a renamed account', () => {
  const original: AccountState = {
    record: record('jdoe', { 'dsAttrTypeStandard:RecordName': ['jdoe', 'jd'], 'dsAttrTypeStandard:NFSHomeDirectory': ['/Users/jdoe'], 'dsAttrTypeStandard:UniqueID': ['501'] }),
    groups: { staff: false, admin: false },
    accountFile: null,
  };
  const renamedOps: PlanOperation[] = [
    { op: 'set-attribute', attribute: 'dsAttrTypeNative:io.untether.cloud.username', values: ['john.doe@example.com'], why: 'link' },
    { op: 'rename-record', from: 'jdoe', to: 'john.doe', why: 'rename' },
    { op: 'move-home', from: '/Users/jdoe', to: '/Users/john.doe', why: 'rename' },
    { op: 'set-attribute', attribute: 'dsAttrTypeStandard:NFSHomeDirectory', values: ['/Users/john.doe'], why: 'rename' },
  ];

  it('renames back first, then moves the home back, then restores the attributes', () => {
    const current: AccountState = { ...original, record: { recordName: 'john.doe', attributes: applyToAttributes(original.record.attributes, renamedOps) } };
    expect(current.record.attributes['dsAttrTypeStandard:RecordName']).toEqual(['john.doe', 'jd']);
    const { operations } = planRestore(current, original, { homeFolderAt: '/Users/john.doe' });
    expect(operations).toMatchObject([
      { op: 'rename-record', from: 'john.doe', to: 'jdoe' },
      { op: 'move-home', from: '/Users/john.doe', to: '/Users/jdoe' },
      { op: 'delete-attribute', attribute: 'dsAttrTypeNative:io.untether.cloud.username' },
      { op: 'set-attribute', attribute: 'dsAttrTypeStandard:NFSHomeDirectory', values: ['/Users/jdoe'] },
    ]);
    expect(operations).toHaveLength(4);
    expect(recordDifferences({ recordName: 'jdoe', attributes: applyToAttributes(current.record.attributes, operations) }, original.record)).toEqual([]);
  });

  it('moves nothing when the home folder is where the snapshot says', () => {
    const current: AccountState = { ...original, record: { recordName: 'john.doe', attributes: applyToAttributes(original.record.attributes, renamedOps.slice(0, 2)) } };
    expect(planRestore(current, original, { homeFolderAt: null }).operations.map((operation) => operation.op)).toEqual(['rename-record', 'delete-attribute']);
  });
});
