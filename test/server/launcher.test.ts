// The open-files limit: the launcher raises it before Node starts (Node cannot), and the server reports what it got.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFilesShortfall, parseOpenFilesLimit, RESERVED_DESCRIPTORS } from '../../server/src/fd-limit.js';

const root = path.resolve(import.meta.dirname, '../..');
const launcher = path.join(root, 'server/bin/untether-server');
const hardLimit = Number(spawnSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());

/** A stand-in for node that prints the limits it was started with, then the arguments it got. */
function fakeNode(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-launcher-')), 'node');
  writeFileSync(file, '#!/bin/sh\necho "$(ulimit -Sn) $(ulimit -Hn)"\necho "$@"\n');
  chmodSync(file, 0o755);
  return file;
}

/** Run the launcher from a shell whose soft limit is `soft`; returns what the stand-in printed. */
function launch(soft: number, env: Record<string, string> = {}): { soft: string; hard: string; args: string; status: number | null; stderr: string } {
  const result = spawnSync('/bin/sh', ['-c', 'ulimit -Sn "$1" && exec "$2"', 'sh', String(soft), launcher], {
    encoding: 'utf8',
    env: { ...process.env, UNTETHER_NODE: fakeNode(), ...env },
  });
  const [limits = '', args = ''] = result.stdout.split('\n');
  const [softOut = '', hardOut = ''] = limits.split(' ');
  return { soft: softOut, hard: hardOut, args, status: result.status, stderr: result.stderr };
}

describe('the untether-server launcher', () => {
  it('raises the soft open-files limit to the hard limit, which it raises to 65536 only where the process may', () => {
    const started = launch(256);
    expect(started.status).toBe(0);
    const mayRaise = spawnSync('/bin/sh', ['-c', 'ulimit -Hn 65536'], { encoding: 'utf8' }).status === 0;
    const hard = hardLimit >= 65_536 || !mayRaise ? hardLimit : 65_536;
    expect(Number(started.hard)).toBe(hard);
    expect(Number(started.soft)).toBe(hard);
    expect(started.args).toBe(path.join(root, 'dist/server/src/main.js'));
  });

  it('never lowers the hard limit below what the system gave, and refuses a UNTETHER_NOFILE that is not a number', () => {
    expect(Number(launch(256, { UNTETHER_NOFILE: '1024' }).hard)).toBe(hardLimit);
    const refused = launch(256, { UNTETHER_NOFILE: '65536; rm -rf /' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/UNTETHER_NOFILE must be a number/);
  });
});

describe('the open-files limit the server reports', () => {
  it('reads the soft and hard limits from /proc/<pid>/limits', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(parseOpenFilesLimit(text)).toEqual({ soft: 1024, hard: 524_288 });
    expect(parseOpenFilesLimit('Max open files            unlimited            unlimited            files')).toEqual({ soft: null, hard: null });
    expect(parseOpenFilesLimit('nothing here')).toBeUndefined();
  });

  it('names the shortfall and the fix when the limit cannot hold a socket per device', () => {
    expect(openFilesShortfall({ soft: 65_536, hard: 65_536 }, 20_000)).toBeUndefined();
    expect(openFilesShortfall({ soft: 1024, hard: 65_536 }, 20_000)).toMatch(/holds at most 768 device connections, fewer than the 20000 expected: start the server with server\/bin\/untether-server/);
    expect(openFilesShortfall({ soft: 20_000, hard: 20_000 }, 20_000)).toMatch(/raise the hard limit/);
    expect(openFilesShortfall({ soft: null, hard: null }, 10_000_000)).toBeUndefined();
    expect(RESERVED_DESCRIPTORS).toBeGreaterThan(0);
  });

  it.skipIf(!existsSync(path.join(root, 'dist/server/src/main.js')))(
    'is logged at start by the server started through the launcher, with a warning below the expected fleet size',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'untether-launcher-server-'));
      const expected = hardLimit + 1;
      const child = spawn('/bin/sh', ['-c', 'ulimit -Sn 512 && exec "$1"', 'sh', launcher], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          UNTETHER_NODE: process.execPath,
          // Node raises its soft limit to the hard one: only a fleet above the hard limit warns.
          UNTETHER_NOFILE: '600',
          UNTETHER_PORT: '0',
          UNTETHER_HOST: '127.0.0.1',
          UNTETHER_DATA_DIR: dataDir,
          UNTETHER_EXPECTED_DEVICES: String(expected),
        },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += String(chunk);
      });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`server did not start; stderr: ${stderr}`)), 120_000);
          child.stderr.on('data', () => {
            if (stderr.includes('server_listening')) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
        });
        const records = stderr
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(records.find((record) => record.message === 'open_files_limit')).toMatchObject({ soft: hardLimit, hard: hardLimit, expectedDevices: expected, enrolledDevices: 0 });
        const warning = records.find((record) => record.message === 'open_files_limit_low');
        expect(warning).toMatchObject({ level: 'warn', expectedDevices: expected });
        expect(String(warning?.detail)).toMatch(new RegExp(`fewer than the ${expected} expected: raise the hard limit`));
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
    150_000,
  );
});
