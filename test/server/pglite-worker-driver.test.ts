// The PGlite driver runs the database in a worker thread: values, errors, transactions, notifications, closing and
// the worker's death must look to the store exactly as they did with PGlite on the main thread. Real worker, real
// PGlite (in memory; the compiled worker from `npm run build`).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../../server/src/store/driver.js';
import { openPgliteDriver, PGLITE_WORKER_FOR_TESTS, pgliteWorkerScript } from '../../server/src/store/pglite-driver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function workerOf(driver: SqlDriver): Worker {
  return (driver as unknown as Record<typeof PGLITE_WORKER_FOR_TESTS, Worker>)[PGLITE_WORKER_FOR_TESTS];
}

/** A promise and the function that resolves it: lets a test hold a transaction open until it says so. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Track whether a promise has settled yet, without turning its rejection into an unhandled one. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

describe('the PGlite driver (database in a worker thread)', () => {
  let driver: SqlDriver;

  beforeAll(async () => {
    driver = await openPgliteDriver(undefined);
    await driver.exec(`
      create table items (id int primary key, note text check (note is distinct from 'refused'), seen timestamptz, data jsonb);
    `);
  }, 60_000);
  afterAll(async () => {
    await driver?.close();
  });

  it('returns Date, jsonb, null, bigint, numeric, arrays and bytea as PGlite does, and takes such params', async () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    const [row] = await driver.query<Record<string, unknown>>(
      `select $1::timestamptz as at, $2::jsonb as doc, null::text as nothing, 9007199254740993::int8 as big, 7::int8 as small,
         1.5::numeric as exact, $3::text[] as names, $4::bytea as bytes, $5::int as number`,
      [when, JSON.stringify({ step: 'x', nested: [1, null, { ok: true }] }), ['a', "b'c", 'é'], Buffer.from([0, 1, 255]), 42],
    );
    expect(row).toEqual({
      at: when,
      doc: { step: 'x', nested: [1, null, { ok: true }] },
      nothing: null,
      big: 9007199254740993n,
      small: 7,
      exact: '1.5',
      names: ['a', "b'c", 'é'],
      bytes: new Uint8Array([0, 1, 255]),
      number: 42,
    });
    expect(row!.at).toBeInstanceOf(Date);
  });

  it('sends a json parameter as its UTF-8 bytes: the same text as the text path, with the same refusals', async () => {
    const doc = { name: 'José 日本 🚀', quote: 'a"b\\c', nested: [1, null, { ok: true }] };
    const text = JSON.stringify(doc);
    // Binary and text input give PostgreSQL the same json: the text comes back byte for byte, and parses as jsonb.
    const [row] = await driver.query<Record<string, unknown>>('select $1::json::text as asText, $1::json::jsonb as asJsonb, octet_length($1::json::text) as bytes', [text]);
    expect(row).toEqual({ astext: text, asjsonb: doc, bytes: Buffer.byteLength(text) });
    // A value that is not a string is serialized as JSON (as PGlite does), bigint as its digits.
    const [fromObject] = await driver.query<Record<string, unknown>>('select $1::json::text as asText', [{ big: 9007199254740993n, list: ['é'] }]);
    expect(fromObject).toEqual({ astext: '{"big":"9007199254740993","list":["é"]}' });
    // The escapes PostgreSQL refuses when it turns JSON into text or jsonb stay refused, with the same SQLSTATEs.
    const columns = 'x(note text)';
    await expect(driver.query(`select * from json_to_recordset($1::json) as ${columns}`, ['[{"note": "a\\u0000b"}]'])).rejects.toMatchObject({ code: '22P05' });
    await expect(driver.query(`select * from json_to_recordset($1::json) as ${columns}`, ['[{"note": "a\\ud800b"}]'])).rejects.toMatchObject({ code: '22P02' });
    await expect(driver.query('select $1::json', ['{"unterminated": '])).rejects.toMatchObject({ code: '22P02' });
  });

  it('rethrows an SQL error with its SQLSTATE, message and fields, from the caller on this thread', async () => {
    await driver.query('insert into items (id) values (1) on conflict do nothing');
    const duplicate = await driver.query('insert into items (id) values (1)').catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate).toMatchObject({ code: '23505', severity: 'ERROR', table: 'items', constraint: 'items_pkey' });
    expect((duplicate as Error).message).toBe('duplicate key value violates unique constraint "items_pkey"');
    expect((duplicate as { detail?: string }).detail).toBe('Key (id)=(1) already exists.');
    expect((duplicate as Error).stack).toContain('pglite-worker-driver.test.ts');

    // The store's refusal logic reads the class-22 and CHECK codes.
    await expect(driver.query("insert into items (id, note) values (2, 'refused')")).rejects.toMatchObject({ code: '23514' });
    await expect(driver.query('select $1::jsonb', ['{"bad": "\\u0000"}'])).rejects.toMatchObject({ code: expect.stringMatching(/^22/) });
    await expect(driver.query('select 1/0')).rejects.toMatchObject({ code: '22012', message: 'division by zero' });
  });

  it('commits a transaction when its work resolves, and returns what the work returned', async () => {
    const result = await driver.transaction(async (tx) => {
      await tx.query('insert into items (id, note) values ($1, $2)', [10, 'committed']);
      await tx.exec("insert into items (id, note) values (11, 'committed too')");
      return (await tx.query<{ n: number }>('select count(*)::int as n from items where id in (10, 11)'))[0]!.n;
    });
    expect(result).toBe(2);
    expect(await driver.query('select id from items where id in (10, 11) order by id')).toEqual([{ id: 10 }, { id: 11 }]);
  });

  it('rolls back when the work throws, and the caller gets the work’s own error', async () => {
    const thrown = new Error('the work failed after inserting');
    const caught = await driver
      .transaction(async (tx) => {
        await tx.query('insert into items (id) values (20)');
        throw thrown;
      })
      .catch((error: unknown) => error);
    expect(caught).toBe(thrown);
    expect(await driver.query('select id from items where id = 20')).toEqual([]);

    // An SQL error inside the work rolls back the rows before it too.
    await expect(
      driver.transaction(async (tx) => {
        await tx.query('insert into items (id) values (21)');
        await tx.query('insert into items (id) values (21)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await driver.query('select id from items where id = 21')).toEqual([]);
  });

  it('makes a statement from outside a running transaction wait for its end: it sees no uncommitted row', async () => {
    const release = gate();
    let outside: ReturnType<typeof watch<Array<{ n: number }>>> | undefined;
    const committed = driver.transaction(async (tx) => {
      await tx.query('insert into items (id) values (30)');
      outside = watch(driver.query<{ n: number }>('select count(*)::int as n from items where id between 30 and 39'));
      // Round trips to the worker inside the transaction: the outside statement has every chance to run, and must not.
      await tx.query('select 1');
      await release.opened;
      await tx.query('insert into items (id) values (31)');
      expect(outside.settled()).toBe(false);
    });
    await new Promise((resolve) => setImmediate(resolve));
    release.open();
    await committed;
    expect(await outside!.promise).toEqual([{ n: 2 }]);

    // The same against a transaction that rolls back: the waiting statement sees neither row.
    let afterRollback: Promise<Array<{ n: number }>> | undefined;
    await driver
      .transaction(async (tx) => {
        await tx.query('insert into items (id) values (40)');
        afterRollback = driver.query<{ n: number }>('select count(*)::int as n from items where id = 40');
        await tx.query('select 1');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await afterRollback).toEqual([{ n: 0 }]);
  });

  it('forwards notifications to a listener until it stops listening', async () => {
    const payloads: string[] = [];
    const first = gate();
    const unlisten = await driver.listen('changes', (payload) => {
      payloads.push(payload);
      first.open();
    });
    await driver.query("select pg_notify('changes', 'devices')");
    await first.opened;
    expect(payloads).toEqual(['devices']);

    await unlisten();
    await driver.query("select pg_notify('changes', 'events')");
    await driver.query('select 1'); // a round trip after the NOTIFY: a forwarded notice would have arrived by now
    expect(payloads).toEqual(['devices']);
  });
});

describe('the PGlite driver closing and dying', () => {
  it('closes idempotently, and every later call says the embedded database is closed', async () => {
    const driver = await openPgliteDriver(undefined);
    await driver.query('select 1');
    await Promise.all([driver.close(), driver.close()]);
    await driver.close();
    await expect(driver.query('select 1')).rejects.toThrow('the embedded database (PGlite) is closed');
    await expect(driver.transaction(async () => 1)).rejects.toThrow('the embedded database (PGlite) is closed');
  }, 60_000);

  it('keeps what was written before close in its data directory', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'untether-pglite-worker-'));
    const first = await openPgliteDriver(dataDir);
    await first.exec("create table kept (note text); insert into kept values ('still here')");
    await first.close();
    const again = await openPgliteDriver(dataDir);
    try {
      expect(await again.query('select note from kept')).toEqual([{ note: 'still here' }]);
    } finally {
      await again.close();
    }
  }, 60_000);

  it('fails every waiting and later call with a clear error when the worker dies, without hanging', async () => {
    const driver = await openPgliteDriver(undefined);
    const inTransaction = gate();
    const release = gate();
    const transaction = watch(
      driver.transaction(async (tx) => {
        inTransaction.open();
        await release.opened;
        await tx.query('select 1');
      }),
    );
    await inTransaction.opened;
    const waiting = driver.query('select 1'); // waits in the worker behind the open transaction
    await workerOf(driver).terminate();
    await expect(waiting).rejects.toThrow(/^the embedded database \(PGlite\) stopped: its thread exited/);
    release.open();
    await expect(transaction.promise).rejects.toThrow(/the embedded database \(PGlite\) stopped/);
    await expect(driver.query('select 1')).rejects.toThrow(/the embedded database \(PGlite\) stopped/);
    await driver.close(); // nothing left to close: resolves
  }, 60_000);

  it('tells its owner once when its thread dies on its own, and never when it is closed', async () => {
    const lost: Error[] = [];
    const dying = await openPgliteDriver(undefined, { onStopped: (error) => lost.push(error) });
    await dying.query('select 1');
    await workerOf(dying).terminate();
    await expect(dying.query('select 1')).rejects.toThrow(/stopped/);
    expect(lost.map((error) => error.message)).toEqual(['the embedded database (PGlite) stopped: its thread exited with code 1']);
    await dying.close();
    expect(lost).toHaveLength(1);

    const closed: Error[] = [];
    const closing = await openPgliteDriver(undefined, { onStopped: (error) => closed.push(error) });
    await closing.query('select 1');
    await closing.close();
    expect(closed).toEqual([]);
  }, 60_000);

  it('refuses to open where the data directory cannot be, naming the embedded database and the place', async () => {
    const notADirectory = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-pglite-worker-')), 'file');
    writeFileSync(notADirectory, 'not a database');
    await expect(openPgliteDriver(notADirectory)).rejects.toThrow(`opening the embedded database (PGlite) in ${notADirectory}:`);
  }, 60_000);

  it('does not keep a process alive once its calls are answered, like PGlite on the main thread', async () => {
    // A script that opens the database, runs one query and never closes it must still exit by itself.
    const script = `
      import { openPgliteDriver } from ${JSON.stringify(pathToFileURL(path.join(root, 'dist/server/src/store/pglite-driver.js')).href)};
      const driver = await openPgliteDriver(undefined);
      const [row] = await driver.query('select 41 + 1 as answer');
      console.log(row.answer);
    `;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-pglite-worker-')), 'forgets-to-close.mjs');
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
    expect(stdout.trim()).toBe('42');
  }, 60_000);

  it('tells a developer running from sources to build when the compiled worker is missing', () => {
    const source = pathToFileURL(path.join(os.tmpdir(), 'nowhere/server/src/store/pglite-driver.ts')).href;
    expect(() => pgliteWorkerScript(source)).toThrow(/its worker script .*dist\/server\/src\/store\/pglite-worker\.js is missing: run `npm run build` first/);
    const compiled = pathToFileURL(path.join(os.tmpdir(), 'nowhere/dist/server/src/store/pglite-driver.js')).href;
    expect(() => pgliteWorkerScript(compiled)).toThrow(/pglite-worker\.js is missing: it must sit beside/);
    expect(pgliteWorkerScript().pathname.endsWith('/dist/server/src/store/pglite-worker.js')).toBe(true);
  });
});
