import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleEvent, sampleInventory } from '../protocol/samples.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildDashboard } from './helpers/dashboard-build.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { countColor, decodePng, distinctColors } from './helpers/png.js';
import { openTestStore } from './helpers/stores.js';

const XSS_HOSTNAME = '<img src=x onerror="window.__xss=1">';
const SCREENSHOT_DIR = path.resolve('.tmp/screenshots');
const VIEWPORT = { width: 1280, height: 900 };

/** Where screenshots are kept for a human to look at after the run. */
function keep(name: string, png: Buffer): void {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  writeFileSync(path.join(SCREENSHOT_DIR, name), png);
}

describe.skipIf(!existsSync(CHROMIUM_PATH) && process.env.CI === undefined)('dashboard in headless Chromium', () => {
  let store: Store;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let onlineAgent: RawAgent;
  let xssDeviceId: string;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store, { dashboard: buildDashboard() });
    await store.createAdmin('admin', await hashPassword('dashboard-pass'), new Date());
    const day = (offset: number): Date => new Date(Date.now() - offset * 86_400_000);
    // Six Macs at different points of the migration, spread over the last days so the chart has a shape.
    const plans = [
      { hostname: 'mac-bound-1', users: ['mobile', 'local'], binding: 'ad', login: 'stock', stage: 'demobilize', failed: false },
      { hostname: 'mac-bound-2', users: ['mobile'], binding: 'ad', login: 'stock', stage: 'demobilize', failed: true },
      { hostname: 'mac-demob-1', users: ['local'], binding: 'ad', login: 'stock', stage: 'unbind', failed: false },
      { hostname: 'mac-done-1', users: ['local'], binding: 'none', login: 'idp', stage: 'done', failed: false },
      { hostname: 'mac-done-2', users: ['local'], binding: 'none', login: 'idp', stage: 'done', failed: false },
      { hostname: XSS_HOSTNAME, users: ['mobile', 'local'], binding: 'ad', login: 'stock', stage: 'scan', failed: false },
    ] as const;
    for (const [index, plan] of plans.entries()) {
      const device = await server.enroll();
      const base = sampleInventory();
      const mobileFirst = sampleInventory({ hostname: plan.hostname });
      await store.saveInventory(device.deviceId, mobileFirst, day(6 - index), day(6 - index));
      const users = plan.users.map((kind, userIndex) => ({ ...base.users[userIndex % 2]!, kind }));
      const inventory = sampleInventory({
        hostname: plan.hostname,
        users,
        binding: plan.binding === 'ad' ? { kind: 'ad', domain: 'corp.example.com', computerId: null } : { kind: 'none' },
        loginChain: plan.login === 'idp' ? { kind: 'idp', provider: 'okta' } : { kind: 'stock' },
      });
      await store.saveInventory(device.deviceId, inventory, day(5 - index), day(5 - index));
      const at = day(0).toISOString();
      await store.saveStageState(
        device.deviceId,
        { stage: plan.stage, waitingFor: null, lastResult: plan.failed ? { [plan.stage]: { outcome: 'failed', at, code: 'E_TOOL_TIMEOUT' } } : {} },
        day(0),
      );
      await store.insertEvents(
        [sampleEvent(1, { kind: 'stage.changed', stage: plan.stage }), sampleEvent(2, { kind: 'step.succeeded', user: 'jdoe' })].map((event) => ({ deviceId: device.deviceId, event })),
        new Date(),
      );
      if (plan.hostname === XSS_HOSTNAME) {
        xssDeviceId = device.deviceId;
        onlineAgent = new RawAgent(server.wsUrl, device.token);
        await onlineAgent.opened;
        onlineAgent.hello(device.hardwareUuid, device.serial);
        await onlineAgent.waitFor('welcome');
      }
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('dialog', (dialog) => void dialog.dismiss());
  }, 120_000);

  afterAll(async () => {
    onlineAgent?.close();
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  it('asks to log in, then shows the fleet overview', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('#login-form button[type=submit]');
    // scrypt on a loaded machine can take longer than the default poll timeout.
    await expect.poll(() => page.textContent('#login-error'), { timeout: 10_000 }).toContain('Wrong');
    await page.fill('input[name=password]', 'dashboard-pass');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]');
    const card = (key: string) => page.textContent(`.card[data-key=${key}] .value`);
    expect(await card('total')).toBe('6');
    expect(await card('bound')).toBe('4');
    expect(await card('withMobileAccounts')).toBe('3');
    expect(await card('demobilized')).toBe('3');
    expect(await card('unbound')).toBe('2');
    expect(await card('idpLoginWindow')).toBe('2');
    expect(await card('failed')).toBe('1');
    expect(await card('offline')).toBe('5');
    expect(await page.locator('#device-table tbody tr').count()).toBe(6);
  });

  it('draws the progress chart, visible in a screenshot', async () => {
    expect(await page.locator('#progress-chart polyline').count()).toBe(4);
    const png = await page.screenshot({ fullPage: false });
    keep('overview.png', png);
    const image = decodePng(png);
    expect({ width: image.width, height: image.height }).toEqual(VIEWPORT);
    expect(distinctColors(image)).toBeGreaterThan(20);
    const box = await page.locator('#progress-chart').boundingBox();
    if (box === null) throw new Error('chart not laid out');
    // The demobilized series is drawn in #2f6fde, the IdP series in #2d9a5b: both must be on screen in the chart.
    expect(countColor(image, box, [0x2f, 0x6f, 0xde], 20)).toBeGreaterThan(50);
    expect(countColor(image, box, [0x2d, 0x9a, 0x5b], 20)).toBeGreaterThan(50);
    // And nowhere near as much outside it (the region differs from the rest of the page).
    expect(countColor(image, { x: 0, y: box.y + box.height + 40, width: image.width, height: 200 }, [0x2f, 0x6f, 0xde], 5)).toBeLessThan(50);
  });

  it('filters the device list', async () => {
    await page.selectOption('#filters select[name=state]', 'failed');
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('#device-table tbody tr').count()).toBe(1);
    expect(await page.textContent('#device-table tbody tr td')).toBe('mac-bound-2');
    await page.selectOption('#filters select[name=state]', '');
    await page.selectOption('#filters select[name=online]', 'true');
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('#device-table tbody tr').count()).toBe(1);
  });

  it('shows device detail with accounts and the timeline, rendering a hostile hostname as text', async () => {
    await page.click(`#device-table tbody tr[data-id="${xssDeviceId}"]`);
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.textContent('#detail-title')).toBe(XSS_HOSTNAME);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#accounts-table tbody tr').count()).toBe(2);
    expect(await page.textContent('#accounts-table tbody tr[data-user=jdoe]')).toContain('mobile');
    expect(await page.locator('#timeline li').count()).toBe(2);
    expect(await page.locator('#timeline li[data-kind="stage.changed"]').count()).toBe(1);
  });

  it('sends a command only after the confirmation step, and the device receives it', async () => {
    await page.click('#device-command');
    await page.waitForSelector('#command-dialog[open]');
    await page.selectOption('#command-form select[name=type]', 'demobilize');
    await page.fill('#command-form input[name=user]', 'jdoe');
    expect(await page.isVisible('#command-send')).toBe(false);
    await page.click('#command-review');
    await page.waitForSelector('#command-send:not([hidden])');
    expect(await page.textContent('#command-confirm')).toContain('"demobilize" to 1 device?');
    expect(await store.listCommands({ deviceId: xssDeviceId, limit: 10 })).toEqual([]);
    const png = await page.screenshot();
    keep('confirm.png', png);
    expect(decodePng(png).width).toBe(VIEWPORT.width);
    await page.click('#command-send');
    const received = await onlineAgent.waitFor('command');
    expect(received.command).toMatchObject({ type: 'demobilize', params: { scope: 'user', user: 'jdoe' } });
    await expect.poll(() => page.locator('#commands-table tbody tr').count()).toBe(1);
    expect(await page.textContent('#commands-table tbody tr')).toContain('demobilize');
    keep('detail.png', await page.screenshot({ fullPage: true }));
  });

  it('shows a pending re-enrollment as a badge, approves it, revokes and deletes the device only after confirming', async () => {
    const device = await server.enroll();
    await store.saveInventory(device.deviceId, sampleInventory({ hostname: 'mac-approve' }), new Date(), new Date());
    const unproven = await fetch(`${server.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.enrollSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: { hardwareUuid: device.hardwareUuid, serial: device.serial }, hostname: 'mac-reinstalled', agentVersion: '0.1.0' }),
    });
    expect(unproven.status).toBe(202);
    await page.selectOption('#filters select[name=online]', '');
    await page.fill('#filters input[name=q]', device.serial);
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.textContent('#device-table tbody')).toContain('approval pending');
    await page.click(`#device-table tbody tr[data-id="${device.deviceId}"]`);
    await page.waitForSelector('#reenrollments:not([hidden])');
    expect(await page.textContent('#reenrollments-table tbody')).toContain('mac-reinstalled');

    await page.click('#reenrollments-table button.approve');
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await page.textContent('#confirm-text')).toContain('mac-reinstalled');
    expect((await store.getDevice(device.deviceId, new Date()))?.reenrollmentRequests[0]?.approvedAt).toBeNull();
    keep('approve.png', await page.screenshot());
    await page.click('#confirm-ok');
    await expect.poll(async () => (await store.getDevice(device.deviceId, new Date()))?.reenrollmentRequests[0]?.approvedAt).not.toBeNull();

    await page.click('#device-revoke');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-cancel');
    expect((await store.getDevice(device.deviceId, new Date()))?.revokedAt).toBeNull();
    await page.click('#device-revoke');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await expect.poll(async () => (await store.getDevice(device.deviceId, new Date()))?.revokedAt).not.toBeNull();
    await expect.poll(() => page.textContent('#device-table tbody')).toContain('revoked');

    await page.click('#device-delete');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await expect.poll(async () => store.getDevice(device.deviceId, new Date())).toBeNull();
    await expect.poll(() => page.isHidden('#detail')).toBe(true);
  });
});
