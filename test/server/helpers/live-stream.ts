// A Server-Sent Events client for tests, over node:http so a test can also stop reading (a slow client). It
// records every event and comment the server sends and whether the server ended the response.
import http from 'node:http';

/** One `event:`/`data:` block. */
export interface StreamEvent {
  event: string;
  data: string;
}

/** An open (or refused) GET of an event stream. */
export class TestEventStream {
  readonly events: StreamEvent[] = [];
  readonly comments: string[] = [];
  retryMs: number | undefined;
  /** Set when the server ended the response (cleanly) or the connection dropped. */
  endedBy: 'end' | 'close' | undefined;
  readonly ended: Promise<void>;
  #buffer = '';
  #markEnded!: () => void;

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    readonly response: http.IncomingMessage,
    readonly body: string,
  ) {
    this.ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
  }

  /** GET `url` with `headers`; a non-200 answer is read whole into `body`. */
  static open(url: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve(new TestEventStream(response.statusCode ?? 0, response.headers, response, body)));
          return;
        }
        const stream = new TestEventStream(200, response.headers, response, '');
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => stream.#take(chunk));
        response.on('end', () => stream.#finish('end'));
        response.on('close', () => stream.#finish('close'));
        response.on('error', () => stream.#finish('close'));
        resolve(stream);
      });
      request.on('error', reject);
    });
  }

  #finish(how: 'end' | 'close'): void {
    this.endedBy ??= how;
    this.#markEnded();
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trim());
        else if (line.startsWith('retry:')) this.retryMs = Number(line.slice(6).trim());
      }
      if (event !== undefined || data.length > 0) this.events.push({ event: event ?? 'message', data: data.join('\n') });
    }
  }

  /** Topics of every `change` event so far. */
  changes(): string[][] {
    return this.events.filter((event) => event.event === 'change').map((event) => (JSON.parse(event.data) as { topics: string[] }).topics);
  }

  /** Wait until a `change` event names `topic`. */
  async waitForTopic(topic: string, timeoutMs = 5000): Promise<void> {
    await this.waitUntil(() => this.changes().some((topics) => topics.includes(topic)), `a change of ${topic}`, timeoutMs);
  }

  /** Wait until `condition` holds (checked every 10 ms). */
  async waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > timeoutMs) throw new Error(`waiting for ${what}: timed out; events ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stop reading: the server's writes pile up in the socket buffers, then in its own. */
  pause(): void {
    this.response.pause();
    this.response.socket.pause();
  }

  close(): void {
    this.response.destroy();
  }
}
