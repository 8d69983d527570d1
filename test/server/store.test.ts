import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent, sampleInventory, sampleStageState } from '../protocol/samples.js';
import { openTestStore, testBackends } from './helpers/stores.js';

const NOW = new Date('2026-11-01T12:00:00Z');

/** The enrollment fields a plain first enrollment does not use. */
function noProof(requestHash = `request-${randomUUID()}`) {
  return { presentedTokenHash: null, pollRequestHash: null, newRequest: { id: randomUUID(), requestHash, remoteAddress: '127.0.0.1' }, maxPendingPerDevice: 5 };
}

async function enroll(store: Store, secretId: string, index: number, now = NOW): Promise<string> {
  const hardwareUuid = randomUUID().toUpperCase();
  const outcome = await store.enrollDevice({
    newDeviceId: randomUUID(),
    hardwareUuid,
    serial: `SERIAL${String(index).padStart(6, '0')}`,
    hostname: `mac-${String(index).padStart(4, '0')}`,
    agentVersion: '0.1.0',
    tokenHash: `hash-${randomUUID()}`,
    secretId,
    now,
    ...noProof(),
  });
  if (outcome.kind !== 'enrolled') throw new Error(`enrolling test device: ${outcome.kind}`);
  return outcome.deviceId;
}

describe.each(testBackends())('store on %s', (backend) => {
  let store: Store;
  let secretId: string;

  beforeAll(async () => {
    store = await openTestStore(backend);
    secretId = randomUUID();
    await store.createEnrollmentSecret({ id: secretId, name: 'default', secretHash: 'secret-hash', now: NOW, expiresAt: null, maxDevices: 1000 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('counts uses of a valid enrollment secret and refuses a revoked one', async () => {
    const otherId = randomUUID();
    await store.createEnrollmentSecret({ id: otherId, name: 'other', secretHash: 'other-hash', now: NOW, expiresAt: new Date('2026-12-01T00:00:00Z'), maxDevices: 10 });
    expect(await store.useEnrollmentSecret('other-hash', NOW)).toEqual({ id: otherId });
    expect(await store.useEnrollmentSecret('other-hash', new Date('2026-12-02T00:00:00Z'))).toBeNull();
    expect(await store.revokeEnrollmentSecret(otherId, NOW)).toBe(true);
    expect(await store.useEnrollmentSecret('other-hash', NOW)).toBeNull();
    expect(await store.useEnrollmentSecret('unknown', NOW)).toBeNull();
    const listed = await store.listEnrollmentSecrets();
    expect(listed.find((secret) => secret.id === otherId)).toMatchObject({ uses: 1, revokedAt: NOW.toISOString() });
  });

  it('re-enrolling the same hardware UUID with its current token rotates the token instead of duplicating the device', async () => {
    const hardwareUuid = randomUUID().toUpperCase();
    const base = { hardwareUuid, serial: 'C02AAA111', hostname: 'mac-re', agentVersion: '0.1.0', secretId, now: NOW };
    const first = await store.enrollDevice({ ...base, ...noProof(), newDeviceId: randomUUID(), tokenHash: 'token-a' });
    if (first.kind !== 'enrolled') throw new Error('first enrollment');
    const second = await store.enrollDevice({ ...base, ...noProof(), presentedTokenHash: 'token-a', newDeviceId: randomUUID(), tokenHash: 'token-b', serial: 'C02BBB222' });
    expect(second).toEqual({ kind: 'enrolled', deviceId: first.deviceId, reenrolled: true, serialChanged: true });
    expect(await store.findDeviceByTokenHash('token-a')).toBeNull();
    expect(await store.findDeviceByTokenHash('token-b')).toMatchObject({ id: first.deviceId, hardwareUuid, serial: 'C02BBB222' });
    expect((await store.getDevice(first.deviceId, NOW))?.identityChangedAt).toBe(NOW.toISOString());
  });

  it('stores each event once, ignoring repeated ids', async () => {
    const deviceId = await enroll(store, secretId, 1);
    const events = [sampleEvent(1), sampleEvent(2), sampleEvent(3)];
    expect(await store.insertEvents(events.map((event) => ({ deviceId, event })), NOW)).toEqual({ inserted: 3 });
    expect(await store.insertEvents([...events, sampleEvent(4)].map((event) => ({ deviceId, event })), NOW)).toEqual({ inserted: 1 });
    // The same new event twice in one batch (re-sent while its first copy waited for the INSERT) is stored once.
    const twice = sampleEvent(5);
    expect(await store.insertEvents([twice, sampleEvent(6), twice].map((event) => ({ deviceId, event })), NOW)).toEqual({ inserted: 2 });
    const stored = await store.listEvents({ deviceId, limit: 10 });
    expect(stored.map((event) => event.seq).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stored[0]).toMatchObject({ deviceId, kind: 'step.succeeded', user: 'jdoe', stage: 'demobilize', detail: { step: 'remove-attributes' } });
  });

  it('derives bound, mobile count, domain and milestones from inventories', async () => {
    const deviceId = await enroll(store, secretId, 2);
    await store.saveInventory(deviceId, sampleInventory(), NOW, NOW);
    let device = await store.getDevice(deviceId, NOW);
    expect(device).toMatchObject({ bound: true, domain: 'corp.example.com', mobileCount: 1, loginKind: 'stock', hostname: 'mac-0001' });

    const later = new Date('2026-11-02T12:00:00Z');
    const inventory = sampleInventory({ binding: { kind: 'none' }, loginChain: { kind: 'idp', provider: 'okta' } });
    inventory.users = inventory.users.map((user) => ({ ...user, kind: 'local' as const }));
    await store.saveInventory(deviceId, inventory, later, later);
    device = await store.getDevice(deviceId, later);
    expect(device).toMatchObject({ bound: false, domain: 'corp.example.com', mobileCount: 0, loginKind: 'idp' });
    expect(device?.inventory?.users).toHaveLength(2);

    const progress = await store.progress(new Date('2026-10-01T00:00:00Z'));
    const last = progress.at(-1);
    expect(last).toMatchObject({ day: '2026-11-02', demobilized: 1, unbound: 1, idpLoginWindow: 1 });
  });

  it('moves only the inventory time when a device sends the inventory it sent before, and still stores a changed one', async () => {
    const deviceId = await enroll(store, secretId, 9);
    await store.saveInventory(deviceId, sampleInventory(), NOW, NOW);
    const later = new Date('2026-11-03T12:00:00Z');
    await store.saveInventory(deviceId, sampleInventory(), later, later);
    expect(await store.getDevice(deviceId, later)).toMatchObject({ hostname: 'mac-0001', inventoryAt: later.toISOString() });
    const renamed = new Date('2026-11-04T12:00:00Z');
    await store.saveInventory(deviceId, sampleInventory({ hostname: 'mac-renamed' }), renamed, renamed);
    expect(await store.getDevice(deviceId, renamed)).toMatchObject({ hostname: 'mac-renamed', inventoryAt: renamed.toISOString() });
  });

  it('derives the device state from the stage state', async () => {
    const deviceId = await enroll(store, secretId, 3);
    await store.saveStageState(deviceId, sampleStageState(), NOW);
    expect((await store.getDevice(deviceId, NOW))?.state).toBe('waiting');
    await store.saveStageState(
      deviceId,
      { stage: 'unbind', waitingFor: null, lastResult: { unbind: { outcome: 'failed', at: NOW.toISOString(), code: 'E_TOOL_TIMEOUT' } } },
      NOW,
    );
    expect(await store.getDevice(deviceId, NOW)).toMatchObject({ stage: 'unbind', state: 'failed' });
    expect((await store.listDevices({ state: 'failed' }, { limit: 10, offset: 0 }, NOW)).devices.map((device) => device.id)).toContain(deviceId);
  });

  it('tracks online by connection and last-seen, and filters on it', async () => {
    const deviceId = await enroll(store, secretId, 4);
    await store.recordConnect(deviceId, { agentVersion: '0.2.0', protocolVersion: 1, capabilities: ['queue'], instanceId: 'i1', now: NOW });
    expect(await store.getDevice(deviceId, NOW)).toMatchObject({ online: true, agentVersion: '0.2.0', capabilities: ['queue'] });
    const muchLater = new Date(NOW.getTime() + 10 * 60_000);
    expect((await store.getDevice(deviceId, muchLater))?.online).toBe(false);
    await store.touchDevices([deviceId], muchLater);
    expect((await store.getDevice(deviceId, muchLater))?.online).toBe(true);
    expect((await store.listDevices({ online: true }, { limit: 100, offset: 0 }, muchLater)).devices.map((d) => d.id)).toEqual([deviceId]);
    await store.recordDisconnect(deviceId, 'another-instance', muchLater);
    expect((await store.getDevice(deviceId, muchLater))?.online).toBe(true);
    await store.recordDisconnect(deviceId, 'i1', muchLater);
    expect((await store.getDevice(deviceId, muchLater))?.online).toBe(false);
    expect((await store.listDevices({ online: false, ids: [deviceId] }, { limit: 10, offset: 0 }, muchLater)).total).toBe(1);
  });

  it('filters devices by search text without treating % as a wildcard', async () => {
    const page = await store.listDevices({ search: 'mac-000' }, { limit: 100, offset: 0 }, NOW);
    expect(page.total).toBeGreaterThan(0);
    expect((await store.listDevices({ search: '%' }, { limit: 100, offset: 0 }, NOW)).total).toBe(0);
  });

  it('delivers a command until a result arrives, and ignores a second result', async () => {
    const deviceId = await enroll(store, secretId, 5);
    const id = randomUUID();
    await store.createCommands([
      { id, deviceId, batchId: id, action: { type: 'rescan', params: {} }, issuedAt: NOW, validUntil: new Date(NOW.getTime() + 3600_000), createdBy: 'admin' },
    ]);
    expect((await store.deliverableCommands([deviceId], NOW)).map((command) => command.id)).toEqual([id]);
    await store.markCommandsSent([id], 'i1', NOW);
    expect((await store.deliverableCommands([deviceId], NOW))[0]?.status).toBe('sent');
    const result = { commandId: id, outcome: 'succeeded' as const, finishedAt: NOW.toISOString() };
    const otherDevice = await enroll(store, secretId, 6);
    expect(await store.recordCommandResult(otherDevice, result, NOW)).toBe(false);
    expect(await store.recordCommandResult(deviceId, result, NOW)).toBe(true);
    expect(await store.recordCommandResult(deviceId, { ...result, outcome: 'failed' }, NOW)).toBe(false);
    expect(await store.deliverableCommands([deviceId], NOW)).toEqual([]);
    expect((await store.listCommands({ deviceId, limit: 10 }))[0]).toMatchObject({ status: 'succeeded', result });
  });

  it('expires commands that were not answered in time', async () => {
    const deviceId = await enroll(store, secretId, 7);
    const id = randomUUID();
    await store.createCommands([
      { id, deviceId, batchId: id, action: { type: 'unbind', params: {} }, issuedAt: NOW, validUntil: new Date(NOW.getTime() + 1000), createdBy: 'admin' },
    ]);
    const later = new Date(NOW.getTime() + 2000);
    expect(await store.deliverableCommands([deviceId], later)).toEqual([]);
    expect(await store.expireCommands(later)).toBeGreaterThanOrEqual(1);
    expect((await store.listCommands({ deviceId, limit: 10 }))[0]?.status).toBe('expired');
  });

  it('notifies listeners of new commands', async () => {
    const received: string[][] = [];
    const stop = await store.onCommandNotice((ids) => received.push(ids));
    await store.notifyCommands(['a', 'b']);
    await store.notifyCommands(Array.from({ length: 500 }, () => randomUUID()));
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
    expect(received).toEqual([['a', 'b'], ['*']]);
    await stop();
  });

  it('keeps admins, sessions and API tokens', async () => {
    await store.createAdmin('admin', 'scrypt$x', NOW);
    expect(await store.countAdmins()).toBe(1);
    expect(await store.findAdminPasswordHash('admin')).toBe('scrypt$x');
    await store.createSession('session-hash', 'admin', NOW, new Date(NOW.getTime() + 1000));
    expect(await store.findSession('session-hash', NOW)).toEqual({ username: 'admin' });
    expect(await store.findSession('session-hash', new Date(NOW.getTime() + 2000))).toBeNull();
    const tokenId = randomUUID();
    const expiresAt = new Date(NOW.getTime() + 60_000);
    await store.createApiToken({ id: tokenId, name: 'ci', tokenHash: 'api-hash', createdBy: 'admin', now: NOW, scope: 'read', expiresAt });
    expect(await store.useApiToken('api-hash', NOW)).toEqual({ name: 'ci', scope: 'read' });
    expect(await store.useApiToken('api-hash', expiresAt)).toBeNull();
    expect((await store.listApiTokens()).find((token) => token.id === tokenId)).toMatchObject({ scope: 'read', expiresAt: expiresAt.toISOString() });
    expect(await store.revokeApiToken(tokenId, NOW)).toBe(true);
    expect(await store.useApiToken('api-hash', NOW)).toBeNull();
  });

  it('gives a known hardware UUID without proof a pending request, and the token only after approval', async () => {
    const hardwareUuid = randomUUID().toUpperCase();
    const base = { hardwareUuid, serial: 'C02PEND01', hostname: 'mac-victim', agentVersion: '0.1.0', secretId, now: NOW };
    const victim = await store.enrollDevice({ ...base, ...noProof(), newDeviceId: randomUUID(), tokenHash: 'victim-token' });
    if (victim.kind !== 'enrolled') throw new Error('victim enrollment');
    const attempt = await store.enrollDevice({ ...base, ...noProof('attacker-request'), hostname: 'evil', newDeviceId: randomUUID(), tokenHash: 'attacker-token' });
    expect(attempt).toMatchObject({ kind: 'pending', created: true });
    if (attempt.kind !== 'pending') throw new Error('pending');
    // Nothing changed for the victim; the attacker's token is not stored.
    expect(await store.findDeviceByTokenHash('victim-token')).toMatchObject({ id: victim.deviceId });
    expect(await store.findDeviceByTokenHash('attacker-token')).toBeNull();
    const detail = await store.getDevice(victim.deviceId, NOW);
    expect(detail).toMatchObject({ hostname: 'mac-victim', pendingReenrollments: 1 });
    expect(detail?.reenrollmentRequests).toEqual([expect.objectContaining({ id: attempt.requestId, hostname: 'evil', approvedAt: null })]);
    // Polling before approval stays pending with the same request.
    const poll = { ...base, ...noProof(), pollRequestHash: 'attacker-request', newDeviceId: randomUUID(), tokenHash: 'poll-token' };
    expect(await store.enrollDevice(poll)).toEqual({ kind: 'pending', requestId: attempt.requestId, created: false });
    expect(await store.findDeviceByTokenHash('poll-token')).toBeNull();
    // Approval ends the old token at once; the next poll collects a new one.
    expect(await store.approveReenrollment(victim.deviceId, attempt.requestId, 'admin', NOW)).toBe(true);
    expect(await store.findDeviceByTokenHash('victim-token')).toBeNull();
    expect(await store.enrollDevice({ ...poll, tokenHash: 'approved-token' })).toMatchObject({ kind: 'enrolled', deviceId: victim.deviceId, reenrolled: true });
    expect(await store.findDeviceByTokenHash('approved-token')).toMatchObject({ id: victim.deviceId });
    expect((await store.getDevice(victim.deviceId, NOW))?.reenrollmentRequests).toEqual([]);
  });

  it('bounds pending requests per device and deletes a rejected one', async () => {
    const hardwareUuid = randomUUID().toUpperCase();
    const base = { hardwareUuid, serial: 'C02PEND02', hostname: 'mac-bounded', agentVersion: '0.1.0', secretId, now: NOW };
    const device = await store.enrollDevice({ ...base, ...noProof(), newDeviceId: randomUUID(), tokenHash: `t-${randomUUID()}` });
    if (device.kind !== 'enrolled') throw new Error('enrollment');
    const requests: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const outcome = await store.enrollDevice({ ...base, ...noProof(), newDeviceId: randomUUID(), tokenHash: `t-${randomUUID()}` });
      if (outcome.kind === 'pending') requests.push(outcome.requestId);
    }
    expect(requests).toHaveLength(5);
    expect(await store.enrollDevice({ ...base, ...noProof(), newDeviceId: randomUUID(), tokenHash: `t-${randomUUID()}` })).toEqual({ kind: 'too_many_pending' });
    expect(await store.rejectReenrollment(device.deviceId, requests[0] ?? '')).toBe(true);
    expect(await store.rejectReenrollment(device.deviceId, requests[0] ?? '')).toBe(false);
    expect((await store.getDevice(device.deviceId, NOW))?.pendingReenrollments).toBe(4);
  });

  it('refuses new devices past the secret maxDevices, but not re-enrollments', async () => {
    const limitedId = randomUUID();
    await store.createEnrollmentSecret({ id: limitedId, name: 'limited', secretHash: 'limited-hash', now: NOW, expiresAt: null, maxDevices: 1 });
    const base = { serial: 'C02LIMIT1', hostname: 'mac-limit', agentVersion: '0.1.0', secretId: limitedId, now: NOW };
    const first = await store.enrollDevice({ ...base, ...noProof(), hardwareUuid: randomUUID(), newDeviceId: randomUUID(), tokenHash: 'limit-token' });
    expect(first.kind).toBe('enrolled');
    expect(await store.enrollDevice({ ...base, ...noProof(), hardwareUuid: randomUUID(), newDeviceId: randomUUID(), tokenHash: `t-${randomUUID()}` })).toEqual({
      kind: 'secret_exhausted',
    });
    expect((await store.listEnrollmentSecrets()).find((secret) => secret.id === limitedId)).toMatchObject({ maxDevices: 1, enrolledDevices: 1 });
  });

  it('revokes a device token (revocation beats an approved request) and deletes a device with its events and commands', async () => {
    const deviceId = await enroll(store, secretId, 900);
    const detail = await store.getDevice(deviceId, NOW);
    const hardwareUuid = detail?.hardwareUuid ?? '';
    const request = await store.enrollDevice({
      hardwareUuid, serial: 'X', hostname: 'x', agentVersion: '0.1.0', secretId, now: NOW, ...noProof('revoke-request'), newDeviceId: randomUUID(), tokenHash: 'never',
    });
    if (request.kind !== 'pending') throw new Error('pending');
    expect(await store.approveReenrollment(deviceId, request.requestId, 'admin', NOW)).toBe(true);
    expect(await store.revokeDevice(deviceId, NOW)).toBe(true);
    expect((await store.getDevice(deviceId, NOW))?.revokedAt).toBe(NOW.toISOString());
    const poll = await store.enrollDevice({
      hardwareUuid, serial: 'X', hostname: 'x', agentVersion: '0.1.0', secretId, now: NOW, ...noProof(), pollRequestHash: 'revoke-request', newDeviceId: randomUUID(), tokenHash: 'after-revoke',
    });
    expect(poll).toMatchObject({ kind: 'pending', created: true });
    expect(await store.findDeviceByTokenHash('after-revoke')).toBeNull();

    await store.insertEvents([{ deviceId, event: sampleEvent(1) }], NOW);
    await store.createCommands([
      { id: randomUUID(), deviceId, batchId: randomUUID(), action: { type: 'rescan', params: {} }, issuedAt: NOW, validUntil: new Date(NOW.getTime() + 60_000), createdBy: 'admin' },
    ]);
    expect(await store.deleteDevice(deviceId)).toBe(true);
    expect(await store.getDevice(deviceId, NOW)).toBeNull();
    expect(await store.listEvents({ deviceId, limit: 10 })).toEqual([]);
    expect(await store.listCommands({ deviceId, limit: 10 })).toEqual([]);
    expect(await store.deleteDevice(deviceId)).toBe(false);
  });

  it('summarizes the fleet', async () => {
    const overview = await store.overview(NOW);
    expect(overview.total).toBeGreaterThanOrEqual(7);
    expect(overview.offline + overview.online).toBe(overview.total);
    expect(overview.failed).toBeGreaterThanOrEqual(1);
  });
});
