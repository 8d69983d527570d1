// One device's socket on this instance: sending with backpressure, closing with a registered code, and the
// bookkeeping the gateway needs (liveness, in-flight events, commands already sent on this socket).
import type WebSocket from 'ws';
import type { Logger } from 'winston';
import { CLOSE_CODES, ERROR_CODES, type ServerMessage } from '../../../protocol/src/index.js';

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

  constructor(socket: WebSocket, device: { id: string; hardwareUuid: string; tokenHash: string }, logger: Logger, maxBufferedBytes: number) {
    this.#socket = socket;
    this.deviceId = device.id;
    this.hardwareUuid = device.hardwareUuid;
    this.tokenHash = device.tokenHash;
    this.#logger = logger;
    this.#maxBufferedBytes = maxBufferedBytes;
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
