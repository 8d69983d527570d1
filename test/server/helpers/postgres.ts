// A throwaway PostgreSQL cluster for tests: when DATABASE_URL is set it is used as is (CI may provide one);
// otherwise, when the PostgreSQL binaries are installed, initdb a cluster in a temp dir and start it on a free
// loopback port. initdb refuses to run as root, so as root the server runs as the `postgres` OS user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Where the Debian packages put the binaries; overridable for other layouts. */
const PG_BIN_DIRS = [process.env.UNTETHER_PG_BIN, '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** A running cluster and how to reach a fresh database in it. */
export interface TestPostgres {
  connectionString: string;
  /** Create an empty database and return its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function findBinDir(): string | undefined {
  return PG_BIN_DIRS.find((dir): dir is string => dir !== undefined && existsSync(path.join(dir, 'initdb')));
}

/** True when tests can reach PostgreSQL (an external DATABASE_URL or local binaries). */
export function postgresAvailable(): boolean {
  return process.env.DATABASE_URL !== undefined || findBinDir() !== undefined;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (line === undefined) throw new Error('starting test PostgreSQL: running as root but there is no "postgres" user to run it as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForReady(connectionString: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`starting test PostgreSQL: server exited with ${child.exitCode}`);
    const client = new pg.Client({ connectionString });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() - started > deadlineMs) throw new Error('starting test PostgreSQL: not ready in time', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function databaseCreator(adminUrl: string): () => Promise<string> {
  return async () => {
    const name = `untether_test_${Math.random().toString(36).slice(2, 10)}`;
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`create database ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
}

/** Start (or attach to) PostgreSQL for a test file. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.DATABASE_URL;
  if (external !== undefined) {
    return { connectionString: external, createDatabase: databaseCreator(external), stop: async () => undefined };
  }
  const binDir = findBinDir();
  if (binDir === undefined) throw new Error('starting test PostgreSQL: no DATABASE_URL and no PostgreSQL binaries (apt-get install postgresql)');
  const owner = postgresUser();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'untether-pg-'));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const dataDir = path.join(dir, 'data');
  const spawnOptions = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  const init = spawnSync(path.join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...spawnOptions,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`starting test PostgreSQL: initdb exited ${init.status}: ${init.stderr}`);
  const port = await freePort();
  const child = spawn(
    path.join(binDir, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { ...spawnOptions, stdio: 'ignore' },
  );
  const connectionString = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  await waitForReady(connectionString, child, 20_000);
  return {
    connectionString,
    createDatabase: databaseCreator(connectionString),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
