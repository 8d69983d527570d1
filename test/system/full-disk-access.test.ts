import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TCC_DATABASE, askPermissionsModule, checkFullDiskAccess } from '../../agent/src/system/full-disk-access.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'untether-fda-'));
  setSystemRoot(root);
});

afterEach(() => {
  setSystemRoot(undefined);
  rmSync(root, { recursive: true, force: true });
});

function tccDatabase(kind: 'readable' | 'directory'): void {
  const file = path.join(root, TCC_DATABASE);
  mkdirSync(path.dirname(file), { recursive: true });
  if (kind === 'directory') mkdirSync(file);
  else writeFileSync(file, 'SQLite format 3\0');
}

const moduleSaying = (status: string) => async () => ({ getAuthStatus: () => status });

describe('Full Disk Access', () => {
  it('skips node-mac-permissions off macOS without loading it', async () => {
    let loaded = false;
    const answer = await askPermissionsModule({ platform: 'linux', load: async () => ((loaded = true), undefined) });
    expect(answer).toEqual({ kind: 'unavailable', reason: 'not-macos' });
    expect(loaded).toBe(false);
  });

  it('reports the module as not installed when it is absent (the real loader, here on Linux pretending darwin)', async () => {
    expect(await askPermissionsModule({ platform: 'darwin' })).toEqual({ kind: 'unavailable', reason: 'not-installed' });
  });

  it('reports a module that throws as failed, with the reason', async () => {
    const answer = await askPermissionsModule({ platform: 'darwin', load: async () => ({ getAuthStatus: () => { throw new Error('dlopen failed'); } }) });
    expect(answer).toEqual({ kind: 'unavailable', reason: 'failed', detail: 'dlopen failed' });
  });

  it('trusts the TCC probe over the module, whose heuristic looks in root\'s own home', async () => {
    tccDatabase('readable');
    const report = await checkFullDiskAccess({ platform: 'darwin', load: moduleSaying('not determined') });
    expect(report).toEqual({ status: 'granted', probe: 'granted', permissionsModule: { kind: 'answered', status: 'not determined' } });
  });

  it('says denied when the probe cannot read the database', async () => {
    tccDatabase('directory');
    expect((await checkFullDiskAccess({ platform: 'darwin', load: moduleSaying('authorized') })).status).toBe('denied');
  });

  it('falls back to the module when the probe cannot tell (no database at all)', async () => {
    expect((await checkFullDiskAccess({ platform: 'darwin', load: moduleSaying('authorized') })).status).toBe('granted');
    expect((await checkFullDiskAccess({ platform: 'darwin', load: moduleSaying('denied') })).status).toBe('denied');
    expect((await checkFullDiskAccess({ platform: 'darwin', load: moduleSaying('restricted') })).status).toBe('unknown');
    expect((await checkFullDiskAccess({ platform: 'linux' })).status).toBe('unknown');
  });
});
