// Build the Mac payload trees, one per architecture: the agent bundled into one JavaScript file (esbuild, ESM),
// the admin command, the launchd plist, the uninstall script, the paths.d entry, the newsyslog rule and the
// architecture's Node runtime, laid out and moded as scripts/pkg/layout.ts says, then checked. build-pkg.ts packs
// the trees into the product archive.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageVersion, repositoryRoot } from '../build/repo.js';
import { checkPayload, type PayloadProblem } from './check-payload.js';
import { ARCHITECTURES, INSTALLER_SCRIPTS, INSTALL_PATHS, inPayload, payloadItems, type Architecture, type PayloadItem } from './layout.js';

export interface BuildPayloadOptions {
  /** Output directory; its root-<arch>/ and scripts/ are replaced. Default <repo>/dist/pkg. */
  outDir?: string;
  /** The macOS Node runtime file for each architecture (from scripts/pkg/runtime, or a stand-in in tests). */
  runtimes: Record<Architecture, string>;
  /** Default: package.json's version. */
  version?: string;
  log?: (line: string) => void;
}

export interface BuildPayloadResult {
  version: string;
  outDir: string;
  /** The tree installed onto "/" for each architecture. */
  payloadRoots: Record<Architecture, string>;
  scriptsDir: string;
  problems: PayloadProblem[];
  bundleBytes: number;
}

/** Where the installer scripts take the package version. */
export const VERSION_PLACEHOLDER = '@UNTETHER_VERSION@';

// ESM output with CommonJS dependencies inside (winston, logform): give them a real require for node: built-ins.
const ESM_REQUIRE_BANNER = "import { createRequire as __untetherCreateRequire } from 'node:module'; const require = __untetherCreateRequire(import.meta.url);";

/** Bundle agent/src/cli/main.ts into one ESM file for Node 24 and later. */
export async function bundleAgent(repoRoot: string, outfile: string, version: string): Promise<number> {
  await build({
    entryPoints: [path.join(repoRoot, 'agent/src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: ESM_REQUIRE_BANNER },
    define: { __UNTETHER_VERSION__: JSON.stringify(version) },
    // Not minified, so stack traces in the log name our functions and point at readable lines. keepNames would only
    // add to that the numeric suffix esbuild gives a name two modules share, at the price of one __name() call per
    // function: each turns the function's properties into a dictionary, about 1 MiB in the idle daemon.
    keepNames: false,
    minify: false,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  writeFileSync(outfile, asciiOnly(readFileSync(outfile, 'utf8')));
  return statSync(outfile).size;
}

/**
 * esbuild escapes non-ASCII characters in strings but keeps them in comments; one such character makes V8 hold the
 * whole source as two bytes per character (megabytes more in the idle daemon). A \u escape means the same in a
 * comment, a string, a template, a regular expression or an identifier.
 */
export function asciiOnly(source: string): string {
  return source.replace(/[^\x00-\x7f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Lay one payload item into a tree. The bundle is built once and copied. */
function writeItem(repoRoot: string, root: string, item: PayloadItem, files: { bundle: string; runtime: string; version: string }): void {
  const target = inPayload(root, item.macPath);
  if (item.kind === 'directory') {
    mkdirSync(target, { recursive: true });
    return;
  }
  const source = item.source;
  if (source === undefined) throw new Error(`payload layout: file ${item.macPath} has no source`);
  switch (source.from) {
    case 'repo':
      copyFileSync(path.join(repoRoot, source.file), target);
      break;
    case 'bundle':
      copyFileSync(files.bundle, target);
      break;
    case 'runtime':
      // Byte for byte: any change breaks the Node.js project's signature, and Apple silicon refuses to run it.
      copyFileSync(files.runtime, target);
      break;
    case 'version':
      writeFileSync(target, `${files.version}\n`);
      break;
    case 'text':
      writeFileSync(target, source.text);
      break;
  }
}

/** Build both payload trees and the scripts, then check them. Never downloads anything. */
export async function buildPayload(options: BuildPayloadOptions): Promise<BuildPayloadResult> {
  const repoRoot = repositoryRoot();
  const version = options.version ?? packageVersion(repoRoot);
  const outDir = path.resolve(options.outDir ?? path.join(repoRoot, 'dist/pkg'));
  const scriptsDir = path.join(outDir, 'scripts');
  const log = options.log ?? (() => undefined);
  rmSync(scriptsDir, { recursive: true, force: true });
  mkdirSync(scriptsDir, { recursive: true });
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/.test(version)) throw new Error(`building the payload: version "${version}" is not MAJOR.MINOR.PATCH`);
  for (const script of INSTALLER_SCRIPTS) {
    const text = readFileSync(path.join(repoRoot, 'scripts/pkg', script), 'utf8');
    // preinstall compares the installed version with the one it installs.
    writeFileSync(path.join(scriptsDir, script), text.replaceAll(VERSION_PLACEHOLDER, version), { mode: 0o755 });
    chmodSync(path.join(scriptsDir, script), 0o755);
  }

  const bundle = path.join(outDir, 'untether.mjs');
  const bundleBytes = await bundleAgent(repoRoot, bundle, version);
  log(`bundle: ${INSTALL_PATHS.bundle} (${Math.round(bundleBytes / 1024)} KiB)`);

  const payloadRoots = {} as Record<Architecture, string>;
  const problems: PayloadProblem[] = [];
  for (const arch of ARCHITECTURES) {
    const root = path.join(outDir, `root-${arch}`);
    rmSync(root, { recursive: true, force: true });
    for (const item of payloadItems()) writeItem(repoRoot, root, item, { bundle, runtime: options.runtimes[arch], version });
    // Modes as the layout says, whatever the umask and the source files' modes were; children before the
    // 0700 runtime directory would not matter to root, but keep the order the list has.
    for (const item of payloadItems()) chmodSync(inPayload(root, item.macPath), item.mode);
    for (const problem of checkPayload(root, scriptsDir)) problems.push({ ...problem, path: `${arch}: ${problem.path}` });
    payloadRoots[arch] = root;
  }
  return { version, outDir, payloadRoots, scriptsDir, problems, bundleBytes };
}
