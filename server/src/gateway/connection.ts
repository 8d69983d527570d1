// One device's socket on this instance: sending with backpressure, closing with a registered code, and the
// bookkeeping the gateway needs (liveness, in-flight events, commands already sent on this socket).
import type WebSocket from 'ws';
import type { Logger } from 'winston';
import { CLOSE_CODES, ERROR_CODES, MAX_ACK_IDS, type ErrorCode, type ServerMessage } from '../../../protocol/src/index.js';

export type CloseReason = keyof typeof CLOSE_CODES;

/** An authenticated device socket. `deviceId` is known from the token; `hello` arrives later. */
export class DeviceConnection {
  readonly deviceId: string;
  readonly hardwareUuid: string;
  /** Hash of the token this socket authenticated with: rechecked when the device's access changes. */
  readonly tokenHash: string;
  readonly #socket: WebSocket;
  readonly #logger: Logger;
  readonly #maxBufferedBytes: number;
  /** Set by hello. */
  helloDone = false;
  /** Closes the socket when hello does not come in time; cleared by hello. */
  helloTimer: NodeJS.Timeout | undefined;
  /** Cleared before each ping, set by each pong. */
  isAlive = true;
  closing = false;
  /** Events received but not yet stored; reading pauses above a bound. */
  inFlightEvents = 0;
  paused = false;
  /** Command ids already sent on this socket, so sweeps do not resend them (made on the first command: most idle sockets never get one). */
  #sentCommandIds: Set<string> | undefined;
  /** Capabilities the agent announced in hello. */
  capabilities: readonly string[] = [];
  /** The agent version announced in hello. */
  agentVersion = '';
  readonly #stateReports: RateBudget;

  constructor(
    socket: WebSocket,
    device: { id: string; hardwareUuid: string; tokenHash: string },
    logger: Logger,
    maxBufferedBytes: number,
    stateReportsPerMinute: number,
  ) {
    this.#socket = socket;
    this.deviceId = device.id;
    this.hardwareUuid = device.hardwareUuid;
    this.tokenHash = device.tokenHash;
    this.#logger = logger;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#stateReports = new RateBudget(stateReportsPerMinute, 60_000);
  }

  /** Count one inventory or stage state frame; false once the agent sends them faster than the limit. */
  takeStateReport(nowMs: number): boolean {
    return this.#stateReports.take(nowMs);
  }

  /**
   * Tell the agent these queued items will never be stored, so it drops them instead of re-sending them on every
   * reconnect. Agents without `refuse.v1` do not know the message: they get an ack, which drops the item too.
   */
  refuse(ids: readonly string[], code: ErrorCode, reason: string): void {
    const understandsRefused = this.capabilities.includes('refuse.v1');
    for (let start = 0; start < ids.length; start += MAX_ACK_IDS) {
      const slice = ids.slice(start, start + MAX_ACK_IDS);
      this.send(understandsRefused ? { type: 'refused', ids: slice, code, reason: reason.slice(0, 500) } : { type: 'ack', ids: slice });
    }
  }

  /** Whether command `id` was already sent on this socket. */
  wasSent(id: string): boolean {
    return this.#sentCommandIds?.has(id) ?? false;
  }

  /** Remember that command `id` was sent on this socket. */
  markSent(id: string): void {
    (this.#sentCommandIds ??= new Set()).add(id);
  }

  get socket(): WebSocket {
    return this.#socket;
  }

  /** Send a message unless the peer is not reading: then close it as a slow consumer. */
  send(message: ServerMessage): boolean {
    if (this.closing || this.#socket.readyState !== this.#socket.OPEN) return false;
    if (this.#socket.bufferedAmount > this.#maxBufferedBytes) {
      this.close('SLOW_CONSUMER', `send buffer above ${this.#maxBufferedBytes} bytes`);
      return false;
    }
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  /** Tell the agent why, then close with the registered code. */
  close(reason: CloseReason, detail: string): void {
    if (this.closing) return;
    this.closing = true;
    const entry = CLOSE_CODES[reason];
    this.#logger.info('connection_closing', { deviceId: this.deviceId, closeCode: entry.code, code: entry.error, detail });
    if (this.#socket.readyState === this.#socket.OPEN && this.#socket.bufferedAmount <= this.#maxBufferedBytes) {
      this.#socket.send(JSON.stringify({ type: 'error', code: entry.error, message: ERROR_CODES[entry.error].meaning } satisfies ServerMessage));
    }
    this.#socket.close(entry.code, entry.error);
    // A peer that ignores the close handshake is cut after a short wait.
    setTimeout(() => this.#socket.terminate(), 2000).unref();
  }

  /** Stop reading while too many events wait for the store (TCP backpressure reaches the agent). */
  pauseReading(): void {
    if (!this.paused) {
      this.paused = true;
      this.#socket.pause();
    }
  }

  resumeReading(): void {
    if (this.paused) {
      this.paused = false;
      this.#socket.resume();
    }
  }
}

/**
 * A token bucket: `perWindow` takes per `windowMs` on average, up to `perWindow` at once. Starts full, so the
 * reports an agent sends right after connecting never count against it.
 */
class RateBudget {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #at: number | undefined;

  constructor(perWindow: number, windowMs: number) {
    this.#capacity = perWindow;
    this.#refillPerMs = perWindow / windowMs;
    this.#tokens = perWindow;
  }

  take(nowMs: number): boolean {
    if (this.#at !== undefined) this.#tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, nowMs - this.#at) * this.#refillPerMs);
    this.#at = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
