// The pure lock decisions: where a disabled account shows, which lock is Untether's, and every refusal.
import { describe, expect, it } from 'vitest';
import { accountsLinkedTo, disabledState, lockStatus, planLock, planUnlock, type LockFacts, type LockProvenance } from '../../agent/src/plan/lock.js';
import type { DirectoryRecord } from '../../agent/src/system/dscl.js';
import { record } from '../inventory/facts-fixture.js';

const AA = 'dsAttrTypeStandard:AuthenticationAuthority';
const HASH = ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>';

function user(name: string, uid: number, guid: string, extra: Record<string, string[]> = {}): DirectoryRecord {
  return record(name, { 'dsAttrTypeStandard:UniqueID': [String(uid)], 'dsAttrTypeStandard:GeneratedUID': [guid], [AA]: [HASH, ';SecureToken;'], ...extra });
}

const ALEX = user('alex', 502, 'AAAAAAAA-0000-0000-0000-000000000001');
const ADMIN = user('localadmin', 501, 'AAAAAAAA-0000-0000-0000-000000000002');
const BOSS = user('boss', 503, 'AAAAAAAA-0000-0000-0000-000000000003');
const admins = (...names: string[]) => record('admin', { 'dsAttrTypeStandard:GroupMembership': ['root', ...names] });
const disabledGroup = (extra: Record<string, string[]> = {}) => record('com.apple.access_disabled', extra);
const PROVENANCE: LockProvenance = { lockId: '4b9e6a52-3f1c-4d7e-9a0b-2c8d5e6f7a81', requestedBy: 'helpdesk', reason: 'left', source: 'server', lockedAt: '2026-12-03T00:00:00.000Z' };

function facts(overrides: Partial<LockFacts> = {}): LockFacts {
  return { record: ALEX, users: [ADMIN, ALEX, BOSS], groups: [admins('localadmin', 'boss'), disabledGroup()], provenance: null, tokenHolder: null, protectedAccounts: [], ...overrides };
}

describe('lock state', () => {
  it('sees DisabledUser in any form and com.apple.access_disabled by name or GeneratedUID', () => {
    expect(disabledState(user('a', 600, 'G', { [AA]: [HASH, 'DisabledUser'] }), null)).toEqual({ authorities: ['DisabledUser'], inDisabledGroup: false });
    expect(disabledState(ALEX, disabledGroup({ 'dsAttrTypeStandard:GroupMembers': ['aaaaaaaa-0000-0000-0000-000000000001'] })).inDisabledGroup).toBe(true);
    expect(disabledState(ALEX, disabledGroup({ 'dsAttrTypeStandard:GroupMembership': ['alex'] })).inDisabledGroup).toBe(true);
    expect(disabledState(ALEX, undefined).inDisabledGroup).toBeNull();
  });

  it("counts a lock as Untether's only with its exact value and its provenance", () => {
    const locked = disabledState(user('a', 600, 'G', { [AA]: [HASH, ';DisabledUser;'] }), null);
    expect(lockStatus(locked, PROVENANCE)).toEqual({ kind: 'locked-by-untether', provenance: PROVENANCE, alsoForeign: false });
    expect(lockStatus(locked, null)).toEqual({ kind: 'locked-foreign', how: ['AuthenticationAuthority ";DisabledUser;"'] });
    expect(lockStatus(disabledState(ALEX, null), PROVENANCE)).toEqual({ kind: 'unlocked' });
    const both = disabledState(user('a', 600, 'G', { [AA]: [HASH, ';DisabledUser;'], 'dsAttrTypeStandard:GroupMembership': [] }), disabledGroup({ 'dsAttrTypeStandard:GroupMembership': ['a'] }));
    expect(lockStatus(both, PROVENANCE)).toMatchObject({ kind: 'locked-by-untether', alsoForeign: true });
  });

  it('finds accounts by any takeover link attribute, case-insensitively', () => {
    const linked = user('jdoe', 700, 'G1', { 'dsAttrTypeStandard:NetworkUser': ['John.Doe@example.com'] });
    const xcreds = user('mary', 701, 'G2', { 'dsAttrTypeNative:_xcreds_oidc_full_username': ['mary@example.com'] });
    expect(accountsLinkedTo('john.doe@EXAMPLE.com', [ALEX, linked, xcreds])).toEqual(['jdoe']);
    expect(accountsLinkedTo('mary@example.com', [ALEX, linked, xcreds])).toEqual(['mary']);
    expect(accountsLinkedTo('nobody@example.com', [ALEX, linked, xcreds])).toEqual([]);
  });
});

describe('planLock and planUnlock', () => {
  it('locks with exactly one appended value', () => {
    expect(planLock(facts())).toMatchObject({ action: 'apply', operations: [{ op: 'append-values', attribute: AA, values: [';DisabledUser;'] }], note: null });
  });

  it('refuses system, protected (any alias, any case), last-token and only-admin accounts', () => {
    expect(planLock(facts({ record: user('_spotlight', 89, 'G') }))).toMatchObject({ action: 'refuse', code: 'E_LOCK_SYSTEM_ACCOUNT' });
    expect(planLock(facts({ record: user('daemon2', 300, 'G') }))).toMatchObject({ action: 'refuse', code: 'E_LOCK_SYSTEM_ACCOUNT' });
    const aliased = user('alex', 502, 'AAAAAAAA-0000-0000-0000-000000000001', { 'dsAttrTypeStandard:RecordName': ['alex', 'arivera'] });
    expect(planLock(facts({ record: aliased, protectedAccounts: ['ARIVERA'] }))).toMatchObject({ action: 'refuse', code: 'E_ACCOUNT_PROTECTED' });
    expect(planLock(facts({ tokenHolder: 'alex' }))).toMatchObject({ action: 'refuse', code: 'E_ACCOUNT_PROTECTED', reason: expect.stringContaining('last SecureToken') });
    // localadmin and boss are admins: either may be locked while the other can still log in, not both.
    expect(planLock(facts({ record: ADMIN }))).toMatchObject({ action: 'apply' });
    const bossLocked = user('boss', 503, 'AAAAAAAA-0000-0000-0000-000000000003', { [AA]: [HASH, ';DisabledUser;'] });
    expect(planLock(facts({ record: ADMIN, users: [ADMIN, ALEX, bossLocked] }))).toMatchObject({ action: 'refuse', code: 'E_LOCK_LAST_ADMIN' });
  });

  it('does nothing for a second lock and adds its own value beside a foreign lock unless the exact value is there', () => {
    const locked = user('alex', 502, 'AAAAAAAA-0000-0000-0000-000000000001', { [AA]: [HASH, ';SecureToken;', ';DisabledUser;'] });
    expect(planLock(facts({ record: locked, provenance: PROVENANCE }))).toMatchObject({ action: 'none', message: expect.stringContaining('already locked by Untether') });
    expect(planLock(facts({ record: locked }))).toMatchObject({ action: 'none', message: expect.stringContaining('not by Untether') });
    expect(planLock(facts({ groups: [admins('localadmin'), disabledGroup({ 'dsAttrTypeStandard:GroupMembership': ['alex'] })] }))).toMatchObject({
      action: 'apply',
      note: expect.stringContaining('member of com.apple.access_disabled'),
    });
  });

  it('unlocks only its own lock, by deleting exactly its value', () => {
    const locked = user('alex', 502, 'AAAAAAAA-0000-0000-0000-000000000001', { [AA]: [HASH, ';SecureToken;', ';DisabledUser;'] });
    expect(planUnlock(facts({ record: locked, provenance: PROVENANCE }))).toMatchObject({ action: 'apply', operations: [{ op: 'delete-value', attribute: AA, value: ';DisabledUser;' }] });
    expect(planUnlock(facts({ record: locked }))).toMatchObject({ action: 'refuse', code: 'E_LOCK_NOT_OURS' });
    expect(planUnlock(facts())).toMatchObject({ action: 'none' });
    expect(planUnlock(facts({ provenance: PROVENANCE }))).toMatchObject({ action: 'none' });
  });
});
