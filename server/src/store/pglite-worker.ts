// The database side of the PGlite driver: a worker thread that owns one PGlite instance (PostgreSQL compiled to
// WASM) and answers the driver's requests (pglite-messages.ts). It runs beside the server's event loop, so parsing
// frames, acks, the API and the dashboard go on while a batch of events is being inserted.
// PGlite's own locks order the work: a statement outside a transaction waits until an open transaction ends.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { parentPort, workerData } from 'node:worker_threads';
import { errorToWire, type PgliteReply, type PgliteRequest, type PgliteWorkerData } from './pglite-messages.js';

/**
 * PGlite has no autovacuum: without this, every last-seen update leaves a dead row version behind for good, the
 * planner's statistics never follow the fleet, index-only scans visit the heap, and the trigram indexes' pending
 * lists grow. Vacuuming the tables the dashboard reads every few minutes stands in for it (under a second at
 * 50,000 devices, while other statements wait).
 */
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;
const MAINTENANCE_SQL = ['vacuum (analyze) devices', 'vacuum (analyze) events', 'vacuum (analyze) device_milestones'];

/** The `json` type. */
const JSON_OID = 114;

/**
 * A json parameter as its UTF-8 bytes, which PGlite sends in binary format: PostgreSQL's json receive function takes
 * the same text (and checks it the same way), while PGlite's text path counts and encodes the string in JavaScript
 * byte by byte (an event batch is about 120 KB: about 2 µs of this thread per event). JSON text never holds a raw
 * unpaired surrogate (JSON.stringify escapes it), so the encoding replaces nothing.
 */
function jsonParameterBytes(value: unknown): Uint8Array {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item)));
}

/**
 * PGlite's types say a serializer returns a string, but its Bind message sends any returned byte array in binary
 * format (node-postgres does the same with a Buffer); test/server/pglite-worker-driver.test.ts checks the json
 * parameter both ways, so a PGlite release that changed this would fail there.
 */
const BYTE_SERIALIZERS = { [JSON_OID]: jsonParameterBytes } as unknown as Record<number, (value: unknown) => string>;

/** Thrown inside db.transaction to make PGlite roll back when the main thread's work failed. */
const ROLLBACK = Symbol('rollback requested by the driver');

interface OpenTransaction {
  tx: Transaction | undefined;
  /** Let the transaction callback return (commit) or throw ROLLBACK. */
  decide(commit: boolean): void;
  /** Settles once COMMIT or ROLLBACK ran; rejects with the error of a failed COMMIT. */
  outcome: Promise<void>;
}

const port = parentPort;
if (port === null) throw new Error('pglite-worker.js runs only as a worker thread of the PGlite driver');

function post(reply: PgliteReply): void {
  port!.postMessage(reply);
}

/**
 * A WASM trap (an abort inside PostgreSQL) leaves the instance unusable: after answering the request it came from,
 * end the thread with it, so the driver fails every call with one clear error instead of a string of odd ones.
 */
function failWith(id: number, error: unknown): void {
  post({ type: 'result', id, ok: false, error: errorToWire(error) });
  // WebAssembly.RuntimeError (Node's types leave the WebAssembly namespace without values).
  if (error instanceof Error && error.name === 'RuntimeError') {
    setImmediate(() => {
      throw error;
    });
  }
}

async function answer(id: number, work: () => Promise<unknown>): Promise<void> {
  try {
    post({ type: 'result', id, ok: true, value: await work() });
  } catch (error) {
    failWith(id, error);
  }
}

async function open(): Promise<PGlite | undefined> {
  const { dataDir, wasm } = workerData as PgliteWorkerData;
  // pg_trgm backs the device search's trigram indexes (migration 3).
  const options = { extensions: { pg_trgm }, pgliteWasmModule: wasm.pglite, initdbWasmModule: wasm.initdb, serializers: BYTE_SERIALIZERS };
  try {
    return dataDir === undefined ? await PGlite.create(options) : await PGlite.create(dataDir, options);
  } catch (error) {
    post({ type: 'open-failed', error: errorToWire(error) });
    return undefined;
  }
}

function serve(db: PGlite): void {
  const transactions = new Map<number, OpenTransaction>();
  const unlisteners = new Map<number, () => Promise<void>>();

  const maintenance = setInterval(() => {
    void (async () => {
      for (const sql of MAINTENANCE_SQL) await db.exec(sql);
    })().catch(() => undefined);
  }, MAINTENANCE_INTERVAL_MS);

  /** The transaction a statement names, or the whole database. */
  function target(tx: number | undefined): Pick<Transaction, 'query' | 'exec'> {
    if (tx === undefined) return db;
    const open = transactions.get(tx)?.tx;
    if (open === undefined) throw new Error('the transaction has ended');
    return open;
  }

  function begin(id: number): void {
    let decide!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => {
      decide = resolve;
    });
    const entry: OpenTransaction = { tx: undefined, decide, outcome: Promise.resolve() };
    entry.outcome = db
      .transaction(async (tx) => {
        entry.tx = tx;
        transactions.set(id, entry);
        post({ type: 'result', id, ok: true, value: null });
        if (!(await decided)) throw ROLLBACK;
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (error === ROLLBACK) return;
          if (entry.tx === undefined) return failWith(id, error); // BEGIN itself failed: the begin request's answer
          throw error; // COMMIT or ROLLBACK failed: the end request's answer
        },
      );
  }

  async function end(tx: number, commit: boolean): Promise<null> {
    const entry = transactions.get(tx);
    if (entry === undefined) throw new Error('the transaction has ended');
    transactions.delete(tx);
    entry.decide(commit);
    await entry.outcome;
    return null;
  }

  async function handle(request: PgliteRequest): Promise<void> {
    switch (request.op) {
      case 'query':
        return answer(request.id, async () => (await target(request.tx).query(request.sql, request.params as unknown[])).rows);
      case 'exec':
        return answer(request.id, async () => {
          await target(request.tx).exec(request.sql);
          return null;
        });
      case 'begin':
        return begin(request.id);
      case 'end':
        return answer(request.id, () => end(request.tx, request.commit));
      case 'listen':
        return answer(request.id, async () => {
          const listener = request.id;
          unlisteners.set(listener, await db.listen(request.channel, (payload) => post({ type: 'notice', listener, payload })));
          return null;
        });
      case 'unlisten':
        return answer(request.id, async () => {
          const unlisten = unlisteners.get(request.listener);
          unlisteners.delete(request.listener);
          await unlisten?.();
          return null;
        });
      case 'close':
        // The driver terminates this thread once it has the answer.
        clearInterval(maintenance);
        return answer(request.id, async () => {
          await db.close();
          return null;
        });
    }
  }

  port!.on('message', (request: PgliteRequest) => void handle(request));
  post({ type: 'ready' });
}

const db = await open();
if (db !== undefined) serve(db);
