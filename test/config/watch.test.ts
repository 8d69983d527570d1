import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../agent/src/config/load.js';
import { CONFIG_FILES } from '../../agent/src/config/schema.js';
import { changedKeys, watchConfig, type ConfigWatcher } from '../../agent/src/config/watch.js';
import { buildXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';

let root: string;
let watcher: ConfigWatcher | undefined;

/** Write like cfprefsd and ManagedClient do: a temporary file renamed over the target. */
function writeAtomically(file: 'managed' | 'local', value: PlistValue): void {
  const target = path.join(root, CONFIG_FILES[file]);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.tmp`, buildXmlPlist(value));
  renameSync(`${target}.tmp`, target);
}

function collector() {
  const seen: LoadedConfig[] = [];
  const waiters: Array<() => void> = [];
  return {
    seen,
    onChange: (loaded: LoadedConfig) => {
      seen.push(loaded);
      waiters.splice(0).forEach((resolve) => resolve());
    },
    /** Resolves at the next change, or rejects after `ms`. */
    next: (ms = 3000) =>
      new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(() => reject(new Error('no configuration change seen')), ms);
        waiters.push(() => {
          clearTimeout(timeout);
          resolve();
        });
      }),
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'untether-watch-'));
  mkdirSync(path.join(root, 'Library', 'Preferences'), { recursive: true });
  setSystemRoot(root);
});

afterEach(() => {
  watcher?.close();
  watcher = undefined;
  setSystemRoot(undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('watchConfig', () => {
  it('picks up a change of the local preferences without a restart', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 50 });
    await settle(100);
    const next = changes.next();
    writeAtomically('local', { logging: { level: 'debug' } });
    await next;
    expect(changes.seen.at(-1)!.config.logging.level).toBe('debug');
  });

  it('notices the managed preferences directory when the first profile creates it', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 50 });
    await settle(100);
    const next = changes.next();
    writeAtomically('managed', { unbind: { enabled: true } });
    await next;
    expect(changes.seen.at(-1)!.config.unbind.enabled).toBe(true);
    expect(changes.seen.at(-1)!.origins.unbind).toBe('managed');
    // And keeps watching the new directory for the next change (profile removed).
    const removed = changes.next();
    rmSync(path.join(root, CONFIG_FILES.managed));
    await removed;
    expect(changes.seen.at(-1)!.config.unbind.enabled).toBe(false);
  });

  it('coalesces a burst of writes into one reload and ignores rewrites of the same values', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 150 });
    await settle(100);
    const next = changes.next();
    for (const level of ['warn', 'error', 'debug'] as const) writeAtomically('local', { logging: { level } });
    await next;
    await settle(400);
    expect(changes.seen).toHaveLength(1);
    expect(changes.seen[0]!.config.logging.level).toBe('debug');
    writeAtomically('local', { logging: { level: 'debug' } });
    await settle(400);
    expect(changes.seen).toHaveLength(1);
  });

  it('reports invalid values through the same callback (problems change the result)', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 50 });
    await settle(100);
    const next = changes.next();
    writeAtomically('local', { demobilize: { enabled: true } });
    await next;
    expect(changes.seen.at(-1)!.problems.map((problem) => problem.key)).toEqual(['demobilize.when', 'demobilize.users']);
    expect(changes.seen.at(-1)!.config.demobilize.enabled).toBe(false);
  });

  it('calls nothing after close', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 50 });
    await settle(100);
    watcher.close();
    writeAtomically('local', { logging: { level: 'debug' } });
    await settle(300);
    expect(changes.seen).toEqual([]);
  });

  it('names the keys that changed', async () => {
    const changes = collector();
    watcher = watchConfig(changes.onChange, { debounceMs: 50 });
    await settle(100);
    const before = changes.next();
    writeAtomically('local', { logging: { level: 'warn' } });
    await before;
    const first = changes.seen[0]!;
    const after = changes.next();
    writeAtomically('local', { logging: { level: 'warn' }, inventory: { enabled: true } });
    await after;
    expect(changedKeys(first, changes.seen[1]!)).toEqual(['inventory']);
  });
});
