// The agent's link to the fleet server: enrollment, one WebSocket with hello/welcome, heartbeat, the durable
// queue flushed on every connection and trimmed by acks, reconnects with full-jitter backoff, and server commands
// checked against the local policy before any handler runs. Transport only: handlers never see the socket.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { Logger } from 'winston';
import * as z from 'zod';
import {
  AgentEvent,
  CLOSE_CODES,
  CommandResult as CommandResultSchema,
  Inventory,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  StageState,
  MAX_SHORT_STRING_LENGTH,
  MAX_TEXT_LENGTH,
  decodeServerMessage,
  toStorableText,
  type AgentMessage,
  type Command,
  type CommandResult,
  type CommandType,
  type ErrorCode,
} from '../../../protocol/src/index.js';
import { DEFAULT_BACKOFF, FIRST_RETRY_MAX_MS, backoffDelayMs, retryDelayMs, type BackoffOptions } from './backoff.js';
import { DoneCommands } from './done-commands.js';
import { clearEnrollRequest, readEnrollRequest, writeEnrollRequest } from './enroll-request-file.js';
import { enrollDevice } from './enroll.js';
import { decideCommand, type CommandPolicy } from './policy.js';
import { DEFAULT_QUEUE_LIMITS, DurableQueue, queuedItemId, type QueueLimits } from './queue.js';
import { tlsRequestOptions, type LinkTlsSettings, type TlsRequestOptions } from './tls.js';
import { readToken, writeFileAtomic, writeToken } from './token-file.js';

/** An event as the agent's modules report it; the link adds id, seq and time. */
export type NewEvent = Omit<AgentEvent, 'id' | 'seq' | 'time'>;

/** Latest-wins state: only the newest inventory and stage state matter, so they are not queued. */
export type StateReport = { type: 'inventory'; collectedAt: string; inventory: Inventory } | { type: 'stageState'; at: string; state: StageState };

/** What a command handler returns. */
export interface HandlerOutcome {
  /** `rejected`: the handler refused before changing anything (a local rule the policy could not check alone). */
  outcome: 'succeeded' | 'failed' | 'rejected';
  code?: string;
  message?: string;
  detail?: CommandResult['detail'];
}

/** Runs one command type. */
export type CommandHandler<T extends CommandType> = (command: Extract<Command, { type: T }>) => Promise<HandlerOutcome>;

/** The link as the rest of the agent sees it. */
export interface ServerLink {
  /** Queue an event durably; it reaches the server when connected. */
  send(event: NewEvent): void;
  /** Replace the latest inventory or stage state; sent now if connected, else on the next connection. */
  report(state: StateReport): void;
  /** Register the handler of a command type (types without a handler are refused). */
  onCommand<T extends CommandType>(type: T, handler: CommandHandler<T>): void;
  start(): void;
  stop(): Promise<void>;
}

/** Everything the link needs; paths and secrets come from the caller (the daemon's composition root). */
export interface LinkOptions {
  /** https://host[:port] of the server. */
  serverUrl: string;
  /** Root-only directory for the token, the queue and command ids. */
  dataDir: string;
  /** Reads the enrollment secret when needed (from the configuration profile); never stored by the link. */
  readEnrollSecret: () => string | undefined;
  device: { hardwareUuid: string; serial: string; hostname: string };
  agentVersion: string;
  capabilities?: string[];
  tls?: LinkTlsSettings;
  policy: CommandPolicy;
  logger: Logger;
  now?: () => Date;
  random?: () => number;
  backoff?: BackoffOptions;
  /** After a connection that was up drops, wait uniform [0, this) first, so agents do not return in step. */
  firstRetryMaxMs?: number;
  /** Re-enroll only when every attempt has been refused with 401 for this long (a passing 401 keeps the token). */
  reenrollAfterMs?: number;
  /** Give up on a connection that sent no welcome in this time. */
  welcomeTimeoutMs?: number;
  queueLimits?: QueueLimits;
}

const STATE_FILE_NAME = 'state-reports.json';
const StateFile = z.strictObject({
  inventory: z.strictObject({ type: z.literal('inventory'), collectedAt: z.string(), inventory: Inventory }).optional(),
  stageState: z.strictObject({ type: z.literal('stageState'), at: z.string(), state: StageState }).optional(),
});

/** Capabilities this agent announces: `refuse.v1` means it understands `refused` (drop, never re-send). */
export const AGENT_CAPABILITIES = ['queue.v1', 'commands.v1', 'refuse.v1'];

/** Items sent before waiting for the socket to drain. */
const SEND_CHUNK = 200;

/** Outcome of one connection attempt. */
interface AttemptResult {
  welcomed: boolean;
  unauthorized: boolean;
  reason: string;
}

/** Create the link. Nothing happens until start(). */
export function createServerLink(options: LinkOptions): ServerLink {
  return new WebSocketServerLink(options);
}

class WebSocketServerLink implements ServerLink {
  readonly #options: LinkOptions;
  readonly #logger: Logger;
  readonly #queue: DurableQueue;
  readonly #done: DoneCommands;
  readonly #tls: TlsRequestOptions;
  readonly #handlers = new Map<CommandType, CommandHandler<CommandType>>();
  readonly #now: () => Date;
  readonly #random: () => number;
  #reports: z.infer<typeof StateFile>;
  #socket: WebSocket | undefined;
  #welcomed = false;
  #sentOnSocket = new Set<string>();
  #flushing = false;
  #running: string | undefined;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #forceEnroll = false;
  #firstUnauthorizedAt: number | undefined;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'link' });
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#queue = DurableQueue.open(options.dataDir, options.queueLimits ?? DEFAULT_QUEUE_LIMITS);
    this.#done = DoneCommands.open(options.dataDir);
    this.#tls = tlsRequestOptions(options.tls ?? {});
    this.#reports = this.#loadReports();
  }

  #loadReports(): z.infer<typeof StateFile> {
    try {
      const parsed = StateFile.safeParse(JSON.parse(readFileSync(path.join(this.#options.dataDir, STATE_FILE_NAME), 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  send(input: NewEvent): void {
    const message = input.message === undefined ? {} : { message: toStorableText(input.message, MAX_TEXT_LENGTH) };
    const parsed = AgentEvent.safeParse({ ...input, ...message, id: randomUUID(), seq: this.#queue.takeSeq(), time: this.#now().toISOString() });
    if (!parsed.success) {
      this.#logger.error('event_invalid', { kind: input.kind, issues: parsed.error.issues.slice(0, 3).map((issue) => issue.path.join('.')) });
      return;
    }
    this.#queue.push({ kind: 'event', event: parsed.data });
    void this.#flush();
  }

  report(state: StateReport): void {
    const next = { ...this.#reports, [state.type]: state };
    const parsed = StateFile.safeParse(next);
    if (!parsed.success) {
      this.#logger.error('report_invalid', { type: state.type });
      return;
    }
    this.#reports = parsed.data;
    writeFileAtomic(path.join(this.#options.dataDir, STATE_FILE_NAME), JSON.stringify(this.#reports));
    if (this.#welcomed) this.#sendNow(state);
  }

  onCommand<T extends CommandType>(type: T, handler: CommandHandler<T>): void {
    this.#handlers.set(type, handler as unknown as CommandHandler<CommandType>);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#socket?.close(1000, 'agent stopping');
    await this.#loop;
    this.#queue.close();
  }

  /** Items waiting for an ack (for tests and the heartbeat). */
  get queueDepth(): number {
    return this.#queue.size;
  }

  async #run(): Promise<void> {
    let attempt = 0;
    /** When the last connection that was up ended (a short outage keeps retries close together). */
    let droppedAt: number | null = null;
    while (!this.#stopped) {
      const token = await this.#ensureToken();
      let delay: number;
      if (token === undefined) {
        delay = backoffDelayMs(attempt++, this.#options.backoff ?? DEFAULT_BACKOFF, this.#random);
      } else {
        const result = await this.#connectOnce(token);
        if (this.#stopped) break;
        this.#noteUnauthorized(result.unauthorized);
        if (result.welcomed) {
          attempt = 0;
          droppedAt = this.#now().getTime();
          delay = Math.floor(this.#random() * (this.#options.firstRetryMaxMs ?? FIRST_RETRY_MAX_MS));
        } else {
          const sinceDropMs = droppedAt === null ? null : this.#now().getTime() - droppedAt;
          delay = retryDelayMs(attempt++, sinceDropMs, this.#options.backoff ?? DEFAULT_BACKOFF, this.#random);
        }
        this.#logger.info('link_backoff', { reason: result.reason, delayMs: delay, attempt });
      }
      await this.#sleep(delay);
    }
  }

  #noteUnauthorized(unauthorized: boolean): void {
    if (!unauthorized) {
      this.#firstUnauthorizedAt = undefined;
      return;
    }
    const now = this.#now().getTime();
    this.#firstUnauthorizedAt ??= now;
    if (now - this.#firstUnauthorizedAt >= (this.#options.reenrollAfterMs ?? 10 * 60_000)) {
      this.#logger.warn('reenroll_scheduled', { reason: 'token refused with 401 for the whole grace period' });
      this.#forceEnroll = true;
      this.#firstUnauthorizedAt = undefined;
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #ensureToken(): Promise<string | undefined> {
    const stored = readToken(this.#options.dataDir);
    if (stored !== undefined && stored.serverUrl === this.#options.serverUrl && !this.#forceEnroll) return stored.token;
    const secret = this.#options.readEnrollSecret();
    if (secret === undefined || secret.length === 0) {
      this.#logger.warn('enroll_secret_missing', {});
      return stored?.token;
    }
    const serverUrl = this.#options.serverUrl;
    const result = await enrollDevice(
      serverUrl,
      secret,
      {
        device: { hardwareUuid: this.#options.device.hardwareUuid, serial: this.#options.device.serial },
        hostname: this.#options.device.hostname,
        agentVersion: this.#options.agentVersion,
      },
      this.#tls,
      // The current token proves this is the Mac the server knows; a pending request is polled, not filed again.
      { currentToken: stored?.serverUrl === serverUrl ? stored.token : undefined, pendingRequest: readEnrollRequest(this.#options.dataDir, serverUrl) },
    );
    if (!result.ok && result.pendingRequest !== undefined) {
      writeEnrollRequest(this.#options.dataDir, serverUrl, result.pendingRequest);
      // Keep polling on every retry until an admin approves (or rejects: then the next poll files a new request).
      this.#forceEnroll = true;
      this.#logger.warn('enroll_pending', { reason: result.reason });
      return stored?.token;
    }
    if (!result.ok) {
      this.#logger.warn('enroll_failed', { reason: result.reason, rejected: result.rejected, why: stored === undefined ? 'no token' : 'token refused' });
      return stored?.token;
    }
    writeToken(this.#options.dataDir, { deviceId: result.deviceId, token: result.token, serverUrl: this.#options.serverUrl });
    clearEnrollRequest(this.#options.dataDir);
    this.#forceEnroll = false;
    this.#logger.info('enrolled', { deviceId: result.deviceId, why: stored === undefined ? 'no token' : 'token refused' });
    return result.token;
  }

  #connectOnce(token: string): Promise<AttemptResult> {
    const wsUrl = new URL('/api/v1/agent', this.#options.serverUrl);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve) => {
      let settled = false;
      let welcomed = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let liveness: NodeJS.Timeout | undefined;
      const socket = new WebSocket(wsUrl, {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
        maxPayload: MAX_FRAME_BYTES,
        handshakeTimeout: 30_000,
        ...(wsUrl.protocol === 'wss:' ? this.#tls : {}),
      });
      this.#socket = socket;
      this.#sentOnSocket = new Set();
      const finish = (result: AttemptResult): void => {
        clearInterval(heartbeat);
        clearTimeout(liveness);
        this.#welcomed = false;
        this.#socket = undefined;
        if (settled) return;
        settled = true;
        resolve(result);
      };
      // A server that stopped answering is cut after three heartbeats without any traffic or ping.
      const armLiveness = (intervalMs: number): void => {
        clearTimeout(liveness);
        liveness = setTimeout(() => socket.terminate(), intervalMs * 3);
      };
      armLiveness(this.#options.welcomeTimeoutMs ?? 10_000);

      socket.on('unexpected-response', (request, response) => {
        const status = response.statusCode ?? 0;
        request.destroy();
        finish({ welcomed: false, unauthorized: status === 401, reason: `upgrade answered HTTP ${status}` });
      });
      socket.on('error', (error) => finish({ welcomed, unauthorized: false, reason: error.message }));
      socket.on('open', () => {
        this.#sendRaw(socket, {
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          device: { hardwareUuid: this.#options.device.hardwareUuid, serial: this.#options.device.serial },
          agentVersion: this.#options.agentVersion,
          capabilities: this.#options.capabilities ?? AGENT_CAPABILITIES,
        });
      });
      socket.on('ping', () => armLiveness(heartbeatMs));
      let heartbeatMs = 30_000;
      socket.on('message', (rawFrame) => {
        const decoded = decodeServerMessage(rawFrame as Buffer);
        if (!decoded.ok) {
          this.#logger.warn('server_frame_rejected', { code: decoded.code, reason: decoded.reason });
          socket.terminate();
          return;
        }
        const message = decoded.message;
        armLiveness(heartbeatMs);
        switch (message.type) {
          case 'welcome':
            welcomed = true;
            this.#welcomed = true;
            heartbeatMs = message.heartbeatIntervalMs;
            armLiveness(heartbeatMs);
            this.#logger.info('link_connected', { deviceId: message.deviceId, queueDepth: this.#queue.size });
            heartbeat = setInterval(
              () => this.#sendRaw(socket, { type: 'heartbeat', time: this.#now().toISOString(), queueDepth: this.#queue.size }),
              heartbeatMs,
            );
            if (this.#reports.inventory !== undefined) this.#sendNow(this.#reports.inventory);
            if (this.#reports.stageState !== undefined) this.#sendNow(this.#reports.stageState);
            this.#reportDropped();
            void this.#flush();
            return;
          case 'ack':
            this.#queue.ack(message.ids);
            this.#reportDropped();
            return;
          case 'refused':
            this.#dropRefused(message.ids, message.code, message.reason);
            return;
          case 'command':
            void this.#handleCommand(message.command);
            return;
          case 'error':
            this.#logger.warn('server_error', { code: message.code });
            return;
          default: {
            const unreachable: never = message;
            this.#logger.warn('server_message_unknown', { message: String(unreachable) });
          }
        }
      });
      socket.on('close', (code) => {
        if (code === CLOSE_CODES.IDENTITY_MISMATCH.code) {
          // The token belongs to another Mac (a cloned disk or a swapped board): enroll as this one.
          this.#logger.warn('reenroll_scheduled', { reason: 'server says the token belongs to another hardware UUID' });
          this.#forceEnroll = true;
        }
        finish({ welcomed, unauthorized: code === CLOSE_CODES.UNAUTHENTICATED.code, reason: `closed with ${code}` });
      });
    });
  }

  /**
   * The server will never store these items (schema or store refusal): re-sending them on every reconnect would
   * fail the same way, so they leave the queue with one log line each naming what was lost.
   */
  #dropRefused(ids: readonly string[], code: ErrorCode, reason: string): void {
    const waiting = new Map(this.#queue.items().map((item) => [queuedItemId(item), item] as const));
    for (const id of ids) {
      const item = waiting.get(id);
      if (item === undefined) continue;
      this.#logger.error('queue_item_refused', {
        id,
        item: item.kind,
        what: item.kind === 'event' ? item.event.kind : item.result.outcome,
        seq: item.kind === 'event' ? item.event.seq : undefined,
        code,
        reason,
      });
    }
    this.#queue.ack(ids);
  }

  #sendRaw(socket: WebSocket, message: AgentMessage, callback?: (error?: Error) => void): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify(message), callback);
  }

  #sendNow(state: StateReport): void {
    if (this.#socket !== undefined && this.#welcomed) this.#sendRaw(this.#socket, state);
  }

  /** Report drops once there is room, so the report itself does not push out another event. */
  #reportDropped(): void {
    if (this.#queue.dropped === 0 || this.#queue.size >= (this.#options.queueLimits ?? DEFAULT_QUEUE_LIMITS).maxItems) return;
    const count = this.#queue.takeDropped();
    this.#logger.warn('queue_dropped', { count });
    this.send({ kind: 'queue.dropped', code: 'E_QUEUE_FULL', detail: { count } });
  }

  /** Send every queued item not yet sent on this socket, waiting for the socket to drain between chunks. */
  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        const socket = this.#socket;
        if (socket === undefined || !this.#welcomed) return;
        const pending = this.#queue.items().filter((item) => !this.#sentOnSocket.has(queuedItemId(item)));
        if (pending.length === 0) return;
        for (let start = 0; start < pending.length; start += SEND_CHUNK) {
          const chunk = pending.slice(start, start + SEND_CHUNK);
          const written = chunk.map(
            (item) =>
              new Promise<void>((resolve) => {
                this.#sentOnSocket.add(queuedItemId(item));
                const message: AgentMessage = item.kind === 'event' ? { type: 'event', event: item.event } : { type: 'commandResult', result: item.result };
                this.#sendRaw(socket, message, () => resolve());
                if (socket.readyState !== WebSocket.OPEN) resolve();
              }),
          );
          await Promise.all(written);
          if (this.#socket !== socket) return;
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  #queueResult(commandId: string, outcome: CommandResult['outcome'], code: string | undefined, message: string | undefined, detail?: CommandResult['detail']): void {
    // Handler text comes from tools (stderr): made storable rather than refused, so the result still arrives.
    const result: CommandResult = { commandId, outcome, finishedAt: this.#now().toISOString() };
    if (code !== undefined) result.code = toStorableText(code, MAX_SHORT_STRING_LENGTH);
    if (message !== undefined) result.message = toStorableText(message, MAX_TEXT_LENGTH);
    if (detail !== undefined) result.detail = detail;
    const parsed = CommandResultSchema.safeParse(result);
    if (!parsed.success && result.detail !== undefined) {
      this.#logger.warn('result_detail_dropped', { commandId, issues: parsed.error.issues.slice(0, 3).map((issue) => issue.path.join('.')) });
      delete result.detail;
    }
    this.#queue.push({ kind: 'result', result });
    void this.#flush();
  }

  async #handleCommand(command: Command): Promise<void> {
    const handled = this.#done.ids();
    if (this.#running !== undefined) handled.add(this.#running);
    const decision = decideCommand(command, this.#options.policy, this.#now(), handled);
    const refuse = (code: ErrorCode, reason: string): void => {
      this.#logger.warn('command_rejected', { commandId: command.id, type: command.type, code, reason });
      this.#queueResult(command.id, 'rejected', code, reason);
    };
    if (!decision.accept && decision.code === 'E_COMMAND_REPEATED') {
      // No second result: the first run reports (or already reported) the real outcome under this id, and a
      // "rejected" here would overwrite it on the server when a redelivery races a running command.
      this.#logger.info('command_repeat_ignored', { commandId: command.id, type: command.type });
      return;
    }
    if (!decision.accept) return refuse(decision.code, decision.reason);
    if (this.#running !== undefined) return refuse('E_COMMAND_BUSY', 'another command is running');
    const handler = this.#handlers.get(command.type);
    if (handler === undefined) return refuse('E_COMMAND_NO_HANDLER', `no handler for ${command.type}`);
    this.#running = command.id;
    this.send({ kind: 'command.received', detail: { commandId: command.id, type: command.type } });
    let outcome: HandlerOutcome;
    try {
      outcome = await handler(command);
    } catch (error) {
      outcome = { outcome: 'failed', code: 'E_COMMAND_FAILED', message: (error as Error).message };
    } finally {
      this.#running = undefined;
    }
    // Done only after success: a failed command may be sent again and run again.
    if (outcome.outcome === 'succeeded') this.#done.add(command.id, this.#now());
    this.#logger.info('command_finished', { commandId: command.id, type: command.type, outcome: outcome.outcome, code: outcome.code });
    this.#queueResult(command.id, outcome.outcome, outcome.code, outcome.message, outcome.detail);
  }
}
