// Shared by the package tests: stand-ins for the official macOS Node runtimes, so most tests stay fast.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Architecture } from '../../scripts/pkg/layout.js';

/** A 64-bit Mach-O magic, then a marker naming the architecture: the simulated launchd runs the host's node for it. */
export function standInRuntime(file: string, arch: Architecture): string {
  writeFileSync(file, Buffer.concat([Buffer.from('cffaedfe', 'hex'), Buffer.from(`stand-in ${arch} runtime\n`), Buffer.alloc(256)]), { mode: 0o755 });
  return file;
}

/** Stand-in runtimes for both architectures, written into `dir`. */
export function standInRuntimes(dir: string): Record<Architecture, string> {
  return { arm64: standInRuntime(path.join(dir, 'node-arm64'), 'arm64'), x86_64: standInRuntime(path.join(dir, 'node-x86_64'), 'x86_64') };
}
