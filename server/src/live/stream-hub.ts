// The Server-Sent Events streams of one instance: each authenticated dashboard holds one response open and gets
// `event: change` with the topics that changed. Bounded: a cap on streams, a cap on each one's unsent bytes, a
// heartbeat that also re-checks the credential (session expiry, logout or revocation elsewhere ends the stream).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'winston';
import { sendJson } from '../api/http.js';
import type { LiveTopic } from './topics.js';

/** Bounds and timings of the streams; each is a ServerConfig field (see config.ts). */
export interface LiveStreamLimits {
  /** Open streams this instance holds; past it, new ones get 503 with Retry-After. */
  maxStreams: number;
  /** A comment line this often keeps proxies from closing an idle stream; the credential is re-checked then too. */
  heartbeatMs: number;
  /** A stream whose unsent output passes this many bytes belongs to a client that stopped reading: dropped. */
  maxBufferedBytes: number;
  /** The `retry:` hint: how long a browser waits before reconnecting a dropped stream. */
  retryMs: number;
}

/** Whether the credential a stream was opened with is still good: false ends the stream. */
export type CredentialCheck = () => Promise<boolean>;

interface LiveStream {
  readonly response: ServerResponse;
  readonly admin: string;
  readonly stillAllowed: CredentialCheck;
}

/** Seconds a refused client is asked to wait. */
const RETRY_AFTER_SECONDS = 30;

/** Counters for tests and logs. */
export interface LiveStreamStats {
  opened: number;
  refused: number;
  droppedSlow: number;
  endedByCredential: number;
}

/** Holds this instance's event streams and writes change notices to them. */
export class LiveStreamHub {
  readonly stats: LiveStreamStats = { opened: 0, refused: 0, droppedSlow: 0, endedByCredential: 0 };
  readonly #logger: Logger;
  readonly #limits: LiveStreamLimits;
  readonly #streams = new Set<LiveStream>();
  readonly #heartbeat: NodeJS.Timeout;
  #closing = false;

  constructor(options: { logger: Logger; limits: LiveStreamLimits }) {
    this.#logger = options.logger;
    this.#limits = options.limits;
    this.#heartbeat = setInterval(() => void this.#beat(), this.#limits.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Open streams on this instance. */
  get size(): number {
    return this.#streams.size;
  }

  /** Turn an authenticated GET into a stream, or refuse it (503) when stopping or at the cap. */
  open(request: IncomingMessage, response: ServerResponse, admin: string, stillAllowed: CredentialCheck): void {
    if (this.#closing) {
      sendJson(response, 503, { error: 'E_SHUTTING_DOWN', message: 'the server is stopping' }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
      return;
    }
    if (this.#streams.size >= this.#limits.maxStreams) {
      this.stats.refused += 1;
      this.#logger.warn('live_stream_refused', { admin, open: this.#streams.size, max: this.#limits.maxStreams });
      sendJson(response, 503, { error: 'E_STREAM_LIMIT', message: `this instance holds ${this.#limits.maxStreams} live streams already` }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
      return;
    }
    const stream: LiveStream = { response, admin, stillAllowed };
    this.#streams.add(stream);
    this.stats.opened += 1;
    request.socket.setTimeout(0);
    request.socket.setNoDelay(true);
    response.on('close', () => this.#streams.delete(stream));
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Reverse proxies (nginx) would otherwise buffer the stream and deliver it in lumps.
      'x-accel-buffering': 'no',
    });
    this.#write(stream, `retry: ${this.#limits.retryMs}\n: live\n\n`);
  }

  /** Tell every stream that these topics changed. */
  publish(topics: readonly LiveTopic[]): void {
    if (topics.length === 0) return;
    const frame = `event: change\ndata: ${JSON.stringify({ topics })}\n\n`;
    for (const stream of this.#streams) this.#write(stream, frame);
  }

  /** Re-check every stream's credential now (after a logout or a token revocation on this instance). */
  async recheckAll(): Promise<void> {
    await Promise.all([...this.#streams].map((stream) => this.#recheck(stream)));
  }

  #write(stream: LiveStream, text: string): void {
    const { response } = stream;
    if (response.destroyed || response.writableEnded) {
      this.#streams.delete(stream);
      return;
    }
    response.write(text);
    if (response.writableLength > this.#limits.maxBufferedBytes) {
      // The client stopped reading (or reads far slower than a few notices a second): drop it rather than buffer.
      this.stats.droppedSlow += 1;
      this.#logger.warn('live_stream_slow', { admin: stream.admin, bufferedBytes: response.writableLength });
      this.#streams.delete(stream);
      response.destroy();
    }
  }

  async #beat(): Promise<void> {
    for (const stream of this.#streams) this.#write(stream, ': ping\n\n');
    await this.recheckAll();
  }

  async #recheck(stream: LiveStream): Promise<void> {
    let allowed: boolean;
    try {
      allowed = await stream.stillAllowed();
    } catch (error) {
      // Fail closed: the browser reconnects and is authenticated anew.
      this.#logger.warn('live_stream_recheck_failed', { admin: stream.admin, error: (error as Error).message });
      allowed = false;
    }
    if (allowed || !this.#streams.has(stream)) return;
    this.stats.endedByCredential += 1;
    this.#logger.info('live_stream_ended', { admin: stream.admin, reason: 'credential no longer valid' });
    this.#end(stream, 'unauthenticated');
  }

  /** Say why the stream ends (the browser reconnects after a shutdown, and goes to the login after the other). */
  #end(stream: LiveStream, reason: 'unauthenticated' | 'shutdown'): void {
    this.#streams.delete(stream);
    if (stream.response.destroyed || stream.response.writableEnded) return;
    stream.response.end(`event: ended\ndata: ${JSON.stringify({ reason })}\n\n`);
  }

  /** End every stream cleanly and refuse new ones (shutdown). */
  close(): void {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    for (const stream of [...this.#streams]) this.#end(stream, 'shutdown');
  }
}
