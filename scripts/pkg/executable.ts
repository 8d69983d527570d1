// How bin/untether gets made, without downloading anything (only the npm and Debian registries are reachable
// from our build machines; pkg-fetch and Node's SEA tooling fetch base binaries from elsewhere):
//   1. UNTETHER_STANDALONE=<file>: a standalone executable already built on a Mac (pkg or SEA) is shipped as is.
//   2. UNTETHER_SEA_BASE=<macOS node binary> with a host Node >= 25.5: `node --build-sea` injects the bundle.
//   3. UNTETHER_NODE_RUNTIME=<macOS node binary>: shipped as lib/node with a launcher script at bin/untether.
//   4. Otherwise no executable: the payload is built and checked, and the reason is printed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, openSync, readSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { INSTALL_PATHS, inPayload, type ExecutableFlavour } from './layout.js';

/** What the executable step did, for the build log and the manifest. */
export interface ExecutableResult {
  flavour: ExecutableFlavour;
  /** One sentence each: what was used, or why a way was skipped. */
  notes: string[];
}

/** Mach-O magic numbers as the first four bytes of a file (64-bit little-endian, universal). */
const MACH_O_MAGICS = ['cffaedfe', 'cefaedfe', 'cafebabe'];

/** Whether a file is a macOS executable (so a Linux node is never shipped by mistake). */
export function isMachO(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return MACH_O_MAGICS.includes(head.toString('hex'));
  } finally {
    closeSync(fd);
  }
}

/** The launcher at bin/untether in the runtime flavour: absolute paths only, nothing from PATH or the environment. */
export function runtimeLauncher(): string {
  return [
    '#!/bin/sh',
    '# Untether launcher: runs the agent bundle with the Node runtime shipped beside it.',
    '# Absolute paths only: a root daemon must never resolve node through PATH (/usr/local/bin is user-writable).',
    `exec "${INSTALL_PATHS.runtime}" "${INSTALL_PATHS.bundle}" "$@"`,
    '',
  ].join('\n');
}

function hostSupportsBuildSea(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 25 || (major === 25 && minor >= 5);
}

function pkgInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@yao-pkg/pkg/package.json');
    return true;
  } catch {
    return false; // not installed: the usual case, reported in the notes
  }
}

function requireMachO(file: string, variable: string): void {
  if (!isMachO(file)) throw new Error(`${variable}=${file}: not a macOS (Mach-O) executable`);
}

/** Put bin/untether (and lib/node for the runtime flavour) into the payload, or explain why not. */
export function makeExecutable(payloadRoot: string, environment: NodeJS.ProcessEnv = process.env): ExecutableResult {
  const target = inPayload(payloadRoot, INSTALL_PATHS.executable);
  const bundle = inPayload(payloadRoot, INSTALL_PATHS.bundle);
  mkdirSync(path.dirname(target), { recursive: true });
  const notes: string[] = [];

  const standalone = environment.UNTETHER_STANDALONE;
  if (standalone) {
    requireMachO(standalone, 'UNTETHER_STANDALONE');
    copyFileSync(standalone, target);
    chmodSync(target, 0o755);
    return { flavour: 'standalone', notes: [`standalone executable copied from ${standalone}`] };
  }

  const seaBase = environment.UNTETHER_SEA_BASE;
  if (seaBase && hostSupportsBuildSea()) {
    requireMachO(seaBase, 'UNTETHER_SEA_BASE');
    const config = path.join(path.dirname(payloadRoot), 'sea-config.json');
    // Cross-platform SEA: no code cache or snapshot (they are tied to the building Node's platform).
    writeFileSync(config, JSON.stringify({ main: bundle, mainFormat: 'module', executable: seaBase, output: target, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2));
    execFileSync(process.execPath, ['--build-sea', config], { stdio: 'inherit' });
    rmSync(config);
    chmodSync(target, 0o755);
    return { flavour: 'standalone', notes: [`single executable application built from ${seaBase}; sign it on a Mac before packaging`] };
  }
  if (seaBase) notes.push(`UNTETHER_SEA_BASE is set but this Node ${process.versions.node} has no --build-sea (needs 25.5 or later)`);
  else notes.push('Node SEA skipped: no macOS base binary (set UNTETHER_SEA_BASE; nothing is downloaded)');
  notes.push(
    pkgInstalled()
      ? '@yao-pkg/pkg skipped: it downloads its base binaries; build the standalone on the Mac build host and pass UNTETHER_STANDALONE'
      : '@yao-pkg/pkg skipped: not installed (and its base binaries would have to be downloaded)',
  );

  const runtime = environment.UNTETHER_NODE_RUNTIME;
  if (runtime) {
    requireMachO(runtime, 'UNTETHER_NODE_RUNTIME');
    const shipped = inPayload(payloadRoot, INSTALL_PATHS.runtime);
    copyFileSync(runtime, shipped);
    chmodSync(shipped, 0o755);
    writeFileSync(target, runtimeLauncher(), { mode: 0o755 });
    chmodSync(target, 0o755);
    notes.push(`runtime flavour: ${runtime} shipped as lib/node with a launcher`);
    return { flavour: 'runtime', notes };
  }
  notes.push('no macOS executable: the payload cannot be packaged until one of UNTETHER_STANDALONE, UNTETHER_SEA_BASE or UNTETHER_NODE_RUNTIME is given');
  return { flavour: 'none', notes };
}
