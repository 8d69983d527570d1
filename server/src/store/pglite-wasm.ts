// PGlite's WebAssembly (PostgreSQL and initdb), compiled once per process and handed to every PGlite worker.
// A compiled module posted to a worker thread shares its machine code, including what V8 optimized while it ran;
// each worker compiling its own would start every database (each test's, each benchmark round's) on slow baseline
// code and spend seconds of CPU optimizing it again. PGlite on the main thread got this sharing from its own cache.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The compiled modules a worker passes to PGlite.create. */
export interface PgliteWasm {
  pglite: WebAssembly.Module;
  initdb: WebAssembly.Module;
}

/** The global WebAssembly object: Node's types declare the WebAssembly types but not this value. */
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

let compiled: Promise<PgliteWasm> | undefined;

/** The modules, compiled on first use (off the event loop: V8 compiles WebAssembly on its own threads). */
export function pgliteWasm(): Promise<PgliteWasm> {
  compiled ??= compile().catch((error: unknown) => {
    compiled = undefined; // let a later open try again
    throw error;
  });
  return compiled;
}

async function compile(): Promise<PgliteWasm> {
  const require = createRequire(import.meta.url);
  const [pglite, initdb] = await Promise.all(
    ['@electric-sql/pglite/pglite.wasm', '@electric-sql/pglite/initdb.wasm'].map(async (name) => wasm.compile(await readFile(require.resolve(name)))),
  );
  return { pglite: pglite!, initdb: initdb! };
}
