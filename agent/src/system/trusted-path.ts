// Whether a Mac path can be trusted by root: every directory from "/" down to it is a real directory (never
// a symbolic link), owned by root and writable by nobody else, so no other user can swap any component.
// Homes (the last component may be the user's own) and tools outside the system volume (authchanger,
// jamfHelper) are checked here before root touches or runs them. Reasoning:
// docs/decisions/2026-12-02-hostile-home-files.md.
import type { BigIntStats, Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { systemPath, systemRoot } from './paths.js';

/** Group- or other-writable permission bits. */
const WRITABLE_BY_OTHERS = 0o022;

/** A path component that fails the checks: which one, and why (for the error message). */
export interface UntrustedComponent {
  path: string;
  why: string;
  /** The component does not exist (callers that read treat that as "absent", not as an attack). */
  missing: boolean;
}

/** Where a checked path is: its identity (device and inode), to compare with what is opened later. */
export interface PathIdentity {
  dev: number;
  ino: number;
  uid: number;
  mode: number;
}

export type ChainCheck = { trusted: true; last: PathIdentity } | { trusted: false; component: UntrustedComponent };

/**
 * The owners that stand for root: uid 0, and under a simulated Mac (UNTETHER_SYSTEM_ROOT, never set on a
 * real Mac) also the owner of the simulated root, so a developer's unprivileged demo still works.
 */
async function rootOwners(): Promise<number[]> {
  if (systemRoot() === '/') return [0];
  try {
    const owner = (await lstat(systemRoot())).uid;
    return owner === 0 ? [0] : [0, owner];
  } catch {
    return [0];
  }
}

/** "/", "/Users", "/Users/jdoe" for "/Users/jdoe". */
export function pathPrefixes(macPath: string): string[] {
  if (!path.posix.isAbsolute(macPath) || path.posix.normalize(macPath) !== macPath || macPath.split('/').includes('..')) {
    throw new TypeError(`checking path: "${macPath}" is not a normalized absolute path`);
  }
  const parts = macPath.split('/').filter((part) => part !== '');
  return ['/', ...parts.map((_part, index) => `/${parts.slice(0, index + 1).join('/')}`)];
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

async function lstatOrUndefined(macPath: string): Promise<Stats | BigIntStats | undefined> {
  try {
    return await lstat(systemPath(macPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Check a path component by component with lstat (a symbolic link anywhere is refused, never followed).
 * Every directory above the last component: a directory owned by root, not group- or other-writable. The
 * last component: of `last.type`, owned by root or one of `last.owners`, not group- or other-writable.
 */
export async function checkTrustedChain(macPath: string, last: { type: 'file' | 'directory'; owners: readonly number[] }): Promise<ChainCheck> {
  const prefixes = pathPrefixes(macPath);
  const roots = await rootOwners();
  for (const [index, prefix] of prefixes.entries()) {
    const isLast = index === prefixes.length - 1;
    const stats = await lstatOrUndefined(prefix);
    const refuse = (why: string): ChainCheck => ({ trusted: false, component: { path: prefix, why, missing: false } });
    if (stats === undefined) return { trusted: false, component: { path: prefix, why: 'does not exist', missing: true } };
    if (stats.isSymbolicLink()) return refuse('is a symbolic link');
    const wanted = isLast ? last.type : 'directory';
    if (wanted === 'directory' ? !stats.isDirectory() : !stats.isFile()) return refuse(`is not a ${wanted === 'directory' ? 'directory' : 'regular file'}`);
    const uid = Number(stats.uid);
    const owners = isLast ? [...roots, ...last.owners] : roots;
    if (!owners.includes(uid)) return refuse(`is owned by uid ${uid}, not ${isLast && last.owners.length > 0 ? `root or uid ${last.owners.join(', ')}` : 'root'}`);
    const mode = Number(stats.mode);
    if ((mode & WRITABLE_BY_OTHERS) !== 0) return refuse(`is writable by group or others (mode ${octal(mode)})`);
    if (isLast) return { trusted: true, last: { dev: Number(stats.dev), ino: Number(stats.ino), uid, mode } };
  }
  throw new Error(`checking path ${macPath}: no components`); // unreachable: prefixes always holds "/"
}

/** Whether two identities are the same file (device and inode). */
export function sameFile(a: { dev: number | bigint; ino: number | bigint }, b: { dev: number | bigint; ino: number | bigint }): boolean {
  return Number(a.dev) === Number(b.dev) && Number(a.ino) === Number(b.ino);
}
