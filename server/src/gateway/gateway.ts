// The WebSocket gateway: authenticates devices during the HTTP upgrade (401 before accepting), then validates
// every frame, routes it to the store, and keeps sockets honest with ping/pong and backpressure.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from 'winston';
import {
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  decodeAgentMessage,
  type AgentMessage,
  type DecodeResult,
  type Inventory,
} from '../../../protocol/src/index.js';
import { bearerToken, hashToken } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { ChangeSink } from '../live/change-feed.js';
import type { DeviceIdentityRecord, Store } from '../store/store.js';
import { DeviceConnection } from './connection.js';
import { EventIngest } from './ingest.js';
import { sqlState } from '../store/driver.js';
import { isValueRefusal } from './store-refusal.js';

/** The path agents connect to. */
export const AGENT_SOCKET_PATH = '/api/v1/agent';

/** Upgrades being authenticated at once; past this, answer 503 so a reconnect storm cannot pile up DB lookups. */
const MAX_PENDING_UPGRADES = 2000;

/** Capabilities the server announces in welcome. */
export const SERVER_CAPABILITIES = ['ack.v1', 'commands.v1', 'refuse.v1'];

/** What the gateway tells the command dispatcher. */
export interface GatewayEvents {
  /** A device finished hello on this instance. */
  onDeviceReady(deviceId: string): void;
}

/** Hears each inventory once it is stored (the lock follow-up); runs in the device's message order. */
export type InventoryListener = (device: { deviceId: string; agentVersion: string; capabilities: readonly string[] }, inventory: Inventory, collectedAt: Date) => Promise<void>;

/** The device socket server of one instance. */
export class Gateway {
  readonly ingest: EventIngest;
  readonly #wss: WebSocketServer;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #config: ServerConfig;
  readonly #changes: ChangeSink;
  readonly #ready = new Map<string, DeviceConnection>();
  readonly #all = new Set<DeviceConnection>();
  #touched = new Set<string>();
  #pendingUpgrades = 0;
  /**
   * Access notices received, and the count at which each device (or '*') last had one, while upgrades are in flight:
   * an upgrade whose token lookup overlapped a notice for its device looks again, so a revocation cannot slip in
   * between the lookup and the accept (the recheck only sees sockets already accepted).
   */
  #accessNotices = 0;
  readonly #accessChangedAt = new Map<string, number>();
  #pingTimer: NodeJS.Timeout | undefined;
  #touchTimer: NodeJS.Timeout | undefined;
  #listener: GatewayEvents | undefined;
  #inventoryListener: InventoryListener | undefined;
  #unlistenAccess: (() => Promise<void>) | undefined;
  #stopping = false;

  constructor(options: { store: Store; clock: Clock; logger: Logger; config: ServerConfig; changes: ChangeSink }) {
    this.#store = options.store;
    this.#changes = options.changes;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#config = options.config;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.ingest = new EventIngest({
      store: this.#store,
      clock: this.#clock,
      logger: this.#logger,
      flushMs: this.#config.ingestFlushMs,
      batchSize: this.#config.ingestBatchSize,
      // PGlite runs one statement at a time, in its worker thread: a second batch waits there while the first
      // commits, so the database never idles while this loop acks and builds the next; more would only be smaller.
      concurrency: this.#store.kind === 'pglite' ? Math.min(2, this.#config.ingestConcurrency) : this.#config.ingestConcurrency,
      changes: options.changes,
      onSettled: (connection, count) => {
        connection.inFlightEvents -= count;
        if (connection.inFlightEvents < this.#config.maxInFlightEventsPerConnection / 2) connection.resumeReading();
      },
    });
  }

  /** Register who hears about ready devices (the command dispatcher). */
  setListener(listener: GatewayEvents): void {
    this.#listener = listener;
  }

  /** Register who hears about stored inventories (the lock follow-up). */
  setInventoryListener(listener: InventoryListener): void {
    this.#inventoryListener = listener;
  }

  /** Start the ping and last-seen loops. */
  start(): void {
    this.#pingTimer = setInterval(() => this.#pingAll(), this.#config.pingIntervalMs);
    this.#touchTimer = setInterval(() => void this.#flushTouches(), this.#config.touchFlushMs);
  }

  /**
   * Close, on this instance, every socket whose token is no longer valid when an instance announces that devices'
   * tokens changed (revocation, deletion, approved re-enrollment, rotation).
   */
  async watchDeviceAccess(): Promise<void> {
    this.#unlistenAccess = await this.#store.onDeviceAccessNotice((deviceIds) => {
      this.#noteAccessChange(deviceIds);
      void this.#recheckAccess(deviceIds);
    });
  }

  #noteAccessChange(deviceIds: readonly string[]): void {
    this.#accessNotices += 1;
    if (this.#pendingUpgrades === 0) {
      this.#accessChangedAt.clear();
      return;
    }
    for (const id of deviceIds) this.#accessChangedAt.set(id, this.#accessNotices);
  }

  /** The device of a token hash, looked up again when an access notice for it arrived during the lookup. */
  async #deviceOfToken(tokenHash: string): Promise<DeviceIdentityRecord | null> {
    const noticesBefore = this.#accessNotices;
    const device = await this.#store.findDeviceByTokenHash(tokenHash);
    if (device === null) return null;
    const changedAt = Math.max(this.#accessChangedAt.get(device.id) ?? -1, this.#accessChangedAt.get('*') ?? -1);
    return changedAt > noticesBefore ? this.#store.findDeviceByTokenHash(tokenHash) : device;
  }

  async #recheckAccess(deviceIds: readonly string[]): Promise<void> {
    const wanted = new Set(deviceIds);
    const affected = [...this.#all].filter((connection) => wanted.has('*') || wanted.has(connection.deviceId));
    for (const connection of affected) {
      try {
        const device = await this.#store.findDeviceByTokenHash(connection.tokenHash);
        if (device?.id === connection.deviceId) continue;
        this.#logger.warn('device_access_ended', { deviceId: connection.deviceId });
        connection.close('UNAUTHENTICATED', 'the device token was revoked or replaced');
      } catch (error) {
        // Fail closed: a socket whose token cannot be rechecked is dropped; the agent reconnects and is checked anew.
        this.#logger.error('access_recheck_failed', { deviceId: connection.deviceId, error: (error as Error).message });
        connection.close('UNAUTHENTICATED', 'the device token could not be rechecked');
      }
    }
  }

  /** The ready connection of a device on this instance. */
  connectionFor(deviceId: string): DeviceConnection | undefined {
    return this.#ready.get(deviceId);
  }

  /** Devices that finished hello on this instance. */
  readyDeviceIds(): string[] {
    return [...this.#ready.keys()];
  }

  /** This instance's id. */
  get instanceId(): string {
    return this.#config.instanceId;
  }

  /** Number of open sockets, authenticated or not yet through hello. */
  get socketCount(): number {
    return this.#all.size;
  }

  /** Handle an HTTP upgrade request from the node:http server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== AGENT_SOCKET_PATH) return rejectUpgrade(socket, 404, 'E_NOT_FOUND');
    if (this.#stopping) return rejectUpgrade(socket, 503, 'E_SHUTTING_DOWN');
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) return rejectUpgrade(socket, 401, 'E_UNAUTHENTICATED');
    if (this.#pendingUpgrades >= MAX_PENDING_UPGRADES) return rejectUpgrade(socket, 503, 'E_SHUTTING_DOWN');
    this.#pendingUpgrades += 1;
    const tokenHash = hashToken(token);
    this.#deviceOfToken(tokenHash)
      .then((device) => {
        if (device === null) {
          this.#logger.info('upgrade_refused', { reason: 'unknown token', remote: request.socket.remoteAddress });
          return rejectUpgrade(socket, 401, 'E_UNAUTHENTICATED');
        }
        if (socket.destroyed) return undefined;
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, { ...device, tokenHash }));
        return undefined;
      })
      .catch((error: unknown) => {
        this.#logger.error('upgrade_failed', { error: (error as Error).message });
        rejectUpgrade(socket, 503, 'E_INTERNAL');
      })
      .finally(() => {
        this.#pendingUpgrades -= 1;
      });
  }

  #accept(ws: WebSocket, device: { id: string; hardwareUuid: string; tokenHash: string }): void {
    const connection = new DeviceConnection(ws, device, this.#logger, this.#config.maxBufferedBytes, this.#config.maxStateReportsPerMinute);
    this.#all.add(connection);
    let chain: Promise<void> = Promise.resolve();
    connection.helloTimer = setTimeout(() => {
      if (!connection.helloDone) connection.close('HELLO_TIMEOUT', `no hello within ${this.#config.helloTimeoutMs} ms`);
    }, this.#config.helloTimeoutMs);

    ws.on('pong', () => {
      connection.isAlive = true;
    });
    ws.on('message', (rawFrame: RawData) => {
      if (connection.closing) return;
      const decoded = decodeAgentMessage(rawFrame as Buffer);
      const messageType = decoded.ok ? decoded.message.type : decoded.messageType;
      if ((messageType === 'inventory' || messageType === 'stageState') && connection.helloDone && !connection.takeStateReport(Date.now())) {
        this.#logger.warn('state_reports_rate_limited', { deviceId: connection.deviceId, limitPerMinute: this.#config.maxStateReportsPerMinute });
        connection.close('FRAME_RATE_LIMITED', `more than ${this.#config.maxStateReportsPerMinute} inventory and stage state frames a minute`);
        return;
      }
      if (!decoded.ok) {
        this.#refuseFrame(connection, decoded);
        return;
      }
      const message = decoded.message;
      if (message.type === 'event' && connection.helloDone) {
        // Events skip the per-connection chain: they are batched and acked after the INSERT.
        connection.inFlightEvents += 1;
        if (connection.inFlightEvents >= this.#config.maxInFlightEventsPerConnection) connection.pauseReading();
        this.ingest.add(connection, message.event);
        return;
      }
      chain = chain
        .then(() => this.#handle(connection, message))
        .catch((error: unknown) => {
          if (isValueRefusal(error) && message.type === 'commandResult') {
            this.#logger.warn('result_refused', { deviceId: connection.deviceId, commandId: message.result.commandId, sqlState: sqlState(error) });
            connection.refuse([message.result.commandId], 'E_UNSTORABLE', `the store refused a value of this result (SQLSTATE ${sqlState(error)})`);
            return;
          }
          if (isValueRefusal(error) && (message.type === 'inventory' || message.type === 'stageState')) {
            // Latest wins: the next report replaces it. Closing would only make the agent send it again.
            this.#logger.warn('report_refused', { deviceId: connection.deviceId, type: message.type, sqlState: sqlState(error) });
            return;
          }
          this.#logger.error('message_failed', { deviceId: connection.deviceId, type: message.type, error: (error as Error).message });
          connection.close('INTERNAL', 'storing a message failed');
        });
    });
    ws.on('error', (error) => this.#logger.info('socket_error', { deviceId: connection.deviceId, error: error.message }));
    ws.on('close', (code) => {
      clearTimeout(connection.helloTimer);
      this.#all.delete(connection);
      connection.closing = true;
      if (this.#ready.get(connection.deviceId) === connection) {
        this.#ready.delete(connection.deviceId);
        this.#logger.info('device_disconnected', { deviceId: connection.deviceId, closeCode: code });
        chain = chain
          .then(() => this.#store.recordDisconnect(connection.deviceId, this.#config.instanceId, this.#clock.now()))
          .then(() => this.#changes.changed('devices'))
          .catch(() => undefined);
      }
    });
  }

  /**
   * A frame that failed its schema. After hello, a queued item (event, command result) is refused by its id and a
   * state report is dropped, and the socket stays open: closing would make the agent re-send the same frame after
   * every reconnect and starve its other events. Anything else (bad JSON, before hello, unknown type) closes 4400.
   */
  #refuseFrame(connection: DeviceConnection, decoded: Extract<DecodeResult<AgentMessage>, { ok: false }>): void {
    const { code, reason, messageType, itemId } = decoded;
    this.#logger.warn('frame_rejected', { deviceId: connection.deviceId, code, type: messageType, itemId, reason });
    if (connection.helloDone && itemId !== undefined) {
      connection.refuse([itemId], code, reason);
      return;
    }
    if (connection.helloDone && (messageType === 'inventory' || messageType === 'stageState')) return;
    connection.close('BAD_MESSAGE', code);
  }

  async #handle(connection: DeviceConnection, message: AgentMessage): Promise<void> {
    if (connection.closing) return;
    if (message.type !== 'hello' && !connection.helloDone) {
      connection.close('BAD_MESSAGE', 'E_HELLO_REQUIRED');
      return;
    }
    switch (message.type) {
      case 'hello':
        return this.#hello(connection, message);
      case 'inventory': {
        const collectedAt = new Date(message.collectedAt);
        await this.#store.saveInventory(connection.deviceId, message.inventory, collectedAt, this.#clock.now());
        this.#changes.changed('devices', 'progress');
        await this.#inventoryListener?.(connection, message.inventory, collectedAt);
        return;
      }
      case 'stageState':
        await this.#store.saveStageState(connection.deviceId, message.state, new Date(message.at));
        this.#changes.changed('devices', 'progress');
        return;
      case 'heartbeat':
        this.#touched.add(connection.deviceId);
        return;
      case 'commandResult': {
        const recorded = await this.#store.recordCommandResult(connection.deviceId, message.result, this.#clock.now());
        if (recorded) this.#changes.changed('commands');
        else this.#logger.info('command_result_ignored', { deviceId: connection.deviceId, commandId: message.result.commandId });
        connection.send({ type: 'ack', ids: [message.result.commandId] });
        return;
      }
      case 'event':
        return; // handled before the chain; reaching here means before hello, refused above
      default: {
        const unreachable: never = message;
        throw new Error(`handling message: unknown type ${JSON.stringify(unreachable)}`);
      }
    }
  }

  async #hello(connection: DeviceConnection, hello: Extract<AgentMessage, { type: 'hello' }>): Promise<void> {
    if (connection.helloDone) {
      connection.close('BAD_MESSAGE', 'second hello');
      return;
    }
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(hello.protocolVersion)) {
      connection.close('UNSUPPORTED_VERSION', `version ${hello.protocolVersion}; supported ${SUPPORTED_PROTOCOL_VERSIONS.join(',')}`);
      return;
    }
    if (hello.device.hardwareUuid.toUpperCase() !== connection.hardwareUuid.toUpperCase()) {
      this.#logger.warn('identity_mismatch', { deviceId: connection.deviceId });
      connection.close('IDENTITY_MISMATCH', 'hello hardware UUID differs from the token');
      return;
    }
    const previous = this.#ready.get(connection.deviceId);
    if (previous !== undefined && previous !== connection) previous.close('REPLACED', 'a newer connection arrived');
    connection.helloDone = true;
    connection.capabilities = hello.capabilities;
    connection.agentVersion = hello.agentVersion;
    // Idle sockets are the common case: drop the timer (and what it holds) as soon as it has done its job.
    clearTimeout(connection.helloTimer);
    connection.helloTimer = undefined;
    this.#ready.set(connection.deviceId, connection);
    await this.#store.recordConnect(connection.deviceId, {
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      capabilities: hello.capabilities,
      instanceId: this.#config.instanceId,
      now: this.#clock.now(),
    });
    this.#changes.changed('devices');
    connection.send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      deviceId: connection.deviceId,
      serverTime: this.#clock.now().toISOString(),
      heartbeatIntervalMs: this.#config.heartbeatIntervalMs,
      capabilities: SERVER_CAPABILITIES,
    });
    this.#logger.info('device_connected', { deviceId: connection.deviceId, agentVersion: hello.agentVersion });
    this.#listener?.onDeviceReady(connection.deviceId);
  }

  #pingAll(): void {
    for (const connection of this.#all) {
      if (!connection.isAlive) {
        this.#logger.info('connection_dead', { deviceId: connection.deviceId });
        connection.socket.terminate();
        continue;
      }
      connection.isAlive = false;
      connection.socket.ping();
    }
  }

  async #flushTouches(): Promise<void> {
    if (this.#touched.size === 0) return;
    const ids = [...this.#touched];
    this.#touched = new Set();
    try {
      await this.#store.touchDevices(ids, this.#clock.now());
    } catch (error) {
      this.#logger.warn('touch_failed', { count: ids.length, error: (error as Error).message });
    }
  }

  /** Close every socket, store what is queued, and release this instance's devices. */
  async close(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#pingTimer);
    clearInterval(this.#touchTimer);
    await this.#unlistenAccess?.();
    this.#unlistenAccess = undefined;
    for (const connection of this.#all) connection.close('SHUTTING_DOWN', 'server stopping');
    await this.ingest.flush();
    await this.#flushTouches();
    await this.#store.releaseInstance(this.#config.instanceId, this.#clock.now());
    this.#changes.changed('devices');
    for (const connection of this.#all) connection.socket.terminate();
    this.#wss.close();
  }
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' };

/** Answer an upgrade request with a plain HTTP error and drop the socket. */
function rejectUpgrade(socket: Duplex, status: number, code: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${status === 503 ? 'Retry-After: 30\r\n' : ''}\r\n${body}`,
  );
}
