// Where the repository is, for build scripts that run both from TypeScript (tests) and from dist/ (npm scripts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file whose package.json is Untether's. */
export function repositoryRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'untether') return dir;
    if (path.dirname(dir) === dir) throw new Error(`locating the repository root from ${from}: no Untether package.json above it`);
  }
}

/** The version in package.json, which the payload and the pkg carry. */
export function packageVersion(root: string = repositoryRoot()): string {
  const raw = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof raw.version !== 'string') throw new Error('reading package.json: no version');
  return raw.version;
}
