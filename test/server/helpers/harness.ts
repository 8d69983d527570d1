// A running server for tests: built with buildServer on a given store, listening on a loopback port, with an
// API token and an enrollment secret ready, and helpers to call the API and to enroll raw devices.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ServerMessage } from '../../../protocol/src/index.js';
import { buildServer, type UntetherServer } from '../../../server/src/app.js';
import { generateToken, hashToken } from '../../../server/src/auth/secrets.js';
import { systemClock, type Clock } from '../../../server/src/clock.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../../server/src/config.js';
import type { Store } from '../../../server/src/store/store.js';
import { silentLogger } from './logger.js';
import type winston from 'winston';

export type ApiCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;

export interface TestServer {
  app: UntetherServer;
  store: Store;
  url: string;
  wsUrl: string;
  apiToken: string;
  enrollSecret: string;
  /** Call the API with the test's admin-scope API token. */
  api: ApiCall;
  /** Log in as an admin and get an API caller using that session (no API token). */
  login(username: string, password: string): Promise<ApiCall>;
  enroll(hardwareUuid?: string, serial?: string): Promise<{ deviceId: string; token: string; hardwareUuid: string; serial: string }>;
  close(): Promise<void>;
}

/** Start a server over `store`. */
export async function startTestServer(
  store: Store,
  overrides: Partial<ServerConfig> = {},
  options: { clock?: Clock; logger?: winston.Logger; port?: number } = {},
): Promise<TestServer> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, instanceId: `test-${randomUUID().slice(0, 8)}`, commandSweepMs: 500, ...overrides };
  const app = buildServer({ store, clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger(), config });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  const scheme = config.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://127.0.0.1:${port}`;
  const apiToken = generateToken();
  await store.createApiToken({ id: randomUUID(), name: 'test', tokenHash: hashToken(apiToken), createdBy: 'test', now: new Date(), scope: 'admin', expiresAt: null });
  const enrollSecret = generateToken();
  await store.createEnrollmentSecret({ id: randomUUID(), name: 'test', secretHash: hashToken(enrollSecret), now: new Date(), expiresAt: null, maxDevices: 100_000 });

  const caller = (credential: Record<string, string>): ApiCall => async (method, path, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...credential, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV and other text bodies stay strings
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  const api = caller({ authorization: `Bearer ${apiToken}` });

  return {
    app,
    store,
    url,
    wsUrl: `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${port}/api/v1/agent`,
    apiToken,
    enrollSecret,
    api,
    async login(username, password) {
      const response = await fetch(`${url}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (response.status !== 200) throw new Error(`logging in as ${username}: HTTP ${response.status}`);
      return caller({ cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '' });
    },
    async enroll(hardwareUuid = randomUUID().toUpperCase(), serial = `SER${randomUUID().slice(0, 8).toUpperCase()}`) {
      const response = await fetch(`${url}/api/v1/enroll`, {
        method: 'POST',
        headers: { authorization: `Bearer ${enrollSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: { hardwareUuid, serial }, hostname: `host-${serial.toLowerCase()}`, agentVersion: '0.1.0' }),
      });
      if (response.status !== 200) throw new Error(`enrolling test device: HTTP ${response.status}`);
      const body = (await response.json()) as { deviceId: string; token: string };
      return { ...body, hardwareUuid, serial };
    },
    async close() {
      await app.close();
    },
  };
}

/** A raw protocol client for gateway tests: records every server message and the close code. */
export class RawAgent {
  readonly messages: ServerMessage[] = [];
  closeCode: number | undefined;
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(wsUrl: string, token: string | undefined) {
    this.socket = new WebSocket(wsUrl, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve((this.closeCode = code))));
    this.socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as ServerMessage));
    this.socket.on('error', () => undefined);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  hello(hardwareUuid: string, serial: string, protocolVersion = PROTOCOL_VERSION, capabilities: string[] = []): void {
    this.send({ type: 'hello', protocolVersion, device: { hardwareUuid, serial }, agentVersion: '0.1.0', capabilities });
  }

  /** Wait until a message matching `predicate` arrived. */
  async waitFor<T extends ServerMessage['type']>(type: T, predicate: (message: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: T }>> {
    const started = Date.now();
    for (;;) {
      const found = this.messages.find((message): message is Extract<ServerMessage, { type: T }> => message.type === type && predicate(message as Extract<ServerMessage, { type: T }>));
      if (found !== undefined) return found;
      if (Date.now() - started > timeoutMs) throw new Error(`waiting for ${type}: timed out; got ${this.messages.map((m) => m.type).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.close();
  }
}
