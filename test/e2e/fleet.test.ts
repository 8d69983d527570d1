// End to end over real sockets: the real agent daemon on a simulated Mac, the real server on its embedded
// database, and an admin steering through the REST API.
import { describe, expect, it } from 'vitest';
import { startDemoServer } from '../../scripts/demo-server.js';
import { startDaemon, waitForState, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac } from '../helpers/sim.js';

async function poll<T>(read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for the server');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('agent and server together', () => {
  it('reports a migration as it happens and runs a command an admin sends from the server', async () => {
    const server = await startDemoServer({ port: 0, quiet: true });
    const mac = simulatedMac({ scenario: 'ad-bound' });
    writeManagedConfig(mac, {
      server: { url: server.url, enrollmentSecret: server.enrollSecret },
      inventory: { enabled: true },
      demobilize: { enabled: true, when: 'login', allUsers: true },
      unbind: { enabled: true },
      allowedCommands: { rescan: true, unbind: false },
    });
    const daemon = startDaemon(mac);
    try {
      await waitForState(mac, (state) => state.waitingFor === 'login-window');
      const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: server.adminUser, password: server.adminPassword }) });
      expect(login.status).toBe(200);
      const headers = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, 'content-type': 'application/json' };
      const api = async (method: string, url: string, body?: unknown) => {
        const response = await fetch(`${server.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };

      const device = await poll(async () => {
        const list = await api('GET', '/api/v1/devices');
        return list.body.devices?.[0]?.stage === 'demobilize' ? list.body.devices[0] : undefined;
      });
      const detail = await api('GET', `/api/v1/devices/${device.id}`);
      expect(detail.body.device?.inventory?.users.filter((user: { kind: string }) => user.kind === 'mobile')).toHaveLength(4);

      mac.logout();
      await waitForState(mac, (state) => state.stage === 'done');
      const done = await poll(async () => {
        const list = await api('GET', '/api/v1/devices');
        return list.body.devices?.[0]?.stage === 'done' ? list.body.devices[0] : undefined;
      });
      expect(done.id).toBe(device.id);
      const events = await poll(async () => {
        const page = await api('GET', `/api/v1/events?deviceId=${device.id}&limit=200`);
        const kinds = (page.body.events ?? []).map((event: { kind: string }) => event.kind);
        return kinds.filter((kind: string) => kind === 'step.succeeded').length >= 5 ? kinds : undefined;
      });
      expect(events).toContain('stage.changed');

      // A rescan is allowed; an unbind is refused by the Mac's own configuration.
      for (const type of ['rescan', 'unbind']) {
        const created = await api('POST', '/api/v1/commands', { target: { deviceId: device.id }, action: { type, params: {} }, confirmCount: 1 });
        expect(created.status).toBeLessThan(300);
      }
      const results = await poll(async () => {
        const page = await api('GET', `/api/v1/commands?deviceId=${device.id}`);
        const commands = (page.body.commands ?? []) as Array<{ action?: { type: string }; type?: string; status: string; result?: { outcome: string } }>;
        const finished = commands.filter((command) => command.result?.outcome);
        return finished.length >= 2 ? commands : undefined;
      });
      const outcomeOf = (type: string) => results.find((command) => (command.action?.type ?? command.type) === type)?.result?.outcome;
      expect(outcomeOf('rescan')).toBe('succeeded');
      expect(outcomeOf('unbind')).toBe('rejected');
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
      await server.close();
    }
  });
});
