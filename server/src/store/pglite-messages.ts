// The messages between the PGlite driver (main thread) and the worker thread that runs PGlite. Each request carries
// an id; the worker answers it with exactly one reply of that id. Notifications of a LISTEN come unasked.
// Both ends are this program's own code in one process, so the types are the contract (no zod here: validating
// every reply's rows on the main thread would spend the time the worker exists to save).
import type { PgliteWasm } from './pglite-wasm.js';

/** What the worker thread is started with. */
export interface PgliteWorkerData {
  /** The data directory, or undefined for an in-memory database. */
  dataDir: string | undefined;
  /** PGlite's WebAssembly, compiled once per process (pglite-wasm.ts). */
  wasm: PgliteWasm;
}

/** Main thread to worker. `tx` routes a statement into the open transaction begun by that request id. */
export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params: readonly unknown[]; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  /** Open a transaction; the reply comes once BEGIN ran, and this request's id names the transaction. */
  | { id: number; op: 'begin' }
  /** Commit (or roll back) the transaction `tx`; the reply comes once that is done. */
  | { id: number; op: 'end'; tx: number; commit: boolean }
  /** LISTEN on `channel`; this request's id names the listener in later notices and in unlisten. */
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; listener: number }
  | { id: number; op: 'close' };

/** A database error as it crosses the thread boundary: the message and PostgreSQL's fields, never the params. */
export interface WireError {
  name: string;
  message: string;
  /** The worker-side stack, kept as a `cause` for debugging. */
  stack: string | undefined;
  fields: Partial<Record<SqlErrorField, string>>;
}

/** Worker to main thread. */
export type PgliteReply =
  | { type: 'ready' }
  | { type: 'open-failed'; error: WireError }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | { type: 'notice'; listener: number; payload: string };

/** The fields of a PostgreSQL error (ErrorResponse) that the store and logs may read. */
export const SQL_ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;
export type SqlErrorField = (typeof SQL_ERROR_FIELDS)[number];

/**
 * Flatten an error for postMessage. Structured clone would keep only name, message and stack of an Error, losing the
 * SQLSTATE the store decides on. The query's params (PGlite attaches them) are left behind: they may hold secrets.
 */
export function errorToWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), stack: undefined, fields: {} };
  const fields: WireError['fields'] = {};
  for (const field of SQL_ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string') fields[field] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** An error thrown by the embedded database, rebuilt on the main thread with the same SQL fields. */
export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}
/** The SQL fields of SQL_ERROR_FIELDS, each present when the database gave it. */
export interface EmbeddedDatabaseError extends Partial<Record<SqlErrorField, string>> {}

/**
 * Rebuild a wire error. Called on the main thread right after the await that received it, so the new Error's stack
 * is the main-thread caller's (V8's async stack traces); the worker's stack is kept as `cause`.
 */
export function errorFromWire(wire: WireError): EmbeddedDatabaseError {
  const cause = wire.stack === undefined ? undefined : Object.assign(new Error(wire.message), { name: wire.name, stack: wire.stack });
  const error = new EmbeddedDatabaseError(wire.message, cause === undefined ? undefined : { cause });
  Object.assign(error, wire.fields);
  return error;
}
