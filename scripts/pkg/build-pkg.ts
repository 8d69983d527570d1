// `npm run build:pkg`: the installer package, on any machine with Node (no macOS tool). Bundles the agent, takes
// both official macOS Node runtimes (scripts/pkg/runtime: pinned, verified, cached), lays out one payload per
// architecture (build-payload.ts), and writes the product archive dist/Untether-<version>.pkg (scripts/pkg/format):
// a Distribution for arm64 and x86_64 whose choices pick the Mac's own component with
// system.sysctl('hw.optional.arm64'). Same inputs and SOURCE_DATE_EPOCH give the same bytes.
//
//   npm run build:pkg [-- --out DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageVersion, repositoryRoot } from '../build/repo.js';
import { buildPayload } from './build-payload.js';
import { buildComponent, buildProductArchive, checkPackage, readPackage, type Component, type PayloadEntry, type ProductComponent } from './format/index.js';
import { ARCHITECTURES, INSTALLER_SCRIPTS, RUNTIME_SIGNER, componentIdentifier, inPayload, payloadItems, type Architecture } from './layout.js';
import { obtainAllRuntimes } from './runtime/obtain.js';
import { compareVersions } from './version.js';

/** The product's title in Installer, and its identifier (the components carry the per-architecture ones). */
export const PRODUCT_TITLE = 'Untether';
/**
 * Oldest macOS the package installs on: the runtimes' own minimum (LC_BUILD_VERSION minos 13.5, checked at build
 * time); the agent models Ventura's login chain and later.
 */
export const MINIMUM_MACOS = '13.5';
/** Jamf Pro and the Installer cope with more, but a package this size would mean a runtime was shipped twice. */
export const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

/** Installer JavaScript deciding which component a Mac gets: Apple silicon answers 1; Intel has no such oid. */
export const ARCH_SELECTED: Record<Architecture, string> = {
  arm64: "system.sysctl('hw.optional.arm64') == 1",
  x86_64: "system.sysctl('hw.optional.arm64') != 1",
};

export interface BuildPackageOptions {
  /** Where Untether-<version>.pkg goes. Default <repo>/dist. */
  outDir?: string;
  /** Where the payload trees are laid out. Default <outDir>/pkg. */
  workDir?: string;
  /** The runtime file per architecture. Default: the verified official ones (scripts/pkg/runtime). */
  runtimes?: Record<Architecture, string>;
  version?: string;
  /** Seconds since the epoch for every timestamp in the package. Default: SOURCE_DATE_EPOCH, else the commit time. */
  sourceDateEpoch?: number;
  /** Refuse a package larger than this (default MAX_PACKAGE_BYTES). */
  maxBytes?: number;
  log?: (line: string) => void;
}

export interface BuiltPackage {
  file: string;
  version: string;
  bytes: number;
  sha256: string;
  sourceDateEpoch: number;
  /** One line per component: identifier, file count, installed size. */
  contents: string[];
}


/** SOURCE_DATE_EPOCH when set, else the last commit's time, else a fixed epoch (a tarball without git). */
export function sourceDateEpoch(repoRoot: string, environment: NodeJS.ProcessEnv = process.env): number {
  const given = environment.SOURCE_DATE_EPOCH;
  if (given !== undefined && given !== '') {
    if (!/^\d+$/.test(given)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${given}"`);
    return Number(given);
  }
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return 1_764_547_200; // 2025-12-01T00:00:00Z: no git history here
  }
}

/** The payload entries of one tree, every one root:wheel with the layout's mode. */
export function payloadEntries(root: string): PayloadEntry[] {
  const entries: PayloadEntry[] = [{ path: '.', kind: 'directory', mode: 0o755, uid: 0, gid: 0 }];
  for (const item of payloadItems()) {
    const entry: PayloadEntry = { path: `.${item.macPath}`, kind: item.kind, mode: item.mode, uid: 0, gid: 0 };
    if (item.kind === 'file') entry.data = readFileSync(inPayload(root, item.macPath));
    entries.push(entry);
  }
  return entries;
}

/** The official runtimes, verified (pinned version and integrity, Mach-O CPU type, intact code signature). */
async function officialRuntimes(log: (line: string) => void): Promise<Record<Architecture, string>> {
  const obtained = await obtainAllRuntimes();
  const out = {} as Record<Architecture, string>;
  for (const arch of ARCHITECTURES) {
    const runtime = obtained[arch];
    // The PPPC profile and the docs name this signer: a runtime signed by anyone else is not the one we document.
    if (runtime.identifier !== RUNTIME_SIGNER.identifier || runtime.teamId !== RUNTIME_SIGNER.teamId) {
      throw new Error(`the ${arch} runtime is signed "${runtime.identifier}" by team ${runtime.teamId}, not "${RUNTIME_SIGNER.identifier}" by ${RUNTIME_SIGNER.teamId}`);
    }
    // The Distribution's minimum must not promise a macOS the runtime refuses to start on (its LC_BUILD_VERSION).
    if (runtime.minimumMacOS !== undefined && compareVersions(runtime.minimumMacOS, MINIMUM_MACOS) > 0) {
      throw new Error(`the ${arch} runtime needs macOS ${runtime.minimumMacOS}, above the package's minimum ${MINIMUM_MACOS}: raise MINIMUM_MACOS`);
    }
    log(`runtime ${arch}: ${runtime.packageName}@${runtime.version}, ${runtime.size} bytes, sha256 ${runtime.sha256}, signed "${runtime.identifier}" team ${runtime.teamId}${runtime.fromCache ? ' (cached)' : ''}`);
    out[arch] = runtime.path;
  }
  return out;
}

/** Build dist/Untether-<version>.pkg. */
export async function buildPackage(options: BuildPackageOptions = {}): Promise<BuiltPackage> {
  const repoRoot = repositoryRoot();
  const version = options.version ?? packageVersion(repoRoot);
  const log = options.log ?? (() => undefined);
  const outDir = path.resolve(options.outDir ?? path.join(repoRoot, 'dist'));
  const workDir = path.resolve(options.workDir ?? path.join(outDir, 'pkg'));
  const mtime = options.sourceDateEpoch ?? sourceDateEpoch(repoRoot);
  const runtimes = options.runtimes ?? (await officialRuntimes(log));

  const payload = await buildPayload({ outDir: workDir, runtimes, version, log });
  if (payload.problems.length > 0) {
    throw new Error(`the payload has problems:\n${payload.problems.map((problem) => `  ${problem.path}: ${problem.problem}`).join('\n')}`);
  }
  const scripts = INSTALLER_SCRIPTS.map((name) => ({ name, data: readFileSync(path.join(payload.scriptsDir, name)), mode: 0o755 }));
  const components: ProductComponent[] = ARCHITECTURES.map((arch) => {
    const component: Component = buildComponent({ identifier: componentIdentifier(arch), version, entries: payloadEntries(payload.payloadRoots[arch]), scripts, mtime });
    return { fileName: `untether-${arch}.pkg`, component, choice: { id: `untether_${arch}`, title: `Untether (${arch === 'arm64' ? 'Apple silicon' : 'Intel'})`, selected: ARCH_SELECTED[arch], enabled: ARCH_SELECTED[arch] } };
  });
  const archive = buildProductArchive({ title: PRODUCT_TITLE, identifier: 'io.untether.agent', version, minimumMacOS: MINIMUM_MACOS, hostArchitectures: ARCHITECTURES, components, mtime });

  const maxBytes = options.maxBytes ?? MAX_PACKAGE_BYTES;
  if (archive.length > maxBytes) throw new Error(`the package is ${archive.length} bytes, over the ${maxBytes}-byte limit: refusing to write it`);
  // Read back with our own reader and check before anything is written.
  const problems = checkPackage(readPackage(archive));
  if (problems.length > 0) throw new Error(`the package fails its own check:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);

  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `Untether-${version}.pkg`);
  writeFileSync(`${file}.partial`, archive);
  renameSync(`${file}.partial`, file);
  // The payload trees hold two ~147 MB runtimes each build; keep them only where the caller asked for them.
  if (options.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
  const contents = components.map(({ fileName, component }) => {
    const info = component.packageInfo;
    return `${fileName}: ${info.identifier} ${info.version}, ${info.payload?.numberOfFiles ?? 0} paths, ${info.payload?.installKBytes ?? 0} KB installed, scripts ${Object.keys(info.scripts ?? {}).join(' ')}`;
  });
  return { file, version, bytes: archive.length, sha256: createHash('sha256').update(archive).digest('hex'), sourceDateEpoch: mtime, contents };
}

const USAGE = `Usage: npm run build:pkg [-- --out DIR]

Builds dist/Untether-<version>.pkg (or DIR/Untether-<version>.pkg): the agent bundle and both official macOS
Node.js runtimes (pinned, integrity- and signature-checked, cached in ~/.cache/untether/runtimes or
UNTETHER_RUNTIME_CACHE; fetched with npm pack when missing), one choice per architecture. Output is the same
for the same inputs and SOURCE_DATE_EPOCH (default: the last commit's time). Prints size, SHA-256 and contents.
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const outIndex = argv.indexOf('--out');
  const outDir = outIndex === -1 ? undefined : argv[outIndex + 1];
  if ((outIndex !== -1 && outDir === undefined) || argv.some((arg, index) => arg !== '--out' && (outIndex === -1 || index !== outIndex + 1))) {
    process.stderr.write(USAGE);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const built = await buildPackage({ ...(outDir === undefined ? {} : { outDir }), log });
  log(`package: ${built.file}`);
  log(`size:    ${built.bytes} bytes (${(built.bytes / 1024 / 1024).toFixed(1)} MB)`);
  log(`sha256:  ${built.sha256}`);
  log(`SOURCE_DATE_EPOCH=${built.sourceDateEpoch}`);
  for (const line of built.contents) log(`contains ${line}`);
  log(`inspect: npm run pkg:inspect -- ${path.relative(process.cwd(), built.file)}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`build:pkg: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
