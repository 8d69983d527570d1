// The dashboard's Previous/Next page the device list by the API's cursors (not by offset), show the position, and
// disable a button when there is nothing that way.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildDashboard } from './helpers/dashboard-build.js';
import { startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStoreWithSql } from './helpers/stores.js';

describe.skipIf(!existsSync(CHROMIUM_PATH) && process.env.CI === undefined)('dashboard device list paging in headless Chromium', () => {
  let store: Store;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const listRequests: URL[] = [];

  beforeAll(async () => {
    const opened = await openTestStoreWithSql('pglite');
    store = opened.store;
    // 120 Macs, two per hostname (mac-000 … mac-059): page boundaries fall between devices sharing a hostname.
    await opened.exec(`insert into devices (id, hardware_uuid, serial, hostname, enrolled_at, agent_version)
      select gen_random_uuid(), 'HW' || n, 'SER' || n, 'mac-' || lpad((n / 2)::text, 3, '0'), now(), '0.1.0' from generate_series(0, 119) as s(n)`);
    server = await startTestServer(store, { dashboard: buildDashboard() });
    await store.createAdmin('admin', await hashPassword('dashboard-pass'), new Date());
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/devices') listRequests.push(url);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  const pageInfo = () => page.textContent('#page-info');
  const hostnames = async () => (await page.locator('#device-table tbody tr td:first-child').allTextContents()).map((text) => text.trim());
  const disabled = (id: string) => page.locator(`#${id}`).isDisabled();

  it('walks forward and back through every device once, by cursor', async () => {
    await page.goto(server.url);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'dashboard-pass');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]');
    await expect.poll(pageInfo).toBe('1–50 of 120');
    expect(await disabled('prev-page')).toBe(true);
    const seen = await hostnames();

    await page.click('#next-page');
    await expect.poll(pageInfo).toBe('51–100 of 120');
    seen.push(...(await hostnames()));
    await page.click('#next-page');
    await expect.poll(pageInfo).toBe('101–120 of 120');
    seen.push(...(await hostnames()));
    expect(await disabled('next-page')).toBe(true);
    // Every device once, in list order: each hostname twice, in order.
    expect(seen).toHaveLength(120);
    expect(seen.map((text) => text.slice(0, 7))).toEqual(Array.from({ length: 120 }, (_, index) => `mac-${String(Math.floor(index / 2)).padStart(3, '0')}`));

    await page.click('#prev-page');
    await expect.poll(pageInfo).toBe('51–100 of 120');
    expect((await hostnames()).map((text) => text.slice(0, 7))[0]).toBe('mac-025');
    await page.click('#prev-page');
    await expect.poll(pageInfo).toBe('1–50 of 120');
    expect(await disabled('prev-page')).toBe(true);

    // The pages after the first were asked for by cursor, never by offset.
    const paged = listRequests.filter((url) => url.searchParams.has('after') || url.searchParams.has('before'));
    expect(paged.length).toBeGreaterThanOrEqual(4);
    expect(listRequests.every((url) => !url.searchParams.has('offset'))).toBe(true);
  });
});
