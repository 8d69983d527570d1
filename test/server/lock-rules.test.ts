import { describe, expect, it } from 'vitest';
import type { InventoryUser } from '../../protocol/src/index.js';
import {
  decideFollowUps,
  deviceFingerprint,
  indexLocks,
  lockCandidates,
  lockDeviceState,
  type LockCommandHistory,
  type LockRule,
} from '../../server/src/locks/rules.js';
import { sampleInventory } from '../protocol/samples.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const HOUR = 3600_000;

function rule(id: string, overrides: Partial<LockRule> = {}): LockRule {
  return { id, targetKind: 'user', folded: 'mia', reason: 'r', createdBy: 'admin', releasedBy: null, releaseReason: null, active: true, ...overrides };
}

function user(name: string, overrides: Partial<InventoryUser> = {}): InventoryUser {
  return { ...sampleInventory().users[1]!, name, linkedIdentity: null, ...overrides };
}

function history(overrides: Partial<LockCommandHistory>): LockCommandHistory {
  return {
    lockId: 'L1',
    type: 'lock-account',
    status: 'succeeded',
    issuedAt: new Date(NOW.getTime() - 2 * HOUR),
    validUntil: new Date(NOW.getTime() + 22 * HOUR),
    sentAt: new Date(NOW.getTime() - 2 * HOUR),
    finishedAt: new Date(NOW.getTime() - HOUR),
    agentFinishedAt: new Date(NOW.getTime() - HOUR),
    deviceFingerprint: 'fp',
    ...overrides,
  };
}

const context = { now: NOW, collectedAt: new Date(NOW.getTime() - 60_000), fingerprint: 'fp', retryAfterRefusalMs: 24 * HOUR };

describe('lock rules', () => {
  it('matches accounts by folded short name and by linked identity', () => {
    const index = indexLocks([rule('L1'), rule('L2', { targetKind: 'identity', folded: 'mia@example.com' })]);
    const candidates = lockCandidates(index, [user('MIA'), user('m.x', { linkedIdentity: 'Mia@Example.com' }), user('mia2')]);
    expect(candidates.map((candidate) => [candidate.rule.id, candidate.account, candidate.type])).toEqual([
      ['L1', 'MIA', 'lock-account'],
      ['L2', 'm.x', 'lock-account'],
    ]);
    expect(lockCandidates(indexLocks([]), [user('mia')])).toEqual([]);
  });

  it('unlocks for a released lock only while no active lock names the same account', () => {
    const released = rule('L1', { active: false, releasedBy: 'b' });
    expect(lockCandidates(indexLocks([released]), [user('mia', { locked: true })]).map((candidate) => candidate.type)).toEqual(['unlock-account']);
    const alsoActive = rule('L2', { targetKind: 'identity', folded: 'mia@example.com' });
    const both = lockCandidates(indexLocks([released, alsoActive]), [user('mia', { locked: true, linkedIdentity: 'mia@example.com' })]);
    expect(both).toEqual([]);
    expect(lockCandidates(indexLocks([released]), [user('mia', { locked: false })])).toEqual([]);
  });

  it('sends a lock once, and again only when a scan made after it was applied reports the account unlocked', () => {
    const [candidate] = lockCandidates(indexLocks([rule('L1')]), [user('mia', { locked: false })]);
    expect(decideFollowUps([candidate!], [], context)).toHaveLength(1);
    expect(decideFollowUps([candidate!], [history({})], context)).toHaveLength(1);
    // An inventory collected before the lock was applied is stale.
    expect(decideFollowUps([candidate!], [history({})], { ...context, collectedAt: new Date(NOW.getTime() - 2 * HOUR) })).toEqual([]);
    const [unknown] = lockCandidates(indexLocks([rule('L1')]), [user('mia', { locked: null })]);
    expect(decideFollowUps([unknown!], [history({})], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [history({ status: 'sent', finishedAt: null })], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [history({ status: 'sent', validUntil: new Date(NOW.getTime() - 1) })], context)).toHaveLength(1);
    expect(decideFollowUps([candidate!], [history({ status: 'expired' })], context)).toHaveLength(1);
  });

  it('does not chase an agent that reports the account unlocked after every applied lock', () => {
    const [candidate] = lockCandidates(indexLocks([rule('L1')]), [user('mia', { locked: false })]);
    const earlier = history({ issuedAt: new Date(NOW.getTime() - 4 * HOUR), finishedAt: new Date(NOW.getTime() - 3 * HOUR), agentFinishedAt: new Date(NOW.getTime() - 3 * HOUR) });
    expect(decideFollowUps([candidate!], [earlier, history({})], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [earlier, history({})], { ...context, now: new Date(NOW.getTime() + 24 * HOUR), collectedAt: NOW })).toHaveLength(1);
    expect(decideFollowUps([candidate!], [earlier, history({})], { ...context, fingerprint: 'reinstalled-newer-agent' })).toHaveLength(1);
  });

  it('retries a refusal after the interval or when the device fingerprint changed, not before', () => {
    const [candidate] = lockCandidates(indexLocks([rule('L1')]), [user('mia', { locked: false })]);
    const refused = history({ status: 'rejected' });
    expect(decideFollowUps([candidate!], [refused], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [history({ status: 'failed' })], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [refused], { ...context, fingerprint: 'other' })).toHaveLength(1);
    expect(decideFollowUps([candidate!], [refused], { ...context, now: new Date(NOW.getTime() + 24 * HOUR) })).toHaveLength(1);
  });

  it('sends an unlock only where the lock reached the device', () => {
    const released = rule('L1', { active: false });
    const [candidate] = lockCandidates(indexLocks([released]), [user('mia', { locked: true })]);
    expect(decideFollowUps([candidate!], [], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [history({ status: 'rejected' })], context)).toEqual([]);
    expect(decideFollowUps([candidate!], [history({})], context)).toHaveLength(1);
    expect(decideFollowUps([candidate!], [history({}), history({ type: 'unlock-account', status: 'pending', sentAt: null })], context)).toEqual([]);
  });

  it('maps the latest command to a device state and fingerprints order-independently', () => {
    expect(lockDeviceState('lock-account', 'succeeded')).toBe('applied');
    expect(lockDeviceState('unlock-account', 'succeeded')).toBe('unlocked');
    expect(lockDeviceState('lock-account', 'pending')).toBe('pending-offline');
    expect(lockDeviceState('lock-account', 'rejected')).toBe('refused');
    const a = deviceFingerprint({ agentVersion: '1', capabilities: ['b', 'a'], profiles: ['p'] });
    expect(a).toBe(deviceFingerprint({ agentVersion: '1', capabilities: ['a', 'b'], profiles: ['p'] }));
    expect(a).not.toBe(deviceFingerprint({ agentVersion: '2', capabilities: ['a', 'b'], profiles: ['p'] }));
  });
});
