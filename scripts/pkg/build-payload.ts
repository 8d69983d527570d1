// Build the Mac payload: the agent bundled into one JavaScript file (esbuild, ESM, Node 24), the executable
// (scripts/pkg/executable.ts), the launchd plist, the uninstall script, the newsyslog rule and the installer
// scripts, laid out as scripts/pkg/layout.ts says, then checked. On a Mac, dist/pkg/build-on-mac.sh turns the
// tree into a signed, notarized distribution package (pkgbuild is not available on Linux).
//
//   npm run build && node dist/scripts/pkg/build-payload.js [--out dist/pkg] [--require-executable]
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageVersion, repositoryRoot } from '../build/repo.js';
import { checkPayload, type PayloadProblem } from './check-payload.js';
import { makeExecutable } from './executable.js';
import { INSTALLER_SCRIPTS, INSTALL_PATHS, LAUNCHD_LABEL, PKG_IDENTIFIER, inPayload, payloadItems, type ExecutableFlavour } from './layout.js';

export interface BuildPayloadOptions {
  /** Output directory; its root/ and scripts/ are replaced. Default <repo>/dist/pkg. */
  outDir?: string;
  /** Where UNTETHER_STANDALONE, UNTETHER_SEA_BASE and UNTETHER_NODE_RUNTIME are read. */
  environment?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface BuildPayloadResult {
  version: string;
  outDir: string;
  payloadRoot: string;
  scriptsDir: string;
  flavour: ExecutableFlavour;
  notes: string[];
  problems: PayloadProblem[];
  bundleBytes: number;
}

// ESM output with CommonJS dependencies inside (winston, logform): give them a real require for node: built-ins.
const ESM_REQUIRE_BANNER = "import { createRequire as __untetherCreateRequire } from 'node:module'; const require = __untetherCreateRequire(import.meta.url);";

/** Bundle agent/src/cli/main.ts into one ESM file for Node 24. */
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
    // Stack traces in the log should name our functions; the file is read by Node, not downloaded.
    keepNames: true,
    minify: false,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  return statSync(outfile).size;
}

/** The Mac-side packaging commands with this version filled in (identities come from the environment). */
export function buildOnMacScript(version: string): string {
  return `#!/bin/sh
# Turn dist/pkg into a signed, notarized distribution package. Run on a Mac with Xcode command line tools:
#   UNTETHER_APP_IDENTITY="Developer ID Application: Example Corp (TEAMID1234)" \\
#   UNTETHER_INSTALLER_IDENTITY="Developer ID Installer: Example Corp (TEAMID1234)" \\
#   UNTETHER_NOTARY_PROFILE=untether-notary sh dist/pkg/build-on-mac.sh
# (create the notary profile once: xcrun notarytool store-credentials untether-notary --apple-id ... --team-id ...)
set -eu
cd "$(dirname "$0")"
: "\${UNTETHER_APP_IDENTITY:?set it to your Developer ID Application identity}"
: "\${UNTETHER_INSTALLER_IDENTITY:?set it to your Developer ID Installer identity}"
VERSION="${version}"
EXE="root${INSTALL_PATHS.executable}"
[ -f "$EXE" ] || { echo "no executable in the payload: build it with UNTETHER_STANDALONE, UNTETHER_SEA_BASE or UNTETHER_NODE_RUNTIME" >&2; exit 1; }
# Sign what runs (hardened runtime, secure timestamp, JIT entitlements for V8). A stable identifier and the
# Developer ID keep the designated requirement the same across versions, so the PPPC grant survives upgrades.
for bin in "$EXE" "root${INSTALL_PATHS.runtime}"; do
  [ -f "$bin" ] || continue
  file "$bin" | grep -q Mach-O || continue
  codesign --force --options runtime --timestamp --entitlements entitlements.plist --identifier ${LAUNCHD_LABEL} --sign "$UNTETHER_APP_IDENTITY" "$bin"
  # The designated requirement to paste into the PPPC profile's CodeRequirement (docs/admin/full-disk-access.md).
  echo "CodeRequirement of \${bin#root}:"
  codesign --display --requirements - "$bin" 2>&1 | sed -n 's/^designated => //p'
done
pkgbuild --root root --scripts scripts --identifier ${PKG_IDENTIFIER} --version "$VERSION" --install-location / --ownership recommended untether-component.pkg
productbuild --package untether-component.pkg --sign "$UNTETHER_INSTALLER_IDENTITY" "untether-$VERSION.pkg"
rm untether-component.pkg
if [ -n "\${UNTETHER_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "untether-$VERSION.pkg" --keychain-profile "$UNTETHER_NOTARY_PROFILE" --wait
  xcrun stapler staple "untether-$VERSION.pkg"
fi
pkgutil --check-signature "untether-$VERSION.pkg"
echo "built untether-$VERSION.pkg"
`;
}

/** Build the payload tree and the scripts, then check them. Never downloads anything. */
export async function buildPayload(options: BuildPayloadOptions = {}): Promise<BuildPayloadResult> {
  const repoRoot = repositoryRoot();
  const version = packageVersion(repoRoot);
  const outDir = path.resolve(options.outDir ?? path.join(repoRoot, 'dist/pkg'));
  const payloadRoot = path.join(outDir, 'root');
  const scriptsDir = path.join(outDir, 'scripts');
  const log = options.log ?? (() => undefined);
  rmSync(payloadRoot, { recursive: true, force: true });
  rmSync(scriptsDir, { recursive: true, force: true });
  mkdirSync(scriptsDir, { recursive: true });
  for (const item of payloadItems('runtime')) {
    if (item.kind === 'directory') mkdirSync(inPayload(payloadRoot, item.macPath), { recursive: true });
  }

  const bundleBytes = await bundleAgent(repoRoot, inPayload(payloadRoot, INSTALL_PATHS.bundle), version);
  log(`bundle: ${INSTALL_PATHS.bundle} (${Math.round(bundleBytes / 1024)} KiB)`);
  copyFileSync(path.join(repoRoot, `launchd/${LAUNCHD_LABEL}.plist`), inPayload(payloadRoot, INSTALL_PATHS.launchDaemon));
  copyFileSync(path.join(repoRoot, 'scripts/pkg/uninstall.sh'), inPayload(payloadRoot, INSTALL_PATHS.uninstall));
  copyFileSync(path.join(repoRoot, 'scripts/pkg/newsyslog.conf'), inPayload(payloadRoot, INSTALL_PATHS.newsyslog));
  for (const script of INSTALLER_SCRIPTS) copyFileSync(path.join(repoRoot, 'scripts/pkg', script), path.join(scriptsDir, script));

  const executable = makeExecutable(payloadRoot, options.environment ?? process.env);
  for (const note of executable.notes) log(`executable: ${note}`);

  // Modes as the layout says, whatever the umask and the source files' modes were.
  for (const item of payloadItems(executable.flavour)) chmodSync(inPayload(payloadRoot, item.macPath), item.mode);
  for (const script of INSTALLER_SCRIPTS) chmodSync(path.join(scriptsDir, script), 0o755);
  copyFileSync(path.join(repoRoot, 'scripts/pkg/entitlements.plist'), path.join(outDir, 'entitlements.plist'));
  writeFileSync(path.join(outDir, 'build-on-mac.sh'), buildOnMacScript(version), { mode: 0o755 });

  const problems = checkPayload(payloadRoot, scriptsDir, executable.flavour);
  writeFileSync(
    path.join(outDir, 'manifest.json'),
    `${JSON.stringify({ identifier: PKG_IDENTIFIER, version, flavour: executable.flavour, notes: executable.notes, items: payloadItems(executable.flavour).map((item) => ({ ...item, mode: item.mode.toString(8) })), problems }, null, 2)}\n`,
  );
  return { version, outDir, payloadRoot, scriptsDir, flavour: executable.flavour, notes: executable.notes, problems, bundleBytes };
}

async function main(argv: string[]): Promise<number> {
  const outIndex = argv.indexOf('--out');
  const outDir = outIndex === -1 ? undefined : argv[outIndex + 1];
  if (outIndex !== -1 && outDir === undefined) {
    process.stderr.write('build-payload: --out needs a directory\n');
    return 2;
  }
  const result = await buildPayload({ ...(outDir === undefined ? {} : { outDir }), log: (line) => process.stdout.write(`${line}\n`) });
  for (const problem of result.problems) process.stderr.write(`payload problem: ${problem.path}: ${problem.problem}\n`);
  if (result.problems.length > 0) return 1;
  if (result.flavour === 'none' && argv.includes('--require-executable')) {
    process.stderr.write('build-payload: --require-executable: no macOS executable was made (see the notes above)\n');
    return 1;
  }
  process.stdout.write(`payload ${result.version} (${result.flavour}) checked: ${result.outDir}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`build-payload: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
