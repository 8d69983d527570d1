// Picking up configuration changes without a restart: fs.watch on the two preference directories (no
// polling), a short debounce because a profile install writes and renames in bursts, then a reload; the
// callback runs only when the loaded result differs. A directory that does not exist yet (no profile ever
// installed: no /Library/Managed Preferences) is watched for through its parent and attached when it appears.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import { systemPath } from '../system/paths.js';
import { loadConfig, type LoadedConfig } from './load.js';
import { CONFIG_FILES, CONFIG_KEYS, type ConfigKey } from './schema.js';

/** A profile install touches files for a few hundred milliseconds; one reload after it settles. */
export const CONFIG_DEBOUNCE_MS = 300;

export interface ConfigWatcher {
  /** Stop watching; no callback runs after it returns. */
  close(): void;
}

export interface WatchConfigOptions {
  /** The result the caller already has; changes are judged against it (else against a fresh load). */
  baseline?: LoadedConfig;
  debounceMs?: number;
  log?: Logger;
}

/** A stable text of a result, to tell a real change from a rewrite of the same values. */
function fingerprint(loaded: LoadedConfig): string {
  return JSON.stringify({ config: loaded.config, problems: loaded.problems, origins: loaded.origins });
}

/** Top-level keys whose value differs (names only: values may hold secrets). */
export function changedKeys(before: LoadedConfig, after: LoadedConfig): ConfigKey[] {
  return CONFIG_KEYS.filter((key) => JSON.stringify(before.config[key]) !== JSON.stringify(after.config[key]) || before.origins[key] !== after.origins[key]);
}

/**
 * Call `onChange` with the new configuration whenever either preference file changes in a way that changes
 * the loaded result (values, problems or origins). Never throws into the caller: a failed watch is logged
 * and retried through the parent directory.
 */
export function watchConfig(onChange: (loaded: LoadedConfig, previous: LoadedConfig) => void | Promise<void>, options: WatchConfigOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? CONFIG_DEBOUNCE_MS;
  const directories = [...new Set(Object.values(CONFIG_FILES).map((file) => path.posix.dirname(file)))];
  const fileNames = new Set(Object.values(CONFIG_FILES).map((file) => path.posix.basename(file)));
  const parents = [...new Set(directories.map((directory) => path.posix.dirname(directory)))];
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let reloading: Promise<void> | undefined;
  let pending = false;
  let current: LoadedConfig | undefined = options.baseline;
  const baselineReady = current === undefined ? loadConfig().then((loaded) => void (current ??= loaded)) : Promise.resolve();

  async function reload(): Promise<void> {
    await baselineReady;
    const loaded = await loadConfig(options.log === undefined ? {} : { log: options.log });
    const previous = current!;
    if (closed || fingerprint(loaded) === fingerprint(previous)) return;
    current = loaded;
    options.log?.info('config_changed', { keys: changedKeys(previous, loaded), problems: loaded.problems.length });
    await onChange(loaded, previous);
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (reloading) {
        pending = true; // a change during a reload: reload once more after it
        return;
      }
      reloading = reload()
        .catch((error: unknown) => {
          options.log?.error('config_reload_failed', { error });
        })
        .finally(() => {
          reloading = undefined;
          if (pending) {
            pending = false;
            schedule();
          }
        });
    }, debounceMs);
  }

  function attach(macDirectory: string, filter: (name: string | null) => boolean, onGone?: () => void): boolean {
    if (closed || watchers.has(macDirectory)) return true;
    let watcher: FSWatcher;
    try {
      watcher = watch(systemPath(macDirectory), { persistent: false }, (_event, name) => {
        if (filter(name === null ? null : String(name))) schedule();
        // The watched directory itself was removed or replaced: detach; the parent's watcher re-attaches.
        if (name === null || name === path.posix.basename(macDirectory)) onGone?.();
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.log?.warn('config_watch_failed', { directory: macDirectory, error });
      return false;
    }
    watcher.on('error', (error) => {
      options.log?.warn('config_watch_failed', { directory: macDirectory, error });
      detach(macDirectory);
    });
    watchers.set(macDirectory, watcher);
    return true;
  }

  function detach(macDirectory: string): void {
    watchers.get(macDirectory)?.close();
    watchers.delete(macDirectory);
  }

  function attachDirectories(): void {
    for (const directory of directories) {
      attach(directory, (name) => name === null || fileNames.has(name), () => {
        detach(directory);
        attachDirectories();
        schedule();
      });
    }
  }

  // The parents (/Library) tell us when a preference directory appears or is replaced.
  const directoryNames = new Set(directories.map((directory) => path.posix.basename(directory)));
  for (const parent of parents) {
    attach(parent, (name) => {
      if (name !== null && !directoryNames.has(name)) return false;
      for (const directory of directories) {
        if (name === null || path.posix.basename(directory) === name) detach(directory);
      }
      attachDirectories();
      return true;
    });
  }
  attachDirectories();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const directory of [...watchers.keys()]) detach(directory);
    },
  };
}
