import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent, sampleInventory } from '../protocol/samples.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildDashboard } from './helpers/dashboard-build.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore } from './helpers/stores.js';

describe.skipIf(!existsSync(CHROMIUM_PATH) && process.env.CI === undefined)('live dashboard in headless Chromium', () => {
  let store: Store;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    // A short reconnect hint so the reconnection test does not wait the default 5 s.
    server = await startTestServer(store, { dashboard: buildDashboard(), liveRetryMs: 300 });
    await store.createAdmin('admin', await hashPassword('live-pass'), new Date());
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    // An hour between fallback polls: whatever appears below was pushed.
    await page.addInitScript(() => {
      (globalThis as unknown as { UNTETHER_FALLBACK_POLL_MS: number }).UNTETHER_FALLBACK_POLL_MS = 3_600_000;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  it('shows what an agent reports without reloading or polling', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'live-pass');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]');
    await page.waitForSelector('#live-status[data-state=live]');
    expect(await page.textContent('#live-status')).toBe('live');
    expect(await page.locator('#device-table tbody tr').count()).toBe(0);

    // A Mac enrolls and connects: it appears, online.
    const device = await server.enroll();
    const agent = new RawAgent(server.wsUrl, device.token);
    await agent.opened;
    agent.hello(device.hardwareUuid, device.serial);
    await agent.waitFor('welcome');
    const row = page.locator(`#device-table tbody tr[data-id="${device.deviceId}"]`);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('online');

    // Its inventory renames it and counts its mobile account.
    agent.send({ type: 'inventory', collectedAt: new Date().toISOString(), inventory: sampleInventory({ hostname: 'mac-pushed' }) });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('mac-pushed');

    // A stage failure shows in its row and on the overview card.
    agent.send({
      type: 'stageState',
      at: new Date().toISOString(),
      state: { stage: 'demobilize', waitingFor: null, lastResult: { demobilize: { outcome: 'failed', at: new Date().toISOString(), code: 'E_TOOL_TIMEOUT' } } },
    });
    await expect.poll(() => row.locator('.pill.failed').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.textContent('.card[data-key=failed] .value'), { timeout: 10_000 }).toBe('1');

    // With its detail open, a new event lands in the timeline.
    await row.click();
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.locator('#timeline li[data-kind="stage.changed"]').count()).toBe(0);
    agent.send({ type: 'event', event: sampleEvent(1, { kind: 'stage.changed', stage: 'demobilize' }) });
    await page.waitForSelector('#timeline li[data-kind="stage.changed"]', { timeout: 10_000 });

    // It disconnects: the row says offline.
    agent.close();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('offline');
    expect(await page.textContent('#live-status')).toBe('live');
  });

  it('says "reconnecting" when the connection drops, and is live again once the browser reconnects', async () => {
    const opened = server.app.live.stats.opened;
    // Cut every HTTP connection, as a proxy restart or a network drop would; the server itself keeps running.
    server.app.server.closeAllConnections();
    await page.waitForSelector('#live-status[data-state=reconnecting]', { timeout: 10_000 });
    await page.waitForSelector('#live-status[data-state=live]', { timeout: 10_000 });
    expect(server.app.live.stats.opened).toBeGreaterThan(opened);
    // Pushed again over the new stream.
    const device = await server.enroll();
    await page.waitForSelector(`#device-table tbody tr[data-id="${device.deviceId}"]`, { timeout: 10_000 });
  });
});
