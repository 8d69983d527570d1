import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InventoryUser } from '../../protocol/src/index.js';
import { sampleInventory } from '../protocol/samples.js';
import { RawAgent, type TestServer } from './helpers/harness.js';
import { twoInstancesOnPostgres } from './helpers/instances.js';
import { postgresAvailable } from './helpers/postgres.js';

function user(name: string): InventoryUser {
  return { ...sampleInventory().users[1]!, name, linkedIdentity: null, generatedUid: randomUUID().toUpperCase() };
}

/** Wait for a condition the server reaches asynchronously (a notice), without a fixed delay. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 10_000) throw new Error(`waiting for ${what}: timed out`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.skipIf(!postgresAvailable() && process.env.CI === undefined)('lock cache on several instances of one PostgreSQL', () => {
  const pair = twoInstancesOnPostgres();

  async function connect(server: TestServer): Promise<{ agent: RawAgent; report(users: InventoryUser[]): Promise<void> }> {
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    return {
      agent,
      async report(users) {
        agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory({ users }) });
        const probe = randomUUID();
        agent.send({ type: 'commandResult', result: { commandId: probe, outcome: 'succeeded', finishedAt: new Date().toISOString() } });
        await agent.waitFor('ack', (message) => message.ids.includes(probe));
      },
    };
  }

  it('matches inventories in memory: one cache load and no query while no lock names their accounts', async () => {
    const macs = await Promise.all([connect(pair.serverB), connect(pair.serverB), connect(pair.serverB)]);
    const before = { ...pair.serverB.app.lockFollowUp.stats };
    for (let round = 0; round < 5; round += 1) for (const mac of macs) await mac.report([user('nora'), user('otto')]);
    const after = pair.serverB.app.lockFollowUp.stats;
    expect(after.cacheLoads - before.cacheLoads).toBeLessThanOrEqual(1);
    expect(after.historyQueries).toBe(before.historyQueries);
    for (const mac of macs) mac.agent.close();
  });

  it('reloads the cache on every instance when a lock is created on one, so the next inventory on another is matched', async () => {
    const mac = await connect(pair.serverB);
    await mac.report([user('pia')]);
    const notices = pair.serverB.app.lockFollowUp.stats.notices;
    const created = await pair.serverA.api('POST', '/api/v1/locks', { user: 'pat', reason: 'left', confirmCount: 0 });
    expect(created.status).toBe(201);
    await until(() => pair.serverB.app.lockFollowUp.stats.notices > notices, 'the locks notice on instance B');
    await mac.report([user('pia'), user('PAT')]);
    const command = await mac.agent.waitFor('command', (message) => message.command.type === 'lock-account');
    expect(command.command.params).toMatchObject({ account: { by: 'user', user: 'PAT' }, lockId: created.body.lock.id });
    mac.agent.close();
  });
});
