// SqlDriver over PGlite: PostgreSQL compiled to WASM, embedded in this process. Used when DATABASE_URL is not set,
// so a newcomer needs no database to start the server. One instance per data directory; single server instance.
// PGlite runs in a worker thread (pglite-worker.ts): executing SQL took most of the server's CPU, and on the main
// thread every INSERT held up WebSocket parsing, acks, the API and the dashboard. This side only passes messages.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Queryable, SqlDriver } from './driver.js';
import { errorFromWire, type PgliteReply, type PgliteRequest, type PgliteWorkerData, type WireError } from './pglite-messages.js';
import { pgliteWasm } from './pglite-wasm.js';

/** The worker's Worker, for tests that kill it to check what callers see. Not part of the driver's API. */
export const PGLITE_WORKER_FOR_TESTS = Symbol('pglite worker (tests only)');

/** What every failing call says, so a log line names the embedded database. */
const WHAT = 'the embedded database (PGlite)';

/**
 * The compiled worker script. Beside this module once compiled (dist/) or bundled (the benchmarks put it beside
 * their bundle); when this module runs from its TypeScript source (vitest), Node cannot start a .ts worker, so the
 * one `npm run build` compiled under dist/ is used.
 */
export function pgliteWorkerScript(moduleUrl: string = import.meta.url): URL {
  const fromSource = moduleUrl.endsWith('.ts');
  const script = fromSource ? new URL('../../../dist/server/src/store/pglite-worker.js', moduleUrl) : new URL('./pglite-worker.js', moduleUrl);
  if (!existsSync(script)) {
    const fix = fromSource ? 'run `npm run build` first' : 'it must sit beside the server code that opens the database';
    throw new Error(`${WHAT}: its worker script ${fileURLToPath(script)} is missing: ${fix}`);
  }
  return script;
}

/** What the owner of an embedded database hears about it. */
export interface PgliteDriverOptions {
  /**
   * The database stopped on its own (its thread died: a WebAssembly trap, out of memory), not through close().
   * Every call fails from then on; the driver does not start another thread on the same data directory, which a
   * failure may have left damaged. The server exits so that its supervisor starts it again.
   */
  onStopped?: (error: Error) => void;
}

/** Open an embedded database in `dataDir`, or in memory when dataDir is undefined. */
export async function openPgliteDriver(dataDir: string | undefined, options: PgliteDriverOptions = {}): Promise<SqlDriver> {
  const script = pgliteWorkerScript();
  const workerData: PgliteWorkerData = { dataDir, wasm: await pgliteWasm() };
  const worker = new Worker(script, { workerData, name: 'pglite' });
  try {
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: PgliteReply): void => {
        if (reply.type === 'ready') return settle(undefined);
        if (reply.type === 'open-failed') settle(errorFromWire(reply.error));
      };
      const onError = (error: Error): void => settle(error);
      const onExit = (code: number): void => settle(new Error(`its thread exited with code ${code} while opening`));
      const settle = (error: Error | undefined): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (error === undefined) resolve();
        else reject(error);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (error) {
    await worker.terminate();
    const where = dataDir === undefined ? 'in memory' : `in ${dataDir}`;
    throw new Error(`opening ${WHAT} ${where}: ${(error as Error).message}`, { cause: error });
  }
  return new PgliteWorkerDriver(worker, options.onStopped);
}

/** A request without its id (the driver numbers them). */
type Operation = PgliteRequest extends infer R ? (R extends PgliteRequest ? Omit<R, 'id'> : never) : never;
type Settled = { ok: true; value: unknown } | { ok: false; error: WireError };

class PgliteWorkerDriver implements SqlDriver {
  readonly kind = 'pglite' as const;
  readonly #worker: Worker;
  #nextId = 1;
  readonly #pending = new Map<number, (settled: Settled) => void>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  /** Why every call now fails (the worker died, or close() ran); undefined while the database serves. */
  #stopped: WireError | undefined;
  #closing: Promise<void> | undefined;
  readonly #onStopped: ((error: Error) => void) | undefined;

  constructor(worker: Worker, onStopped: ((error: Error) => void) | undefined) {
    this.#worker = worker;
    this.#onStopped = onStopped;
    worker.on('message', (reply: PgliteReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(`stopped: ${error.name}: ${error.message}`));
    worker.on('messageerror', (error) => this.#fail(`stopped: an answer could not be read (${error.message})`));
    worker.on('exit', (code) => this.#fail(`stopped: its thread exited with code ${code}`));
    // Like PGlite on the main thread, an idle database does not keep the process alive; a pending call does.
    worker.unref();
  }

  get [PGLITE_WORKER_FOR_TESTS](): Worker {
    return this.#worker;
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#run({ op: 'query', sql, params })) as Row[];
  }

  async exec(sql: string): Promise<void> {
    await this.#run({ op: 'exec', sql });
  }

  /**
   * BEGIN in the worker, then `work`'s statements go to that transaction; COMMIT when work resolves, ROLLBACK when
   * it throws (and its error is what the caller gets). Statements outside it wait in the worker until it ends.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = this.#nextId++;
    await this.#run({ op: 'begin' }, tx);
    const scoped: Queryable = {
      query: async <Row>(sql: string, params: readonly unknown[] = []) => (await this.#run({ op: 'query', sql, params, tx })) as Row[],
      exec: async (sql: string) => {
        await this.#run({ op: 'exec', sql, tx });
      },
    };
    let result: T;
    try {
      result = await work(scoped);
    } catch (error) {
      // A failed ROLLBACK (or a dead worker) must not hide why the work failed; the transaction is gone either way.
      await this.#call({ op: 'end', tx, commit: false });
      throw error;
    }
    await this.#run({ op: 'end', tx, commit: true });
    return result;
  }

  async listen(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = this.#nextId++;
    // Registered before asking, so a notice that overtakes the answer is not lost.
    this.#listeners.set(listener, onNotice);
    try {
      await this.#run({ op: 'listen', channel }, listener);
    } catch (error) {
      this.#listeners.delete(listener);
      throw error;
    }
    return async () => {
      if (!this.#listeners.delete(listener) || this.#stopped !== undefined) return;
      await this.#run({ op: 'unlisten', listener });
    };
  }

  /** Close the database in the worker (it waits for running statements), then end the thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const closed = this.#stopped === undefined ? await this.#call({ op: 'close' }) : undefined;
    this.#stop('is closed');
    await this.#worker.terminate();
    if (closed?.ok === false) throw errorFromWire(closed.error);
  }

  /**
   * Send one request and wait for its answer, throwing the database's error. The error is rebuilt here, after the
   * await, so its stack shows the main-thread caller.
   */
  async #run(operation: Operation, id?: number): Promise<unknown> {
    const settled = await this.#call(operation, id);
    if (!settled.ok) throw errorFromWire(settled.error);
    return settled.value;
  }

  #call(operation: Operation, id: number = this.#nextId++): Promise<Settled> {
    if (this.#stopped !== undefined) return Promise.resolve({ ok: false, error: this.#stopped });
    return new Promise((resolve) => {
      try {
        this.#worker.postMessage({ ...operation, id });
      } catch (error) {
        // A parameter structured clone cannot copy (a function, a class with private state).
        resolve({ ok: false, error: { name: 'TypeError', message: `${WHAT}: a parameter cannot be sent to it: ${(error as Error).message}`, stack: undefined, fields: {} } });
        return;
      }
      this.#pending.set(id, resolve);
      if (this.#pending.size === 1) this.#worker.ref();
    });
  }

  #onReply(reply: PgliteReply): void {
    if (reply.type === 'notice') {
      this.#listeners.get(reply.listener)?.(reply.payload);
      return;
    }
    if (reply.type !== 'result') return;
    const resolve = this.#pending.get(reply.id);
    if (resolve === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    resolve(reply.ok ? { ok: true, value: reply.value } : { ok: false, error: reply.error });
  }

  /** The thread failed or ended: stop, and tell the owner unless close() is what ended it. */
  #fail(reason: string): void {
    if (this.#stopped !== undefined) return;
    this.#stop(reason);
    if (this.#closing === undefined) this.#onStopped?.(errorFromWire(this.#stopped!));
  }

  /** From now on every call fails with `${WHAT} ${reason}`; calls waiting for an answer fail now. */
  #stop(reason: string): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = { name: 'Error', message: `${WHAT} ${reason}`, stack: undefined, fields: {} };
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    this.#listeners.clear();
    this.#worker.unref();
    for (const resolve of waiting) resolve({ ok: false, error: this.#stopped });
  }
}
