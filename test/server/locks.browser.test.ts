import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryUser } from '../../protocol/src/index.js';
import { hashPassword } from '../../server/src/auth/secrets.js';
import type { Store } from '../../server/src/store/store.js';
import { sampleInventory } from '../protocol/samples.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildDashboard } from './helpers/dashboard-build.js';
import { RawAgent, startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore } from './helpers/stores.js';

const SCREENSHOT_DIR = path.resolve('.tmp/screenshots');

function user(name: string): InventoryUser {
  return { ...sampleInventory().users[1]!, name, admin: false, linkedIdentity: null, generatedUid: randomUUID().toUpperCase() };
}

describe.skipIf(!existsSync(CHROMIUM_PATH) && process.env.CI === undefined)('locks panel in headless Chromium', () => {
  let store: Store;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const agents: RawAgent[] = [];
  const hosts: Record<'obeying' | 'refusing' | 'offline', string> = { obeying: '', refusing: '', offline: '' };

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store, { dashboard: buildDashboard() });
    await store.createAdmin('admin', await hashPassword('locks-pass'), new Date());
    for (const role of ['obeying', 'refusing', 'offline'] as const) {
      const device = await server.enroll();
      hosts[role] = `mac-${role}`;
      await store.saveInventory(device.deviceId, sampleInventory({ hostname: hosts[role], users: [user('Quinn'), user('admin2')] }), new Date(), new Date());
      if (role === 'offline') continue;
      const agent = new RawAgent(server.wsUrl, device.token);
      await agent.opened;
      agent.hello(device.hardwareUuid, device.serial, undefined, ['commands.v1']);
      await agent.waitFor('welcome');
      // The agents answer the way the real one does: this one runs lock and unlock, the other's configuration refuses.
      agent.socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; command?: { id: string; type: string } };
        if (message.type !== 'command' || message.command === undefined) return;
        const result =
          role === 'obeying'
            ? { commandId: message.command.id, outcome: 'succeeded', finishedAt: new Date().toISOString() }
            : { commandId: message.command.id, outcome: 'rejected', code: 'E_COMMAND_NOT_ALLOWED', message: 'commandPolicy does not allow lock-account', finishedAt: new Date().toISOString() };
        agent.send({ type: 'commandResult', result });
      });
      agents.push(agent);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents) agent.close();
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  it('locks a person from the dashboard after confirming the count, and shows each Mac\'s state with the refusal reason', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'locks-pass');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]');

    await page.selectOption('#lock-form select[name=kind]', 'user');
    await page.fill('#lock-form input[name=target]', 'quinn');
    await page.fill('#lock-form input[name=reason]', 'left the company on 2026-12-01');
    expect(await page.isVisible('#lock-send')).toBe(false);
    await page.click('#lock-review');
    await page.waitForSelector('#lock-send:not([hidden])');
    expect(await page.textContent('#lock-confirm')).toContain('on 3 Macs now');
    expect(await store.listLocks(10)).toEqual([]);
    await page.click('#lock-send');

    await page.waitForSelector('#lock-detail:not([hidden])');
    expect(await page.textContent('#lock-detail-why')).toContain('Locked by admin');
    // The list row re-renders the progress on click; the agents answer as soon as the command arrives.
    const stateOf = async (host: string): Promise<string | null> => {
      await page.click('#locks-table tbody tr.lock');
      return page.locator('#lock-devices-table tbody tr', { hasText: host }).getAttribute('data-state');
    };
    await expect.poll(() => stateOf(hosts.obeying), { timeout: 10_000 }).toBe('applied');
    await expect.poll(() => stateOf(hosts.refusing), { timeout: 10_000 }).toBe('refused');
    expect(await stateOf(hosts.offline)).toBe('pending-offline');
    const refusedRow = page.locator('#lock-devices-table tbody tr', { hasText: hosts.refusing });
    expect(await refusedRow.locator('td.why').textContent()).toContain('the configuration of this Mac does not allow lock-account');
    expect(await page.textContent('#locks-table tbody tr.lock')).toContain('active');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    writeFileSync(path.join(SCREENSHOT_DIR, 'locks.png'), await page.screenshot({ fullPage: true }));
  });

  it('unlocks with a reason: the applied Mac is unlocked, the never-sent lock cancelled', async () => {
    await page.click('#lock-unlock');
    await page.waitForSelector('#unlock-dialog[open]');
    await page.fill('#unlock-form textarea[name=reason]', 'mistaken identity');
    await page.click('#unlock-ok');
    await page.waitForSelector('#unlock-dialog[open]', { state: 'detached' });
    const stateOf = async (host: string): Promise<string | null> => {
      await page.click('#locks-table tbody tr.lock');
      return page.locator('#lock-devices-table tbody tr', { hasText: host }).getAttribute('data-state');
    };
    await expect.poll(() => stateOf(hosts.obeying), { timeout: 10_000 }).toBe('unlocked');
    expect(await stateOf(hosts.offline)).toBe('cancelled');
    expect(await page.isVisible('#lock-unlock')).toBe(false);
    expect(await page.textContent('#lock-detail-why')).toContain('mistaken identity');
    const audit = await store.listAudit({ limit: 10 });
    expect(audit.slice(0, 2).map((entry) => [entry.action, entry.actor, entry.detail.reason])).toEqual([
      ['lock.released', 'admin', 'mistaken identity'],
      ['lock.created', 'admin', 'left the company on 2026-12-01'],
    ]);
  });
});
