import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { writeToken } from '../../agent/src/link/token-file.js';
import { decodeAgentMessage, type CommandResult, type ServerMessage } from '../../protocol/src/index.js';
import { tempDataDir, testLink } from './helpers.js';

/** A scripted server: welcomes the agent, sends the given commands, records and acks results. */
async function scriptedServer(commands: unknown[]): Promise<{ url: string; results: CommandResult[]; close(): Promise<void> }> {
  const results: CommandResult[] = [];
  const http_ = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  http_.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws)));
  wss.on('connection', (ws) => {
    const send = (message: ServerMessage | unknown): void => ws.send(JSON.stringify(message));
    ws.on('message', (raw) => {
      const decoded = decodeAgentMessage(raw as Buffer);
      if (!decoded.ok) throw new Error(`agent sent an invalid frame: ${decoded.reason}`);
      const message = decoded.message;
      if (message.type === 'hello') {
        send({ type: 'welcome', protocolVersion: 1, deviceId: randomUUID(), serverTime: new Date().toISOString(), heartbeatIntervalMs: 30_000, capabilities: [] });
        for (const command of commands) send({ type: 'command', command });
      } else if (message.type === 'commandResult') {
        results.push(message.result);
        send({ type: 'ack', ids: [message.result.commandId] });
      } else if (message.type === 'event') {
        send({ type: 'ack', ids: [message.event.id] });
      }
    });
  });
  await new Promise<void>((resolve) => http_.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http_.address() as AddressInfo).port}`,
    results,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http_.close(() => resolve()));
    },
  };
}

describe('agent link and hostile commands over a real socket', () => {
  const now = Date.now();
  const rescan = { id: randomUUID(), type: 'rescan', params: {}, issuedAt: new Date(now - 1000).toISOString(), validUntil: new Date(now + 3600_000).toISOString() };
  const expired = { id: randomUUID(), type: 'rescan', params: {}, issuedAt: new Date(now - 7200_000).toISOString(), validUntil: new Date(now - 3600_000).toISOString() };
  const unbind = { id: randomUUID(), type: 'unbind', params: {}, issuedAt: new Date(now - 1000).toISOString(), validUntil: new Date(now + 3600_000).toISOString() };
  const malformed = { id: randomUUID(), type: 'takeover', params: { mappings: 'everyone' }, issuedAt: new Date(now).toISOString(), validUntil: new Date(now + 60_000).toISOString() };
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  let ran: string[];

  beforeAll(async () => {
    server = await scriptedServer([rescan, rescan, expired, unbind]);
    const dataDir = tempDataDir();
    writeToken(dataDir, { deviceId: randomUUID(), token: 'T'.repeat(43), serverUrl: server.url });
    ran = [];
    const link = testLink(server.url, undefined, { dataDir });
    link.onCommand('rescan', async (command) => {
      ran.push(command.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { outcome: 'succeeded' };
    });
    link.onCommand('unbind', async () => ({ outcome: 'succeeded' }));
    link.start();
    const deadline = Date.now() + 10_000;
    while (server.results.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await link.stop();
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('runs a replayed command once and reports only the real outcome for its id', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ran).toEqual([rescan.id]);
    expect(server.results.filter((result) => result.commandId === rescan.id)).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    expect(server.results).toHaveLength(3);
  });

  it('rejects an expired command without running it', () => {
    expect(server.results.find((result) => result.commandId === expired.id)).toMatchObject({ outcome: 'rejected', code: 'E_COMMAND_EXPIRED' });
  });

  it('rejects a destructive command the local policy does not allow, even with a handler', () => {
    expect(server.results.find((result) => result.commandId === unbind.id)).toMatchObject({ outcome: 'rejected', code: 'E_COMMAND_NOT_ALLOWED' });
  });

  it('drops a server frame that fails the schema and reconnects', async () => {
    const bad = await scriptedServer([malformed]);
    const dataDir = tempDataDir();
    writeToken(dataDir, { deviceId: randomUUID(), token: 'T'.repeat(43), serverUrl: bad.url });
    const link = testLink(bad.url, undefined, { dataDir });
    let called = false;
    link.onCommand('takeover', async () => {
      called = true;
      return { outcome: 'succeeded' };
    });
    link.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await link.stop();
    await bad.close();
    expect(called).toBe(false);
    expect(bad.results).toEqual([]);
  });
});
