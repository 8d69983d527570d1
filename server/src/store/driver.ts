// The seam between the store's SQL and a database: one interface, two drivers (PGlite embedded, pg for
// PostgreSQL). The store sends the same SQL text to both, but for the order of the event INSERT (sql/events.ts).

/** Something that runs parameterized SQL: a driver or a transaction. */
export interface Queryable {
  /** Run one statement with $n parameters and return its rows. */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Run a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A database connection the store owns. */
export interface SqlDriver extends Queryable {
  /** Which engine, for logs and benchmarks. */
  readonly kind: 'pglite' | 'postgres';
  /** Run `work` inside BEGIN/COMMIT, rolling back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the returned function stops listening. */
  listen(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The SQLSTATE of an error either driver threw (both carry it as `code`); for decisions and logs, never the value. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
