// Two server instances on one fresh PostgreSQL database, for the tests of what crosses instances (NOTIFY, caches).
// Call inside a describe: it registers the hooks that start and stop them. Each has a long command sweep, so delivery
// must come from NOTIFY, not from the sweep, unless a test says otherwise.
import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../../server/src/store/store.js';
import { startTestServer, type TestServer } from './harness.js';
import { freshPostgresUrl, openTestStore } from './stores.js';

export interface InstancePair {
  storeA: Store;
  storeB: Store;
  serverA: TestServer;
  serverB: TestServer;
}

export function twoInstancesOnPostgres(): InstancePair {
  const pair = {} as InstancePair;
  beforeAll(async () => {
    const url = await freshPostgresUrl();
    pair.storeA = await openTestStore('postgres', url);
    pair.storeB = await openTestStore('postgres', url);
    pair.serverA = await startTestServer(pair.storeA, { commandSweepMs: 60_000 });
    pair.serverB = await startTestServer(pair.storeB, { commandSweepMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await pair.serverA?.close();
    await pair.serverB?.close();
    await pair.storeA?.close();
    await pair.storeB?.close();
  });
  return pair;
}
