import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, InventoryUser } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { openTestStore, testBackends } from './helpers/stores.js';

const NOW = new Date('2026-12-03T09:00:00Z');
const LATER = new Date('2026-12-04T09:00:00Z');

function user(name: string, overrides: Partial<InventoryUser> = {}): InventoryUser {
  return { ...sampleInventory().users[1]!, name, kind: 'local', admin: false, linkedIdentity: null, ...overrides };
}

function inventoryWith(users: InventoryUser[]): Inventory {
  return sampleInventory({ users });
}

describe.each(testBackends())('lock store on %s', (backend) => {
  let store: Store;
  let secretId: string;

  async function device(users: InventoryUser[] | null): Promise<string> {
    const outcome = await store.enrollDevice({
      newDeviceId: randomUUID(),
      hardwareUuid: randomUUID().toUpperCase(),
      serial: `S${randomUUID().slice(0, 8)}`,
      hostname: `mac-${randomUUID().slice(0, 6)}`,
      agentVersion: '0.2.0',
      tokenHash: `hash-${randomUUID()}`,
      secretId,
      now: NOW,
      presentedTokenHash: null,
      pollRequestHash: null,
      newRequest: { id: randomUUID(), requestHash: `r-${randomUUID()}`, remoteAddress: null },
      maxPendingPerDevice: 5,
    });
    if (outcome.kind !== 'enrolled') throw new Error('enrolling test device');
    if (users !== null) await store.saveInventory(outcome.deviceId, inventoryWith(users), NOW, NOW);
    return outcome.deviceId;
  }

  async function lockCommands(lockId: string) {
    return (await store.listCommands({ limit: 1000 })).filter((command) => (command.params as { lockId?: string }).lockId === lockId);
  }

  beforeAll(async () => {
    store = await openTestStore(backend);
    secretId = randomUUID();
    await store.createEnrollmentSecret({ id: secretId, name: 'default', secretHash: `secret-${randomUUID()}`, now: NOW, expiresAt: null, maxDevices: 1000 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('fans a user lock out to exactly the devices with that short name, case-insensitively, in one transaction with its audit row', async () => {
    const upper = await device([user('Alice.Smith'), user('bob')]);
    const lower = await device([user('alice.smith')]);
    const other = await device([user('alice.smithers')]);
    const noInventory = await device(null);
    expect(await store.countLockTargets({ kind: 'user', value: 'ALICE.smith' })).toBe(2);
    const outcome = await store.createLock({ id: randomUUID(), target: { kind: 'user', value: 'ALICE.smith' }, reason: 'left the company', createdBy: 'admin', now: NOW, validUntil: LATER });
    if (outcome.kind !== 'created') throw new Error(outcome.kind);
    expect(outcome.deviceIds.sort()).toEqual([upper, lower].sort());
    const commands = await lockCommands(outcome.lock.id);
    expect(commands.map((command) => command.deviceId).sort()).toEqual([upper, lower].sort());
    expect(commands.find((command) => command.deviceId === upper)).toMatchObject({
      type: 'lock-account',
      status: 'pending',
      batchId: outcome.lock.id,
      createdBy: 'admin',
      params: { account: { by: 'user', user: 'Alice.Smith' }, lockId: outcome.lock.id, requestedBy: 'admin', reason: 'left the company' },
    });
    expect(commands.some((command) => command.deviceId === other || command.deviceId === noInventory)).toBe(false);
    const audit = await store.listAudit({ limit: 10 });
    expect(audit.find((entry) => entry.subject === outcome.lock.id)).toMatchObject({
      actor: 'admin',
      action: 'lock.created',
      at: NOW.toISOString(),
      detail: { targetKind: 'user', target: 'ALICE.smith', reason: 'left the company', devices: 2 },
    });
  });

  it('fans an identity lock out by linked identity and refuses a second active lock of the same target', async () => {
    const linked = await device([user('jdoe', { linkedIdentity: 'JDoe@Example.com' }), user('other')]);
    await device([user('jdoe')]);
    const target = { kind: 'identity' as const, value: 'jdoe@example.com' };
    const outcome = await store.createLock({ id: randomUUID(), target, reason: 'offboarded', createdBy: 'admin', now: NOW, validUntil: LATER });
    if (outcome.kind !== 'created') throw new Error(outcome.kind);
    expect(outcome.deviceIds).toEqual([linked]);
    expect((await lockCommands(outcome.lock.id))[0]?.params).toMatchObject({ account: { by: 'user', user: 'jdoe' } });
    const again = await store.createLock({ id: randomUUID(), target: { kind: 'identity', value: 'JDOE@example.com' }, reason: 'again', createdBy: 'admin', now: NOW, validUntil: LATER });
    expect(again).toEqual({ kind: 'exists', lockId: outcome.lock.id });
  });

  it('derives per-device progress from the latest command, and release cancels pending commands and unlocks where the lock reached', async () => {
    const applied = await device([user('carol')]);
    const refused = await device([user('carol')]);
    const offline = await device([user('carol')]);
    const outcome = await store.createLock({ id: randomUUID(), target: { kind: 'user', value: 'carol' }, reason: 'contract ended', createdBy: 'admin', now: NOW, validUntil: LATER });
    if (outcome.kind !== 'created') throw new Error(outcome.kind);
    const byDevice = new Map((await lockCommands(outcome.lock.id)).map((command) => [command.deviceId, command.id]));
    await store.markCommandsSent([byDevice.get(applied)!, byDevice.get(refused)!], 'test', NOW);
    await store.recordCommandResult(applied, { commandId: byDevice.get(applied)!, outcome: 'succeeded', finishedAt: NOW.toISOString() }, NOW);
    await store.recordCommandResult(
      refused,
      { commandId: byDevice.get(refused)!, outcome: 'rejected', code: 'E_COMMAND_NOT_ALLOWED', message: 'lock-account is not allowed here', finishedAt: NOW.toISOString() },
      NOW,
    );
    const detail = await store.getLock(outcome.lock.id, NOW, 100);
    expect(detail?.lock.counts).toMatchObject({ applied: 1, refused: 1, 'pending-offline': 1 });
    expect(detail?.lock.devices).toBe(3);
    expect(detail?.devices[0]).toMatchObject({ deviceId: refused, state: 'refused', code: 'E_COMMAND_NOT_ALLOWED', phase: 'lock', account: 'carol' });
    expect((await store.getLock(outcome.lock.id, NOW, 1))?.devices.map((row) => row.state)).toEqual(['refused']);

    const released = await store.releaseLock({ lockId: outcome.lock.id, releasedBy: 'admin2', reason: 'rehired', now: LATER, validUntil: new Date(LATER.getTime() + 3600_000) });
    expect(released).toMatchObject({ kind: 'released', cancelled: 1, unlockDeviceIds: [applied] });
    const after = await store.getLock(outcome.lock.id, LATER, 100);
    expect(after?.lock).toMatchObject({ releasedBy: 'admin2', releaseReason: 'rehired', releasedAt: LATER.toISOString() });
    expect(after?.devices.find((row) => row.deviceId === offline)).toMatchObject({ state: 'cancelled', phase: 'lock' });
    expect(after?.devices.find((row) => row.deviceId === applied)).toMatchObject({ state: 'pending-offline', phase: 'unlock' });
    const unlock = (await lockCommands(outcome.lock.id)).find((command) => command.type === 'unlock-account');
    expect(unlock?.params).toMatchObject({ account: { by: 'user', user: 'carol' }, requestedBy: 'admin2', reason: 'rehired' });
    expect(await store.releaseLock({ lockId: outcome.lock.id, releasedBy: 'admin', reason: 'twice', now: LATER, validUntil: LATER })).toMatchObject({ kind: 'already_released' });
    expect(await store.releaseLock({ lockId: randomUUID(), releasedBy: 'admin', reason: 'none', now: LATER, validUntil: LATER })).toEqual({ kind: 'not_found' });
    const audit = (await store.listAudit({ limit: 50 })).filter((entry) => entry.subject === outcome.lock.id);
    expect(audit.map((entry) => entry.action)).toEqual(['lock.released', 'lock.created']);
    expect(audit[0]).toMatchObject({ actor: 'admin2', detail: { reason: 'rehired', cancelled: 1, unlocks: 1 } });

    // Released within the follow-up window: still a rule (inactive); a new lock of the same target may be created.
    const rules = await store.lockRules(NOW);
    expect(rules.find((rule) => rule.id === outcome.lock.id)).toMatchObject({ active: false, releasedBy: 'admin2', folded: 'carol' });
    expect((await store.lockRules(new Date(LATER.getTime() + 1))).some((rule) => rule.id === outcome.lock.id)).toBe(false);
  });

  it('unlocks a device whose result arrived before its sender recorded the send (a fast agent)', async () => {
    const fast = await device([user('erin')]);
    const outcome = await store.createLock({ id: randomUUID(), target: { kind: 'user', value: 'erin' }, reason: 'left', createdBy: 'admin', now: NOW, validUntil: LATER });
    if (outcome.kind !== 'created') throw new Error(outcome.kind);
    const [command] = await lockCommands(outcome.lock.id);
    // The agent answered while the instance was still sending to others: the result lands first, the send after.
    await store.recordCommandResult(fast, { commandId: command!.id, outcome: 'succeeded', finishedAt: NOW.toISOString() }, NOW);
    await store.markCommandsSent([command!.id], 'test', NOW);
    const released = await store.releaseLock({ lockId: outcome.lock.id, releasedBy: 'admin', reason: 'back', now: LATER, validUntil: new Date(LATER.getTime() + 3600_000) });
    expect(released).toMatchObject({ kind: 'released', unlockDeviceIds: [fast] });
  });

  it('keeps an account locked while another active lock names it (by short name and by identity)', async () => {
    const shared = await device([user('dana', { linkedIdentity: 'dana@example.com' })]);
    const byName = await store.createLock({ id: randomUUID(), target: { kind: 'user', value: 'DANA' }, reason: 'left', createdBy: 'admin', now: NOW, validUntil: LATER });
    const byIdentity = await store.createLock({ id: randomUUID(), target: { kind: 'identity', value: 'dana@example.com' }, reason: 'left', createdBy: 'hr', now: NOW, validUntil: LATER });
    if (byName.kind !== 'created' || byIdentity.kind !== 'created') throw new Error('creating the two locks');
    for (const lock of [byName, byIdentity]) {
      const [command] = await lockCommands(lock.lock.id);
      await store.markCommandsSent([command!.id], 'test', NOW);
      await store.recordCommandResult(shared, { commandId: command!.id, outcome: 'succeeded', finishedAt: NOW.toISOString() }, NOW);
    }
    const validUntil = new Date(LATER.getTime() + 3600_000);
    // The first release must not unlock: the identity lock still holds the account.
    expect(await store.releaseLock({ lockId: byName.lock.id, releasedBy: 'admin', reason: 'mistake', now: LATER, validUntil })).toMatchObject({ kind: 'released', unlockDeviceIds: [] });
    expect(await store.releaseLock({ lockId: byIdentity.lock.id, releasedBy: 'hr', reason: 'rehired', now: LATER, validUntil })).toMatchObject({ kind: 'released', unlockDeviceIds: [shared] });
  });

  it('keeps one open command per lock, device and type when follow-ups race, and lists history for the decision', async () => {
    const deviceId = await device([user('dave')]);
    const outcome = await store.createLock({ id: randomUUID(), target: { kind: 'user', value: 'dave' }, reason: 'r', createdBy: 'admin', now: NOW, validUntil: LATER });
    if (outcome.kind !== 'created') throw new Error(outcome.kind);
    const follow = { lockId: outcome.lock.id, deviceId, type: 'lock-account' as const, account: 'dave', requestedBy: 'admin', reason: 'r', deviceFingerprint: 'f1', issuedAt: NOW, validUntil: LATER };
    expect(await store.createLockCommands([follow])).toBe(0);
    // Past its validity the open one no longer blocks: it is marked expired and the new one stored.
    expect(await store.createLockCommands([{ ...follow, issuedAt: new Date(LATER.getTime() + 1000), validUntil: new Date(LATER.getTime() + 3600_000) }])).toBe(1);
    const history = await store.lockCommandHistory(deviceId, [outcome.lock.id]);
    expect(history.map((entry) => entry.status).sort()).toEqual(['expired', 'pending']);
    expect(history.find((entry) => entry.status === 'pending')).toMatchObject({ type: 'lock-account', deviceFingerprint: 'f1', sentAt: null });
  });

  it('writes the audit row of a command batch, a token and a secret with the write itself', async () => {
    const deviceId = await device(null);
    const batchId = randomUUID();
    await store.createCommands(
      [{ id: randomUUID(), deviceId, batchId, action: { type: 'rescan', params: {} }, issuedAt: NOW, validUntil: LATER, createdBy: 'admin' }],
      { actor: 'admin', action: 'commands.created', subject: batchId, detail: { type: 'rescan', count: 1 } },
    );
    const tokenId = randomUUID();
    await store.createApiToken(
      { id: tokenId, name: 't', tokenHash: `h-${tokenId}`, createdBy: 'admin', now: NOW, scope: 'read', expiresAt: null },
      { actor: 'admin', action: 'api_token.created', subject: tokenId, detail: { scope: 'read' } },
    );
    // A failing write leaves no audit row behind.
    await expect(
      store.createApiToken(
        { id: tokenId, name: 't', tokenHash: `h-${tokenId}`, createdBy: 'admin', now: NOW, scope: 'read', expiresAt: null },
        { actor: 'admin', action: 'api_token.created', subject: `dup-${tokenId}`, detail: {} },
      ),
    ).rejects.toThrow();
    const audit = await store.listAudit({ limit: 100 });
    expect(audit.some((entry) => entry.subject === batchId && entry.action === 'commands.created')).toBe(true);
    expect(audit.some((entry) => entry.subject === tokenId && entry.action === 'api_token.created')).toBe(true);
    expect(audit.some((entry) => entry.subject === `dup-${tokenId}`)).toBe(false);
    const page = await store.listAudit({ limit: 1 });
    expect((await store.listAudit({ limit: 1, before: page[0]!.id }))[0]!.id).not.toBe(page[0]!.id);
  });
});
