import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, Inventory, InventoryUser } from '../../protocol/src/index.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore, testBackends } from './helpers/stores.js';

type LockCommand = Extract<Command, { type: 'lock-account' | 'unlock-account' }>;

function user(name: string, overrides: Partial<InventoryUser> = {}): InventoryUser {
  return { ...sampleInventory().users[1]!, name, kind: 'local', admin: false, linkedIdentity: null, generatedUid: randomUUID().toUpperCase(), ...overrides };
}

/** A fake agent over a real WebSocket: hello, inventories, command results, and a sync point. */
class FakeMac {
  agent: RawAgent | undefined;
  readonly seen = new Set<string>();
  constructor(
    readonly server: TestServer,
    readonly device: { deviceId: string; token: string; hardwareUuid: string; serial: string },
  ) {}

  async connect(capabilities: string[] = ['commands.v1']): Promise<void> {
    this.agent = new RawAgent(this.server.wsUrl, this.device.token);
    await this.agent.opened;
    this.agent.hello(this.device.hardwareUuid, this.device.serial, undefined, capabilities);
    await this.agent.waitFor('welcome');
  }

  disconnect(): Promise<number> {
    const agent = this.agent!;
    agent.close();
    this.agent = undefined;
    return agent.closed;
  }

  /** Report an inventory and wait until the server has handled it (including the lock follow-up). */
  async report(users: InventoryUser[], collectedAt = new Date()): Promise<void> {
    const inventory: Inventory = sampleInventory({ users });
    this.agent!.send({ type: 'inventory', collectedAt: collectedAt.toISOString(), inventory });
    await this.sync();
  }

  /** Messages on one socket are handled in order: the ack of a dummy result means everything before it is done. */
  async sync(): Promise<void> {
    const probe = randomUUID();
    this.agent!.send({ type: 'commandResult', result: { commandId: probe, outcome: 'succeeded', finishedAt: new Date().toISOString() } });
    await this.agent!.waitFor('ack', (message) => message.ids.includes(probe));
  }

  /** The next lock command not seen before. */
  async nextCommand(type: LockCommand['type']): Promise<LockCommand> {
    const message = await this.agent!.waitFor('command', (candidate) => candidate.command.type === type && !this.seen.has(candidate.command.id));
    this.seen.add(message.command.id);
    return message.command as LockCommand;
  }

  lockCommandsReceived(): LockCommand[] {
    return (this.agent?.messages ?? []).flatMap((message) =>
      message.type === 'command' && (message.command.type === 'lock-account' || message.command.type === 'unlock-account') ? [message.command as LockCommand] : [],
    );
  }

  async answer(command: LockCommand, outcome: 'succeeded' | 'rejected' | 'failed', code?: string, message?: string, finishedAt = new Date()): Promise<void> {
    this.agent!.send({ type: 'commandResult', result: { commandId: command.id, outcome, code, message, finishedAt: finishedAt.toISOString() } });
    await this.agent!.waitFor('ack', (ack) => ack.ids.includes(command.id));
  }
}

describe.each(testBackends())('fleet-wide locks on %s', (backend) => {
  let store: Store;
  let server: TestServer;
  const macs: FakeMac[] = [];

  /** An enrolled Mac whose stored inventory has `users` (null: no inventory yet); connected unless told otherwise. */
  async function mac(users: InventoryUser[] | null, connected = true): Promise<FakeMac> {
    const fake = new FakeMac(server, await server.enroll());
    macs.push(fake);
    if (users !== null) await store.saveInventory(fake.device.deviceId, sampleInventory({ users }), new Date(), new Date());
    if (connected) await fake.connect();
    return fake;
  }

  async function lock(target: { user?: string; identity?: string }, reason = 'left the company') {
    const preview = await server.api('POST', '/api/v1/locks/preview', target);
    expect(preview.status).toBe(200);
    const created = await server.api('POST', '/api/v1/locks', { ...target, reason, confirmCount: preview.body.count });
    expect(created.status).toBe(201);
    return created.body as { lock: { id: string }; devices: number };
  }

  async function progress(lockId: string) {
    const response = await server.api('GET', `/api/v1/locks/${lockId}`);
    expect(response.status).toBe(200);
    return response.body as { lock: { counts: Record<string, number>; releasedAt: string | null }; devices: Array<{ deviceId: string; state: string; phase: string; code: string | null; message: string | null }> };
  }

  beforeAll(async () => {
    store = await openTestStore(backend);
    // A long sweep: every delivery here must come from NOTIFY or from the device connecting, not from the sweep.
    server = await startTestServer(store, { commandSweepMs: 600_000 });
  }, 60_000);
  afterAll(async () => {
    for (const fake of macs) fake.agent?.close();
    await server?.close();
    await store?.close();
  });

  it('fans a lock out to exactly the matching devices: by name case-insensitively, and by linked identity', async () => {
    const upper = await mac([user('Erin')]);
    const lower = await mac([user('erin'), user('frank')]);
    const unrelated = await mac([user('erin2'), user('frank')]);
    const linked = await mac([user('e.smith', { linkedIdentity: 'erin@example.com' })]);

    const byName = await lock({ user: 'ERIN' });
    expect(byName.devices).toBe(2);
    const upperCommand = await upper.nextCommand('lock-account');
    expect(upperCommand.params).toMatchObject({ account: { by: 'user', user: 'Erin' }, lockId: byName.lock.id, requestedBy: 'token:test', reason: 'left the company' });
    expect((await lower.nextCommand('lock-account')).params.account).toEqual({ by: 'user', user: 'erin' });

    const byIdentity = await lock({ identity: 'Erin@Example.com' });
    expect(byIdentity.devices).toBe(1);
    expect((await linked.nextCommand('lock-account')).params).toMatchObject({ account: { by: 'user', user: 'e.smith' }, lockId: byIdentity.lock.id });

    await unrelated.sync();
    expect(unrelated.lockCommandsReceived()).toEqual([]);
    expect(upper.lockCommandsReceived()).toHaveLength(1);
    expect((await progress(byName.lock.id)).lock.counts).toMatchObject({ sent: 2 });
  });

  it('sends the lock to a Mac offline at lock time when it connects, and to a Mac that gains the account when it reports it', async () => {
    const offline = await mac([user('gina')], false);
    const newcomer = await mac(null);
    const { lock: created } = await lock({ user: 'gina' });
    expect((await progress(created.id)).devices).toEqual([expect.objectContaining({ deviceId: offline.device.deviceId, state: 'pending-offline' })]);

    await offline.connect();
    const command = await offline.nextCommand('lock-account');
    await offline.answer(command, 'succeeded');
    await newcomer.report([user('GINA'), user('frank')]);
    expect((await newcomer.nextCommand('lock-account')).params).toMatchObject({ account: { user: 'GINA' }, lockId: created.id });

    const states = Object.fromEntries((await progress(created.id)).devices.map((row) => [row.deviceId, row.state]));
    expect(states).toEqual({ [offline.device.deviceId]: 'applied', [newcomer.device.deviceId]: 'sent' });
  });

  it('locks a reinstalled Mac again when it reports the account unlocked after having applied the lock', async () => {
    const reinstalled = await mac([user('hank')]);
    const { lock: created } = await lock({ user: 'hank' });
    const first = await reinstalled.nextCommand('lock-account');
    await reinstalled.answer(first, 'succeeded');
    // Locked as reported, or unknown (an agent that cannot tell): nothing more is sent.
    await reinstalled.report([user('hank', { locked: true })]);
    await reinstalled.report([user('hank', { locked: null })]);
    expect(reinstalled.lockCommandsReceived()).toHaveLength(1);

    await reinstalled.report([user('hank', { locked: false })]);
    const second = await reinstalled.nextCommand('lock-account');
    expect(second.id).not.toBe(first.id);
    expect(second.params).toMatchObject({ account: { user: 'hank' }, lockId: created.id });
  });

  it('shows a refusal with its code and does not send it again on the next inventory, only once the Mac changed', async () => {
    const refusing = await mac([user('ivy')]);
    const { lock: created } = await lock({ user: 'ivy' });
    const command = await refusing.nextCommand('lock-account');
    await refusing.answer(command, 'rejected', 'E_COMMAND_NOT_ALLOWED', 'the local configuration does not allow lock-account');
    const row = (await progress(created.id)).devices[0];
    expect(row).toMatchObject({ state: 'refused', code: 'E_COMMAND_NOT_ALLOWED', message: 'the local configuration does not allow lock-account' });

    await refusing.report([user('ivy', { locked: false })]);
    await refusing.report([user('ivy', { locked: false })]);
    expect(refusing.lockCommandsReceived()).toHaveLength(1);

    // A new agent capability (or version, or profile) is a changed Mac: the refusal may not hold any more.
    await refusing.disconnect();
    await refusing.connect(['commands.v1', 'locks.v1']);
    await refusing.report([user('ivy', { locked: false })]);
    expect((await refusing.nextCommand('lock-account')).id).not.toBe(command.id);
  });

  it('unlock cancels pending commands, sends unlock where the lock was applied, and reaches an applied Mac that was offline', async () => {
    const applied = await mac([user('jack')]);
    const appliedThenOffline = await mac([user('jack')]);
    const neverOnline = await mac([user('jack')], false);
    const { lock: created } = await lock({ user: 'jack' });
    await applied.answer(await applied.nextCommand('lock-account'), 'succeeded');
    await appliedThenOffline.answer(await appliedThenOffline.nextCommand('lock-account'), 'succeeded');
    await appliedThenOffline.disconnect();

    const unlocked = await server.api('POST', `/api/v1/locks/${created.id}/unlock`, { reason: 'back from leave' });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toMatchObject({ cancelled: 1, unlocks: 2 });
    const unlock = await applied.nextCommand('unlock-account');
    expect(unlock.params).toMatchObject({ account: { user: 'jack' }, lockId: created.id, reason: 'back from leave' });
    await applied.answer(unlock, 'succeeded');

    await neverOnline.connect();
    await neverOnline.sync();
    expect(neverOnline.lockCommandsReceived()).toEqual([]);

    await appliedThenOffline.connect();
    await appliedThenOffline.answer(await appliedThenOffline.nextCommand('unlock-account'), 'succeeded');
    const states = Object.fromEntries((await progress(created.id)).devices.map((row) => [row.deviceId, `${row.phase}:${row.state}`]));
    expect(states).toEqual({
      [applied.device.deviceId]: 'unlock:unlocked',
      [appliedThenOffline.device.deviceId]: 'unlock:unlocked',
      [neverOnline.device.deviceId]: 'lock:cancelled',
    });
    // A restored backup brings the lock back after the unlock: the released lock unlocks it again.
    await applied.report([user('jack', { locked: true })]);
    expect((await applied.nextCommand('unlock-account')).id).not.toBe(unlock.id);
    // The never-reached Mac reporting the account locked (by someone else) is left alone.
    await neverOnline.report([user('jack', { locked: true })]);
    expect(neverOnline.lockCommandsReceived()).toEqual([]);

    const again = await server.api('POST', `/api/v1/locks/${created.id}/unlock`, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('E_LOCK_RELEASED');
  });

  it('audits every lock and unlock with who, when and why', async () => {
    await mac([user('kim')]);
    const before = Date.now();
    const { lock: created } = await lock({ user: 'kim' }, 'fraud investigation');
    await server.api('POST', `/api/v1/locks/${created.id}/unlock`, { reason: 'cleared' });
    const audit = await server.api('GET', '/api/v1/audit?limit=50');
    expect(audit.status).toBe(200);
    const rows = (audit.body.entries as Array<{ subject: string; action: string; actor: string; at: string; detail: Record<string, unknown> }>).filter((entry) => entry.subject === created.id);
    expect(rows.map((entry) => [entry.action, entry.actor, entry.detail.reason])).toEqual([
      ['lock.released', 'token:test', 'cleared'],
      ['lock.created', 'token:test', 'fraud investigation'],
    ]);
    for (const row of rows) expect(new Date(row.at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Command batches and enrollment secrets are audited too.
    const target = await mac(null, false);
    const command = await server.api('POST', '/api/v1/commands', { target: { deviceId: target.device.deviceId }, action: { type: 'rescan', params: {} }, confirmCount: 1 });
    const secret = await server.api('POST', '/api/v1/enrollment-secrets', { name: 'audited' });
    const later = (await server.api('GET', '/api/v1/audit?limit=2')).body.entries as Array<{ subject: string; action: string; actor: string }>;
    expect(later.map((entry) => [entry.action, entry.subject, entry.actor])).toEqual([
      ['enrollment_secret.created', secret.body.id, 'token:test'],
      ['commands.created', command.body.batchId, 'token:test'],
    ]);
    const list = await server.api('GET', '/api/v1/locks');
    const listed = (list.body.locks as Array<{ id: string; releasedAt: string | null }>);
    expect(listed.findIndex((entry) => entry.releasedAt !== null)).toBeGreaterThan(listed.findLastIndex((entry) => entry.releasedAt === null));
  });

  it('refuses bad bodies naming the field, a stale confirmation, a second lock of the same target and unknown locks', async () => {
    const both = await server.api('POST', '/api/v1/locks', { user: 'a', identity: 'b', reason: 'r', confirmCount: 0 });
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/^identity: /);
    const neither = await server.api('POST', '/api/v1/locks', { reason: 'r', confirmCount: 0 });
    expect(neither.body.message).toMatch(/^user: /);
    const noReason = await server.api('POST', '/api/v1/locks', { user: 'a', confirmCount: 0 });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toMatch(/reason/);
    const blankReason = await server.api('POST', '/api/v1/locks', { user: 'a', reason: '   ', confirmCount: 0 });
    expect(blankReason.body.message).toMatch(/^reason: a reason is required/);
    const extra = await server.api('POST', '/api/v1/locks', { user: 'a', reason: 'r', confirmCount: 0, everywhere: true });
    expect(extra.status).toBe(400);

    await mac([user('liam')]);
    const stale = await server.api('POST', '/api/v1/locks', { user: 'liam', reason: 'r', confirmCount: 0 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('E_CONFIRMATION_MISMATCH');
    await lock({ user: 'liam' });
    const second = await server.api('POST', '/api/v1/locks', { user: 'LIAM', reason: 'r', confirmCount: 1 });
    expect(second.status).toBe(409);
    expect(second.body.error).toBe('E_LOCK_EXISTS');
    expect((await server.api('GET', `/api/v1/locks/${randomUUID()}`)).status).toBe(404);
    expect((await server.api('POST', `/api/v1/locks/${randomUUID()}/unlock`, { reason: 'r' })).status).toBe(404);
    expect((await server.api('POST', `/api/v1/locks/${randomUUID()}/unlock`, {})).body.message).toMatch(/^reason: /);
  });
});
