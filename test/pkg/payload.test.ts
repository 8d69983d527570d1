import { execa } from 'execa';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayload, type BuildPayloadResult } from '../../scripts/pkg/build-payload.js';
import { checkPayload } from '../../scripts/pkg/check-payload.js';
import { isMachO, runtimeLauncher } from '../../scripts/pkg/executable.js';
import { INSTALL_PATHS, UNINSTALL_PATHS, inPayload, payloadItems } from '../../scripts/pkg/layout.js';

let work: string;
let built: BuildPayloadResult;

/** A file that starts like a 64-bit Mach-O, standing in for a macOS node binary. */
function fakeMachO(file: string): string {
  writeFileSync(file, Buffer.concat([Buffer.from('cffaedfe', 'hex'), Buffer.alloc(60)]));
  chmodSync(file, 0o755);
  return file;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-pkg-'));
  built = await buildPayload({ outDir: path.join(work, 'out'), environment: {} });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Mac payload', () => {
  it('builds the tree the layout lists, with no problem, and says why there is no executable here', () => {
    expect(built.problems).toEqual([]);
    expect(built.flavour).toBe('none');
    expect(built.notes.join('\n')).toMatch(/nothing is downloaded/);
    expect(built.notes.at(-1)).toMatch(/cannot be packaged until one of UNTETHER_STANDALONE, UNTETHER_SEA_BASE or UNTETHER_NODE_RUNTIME/);
    for (const item of payloadItems('none')) {
      expect(statSync(inPayload(built.payloadRoot, item.macPath)).mode & 0o7777, item.macPath).toBe(item.mode);
    }
  });

  it('bundles the agent into one JavaScript file that runs on its own (no node_modules beside it)', async () => {
    const bundle = inPayload(built.payloadRoot, INSTALL_PATHS.bundle);
    expect(built.bundleBytes).toBeGreaterThan(100_000);
    const version = await execa(process.execPath, [bundle, '--version'], { cwd: work, reject: false });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toBe(built.version);
    const help = await execa(process.execPath, [bundle, 'log', '--help'], { cwd: work, reject: false });
    expect(help.stdout).toContain('--since');
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from ["']\.\.?\//); // no relative imports left
  });

  it('copies the installer scripts, executable, and writes the Mac-side packaging script with the version', () => {
    for (const name of ['preinstall', 'postinstall']) expect(statSync(path.join(built.scriptsDir, name)).mode & 0o777).toBe(0o755);
    const macScript = readFileSync(path.join(built.outDir, 'build-on-mac.sh'), 'utf8');
    expect(macScript).toContain(`VERSION="${built.version}"`);
    expect(macScript).toMatch(/pkgbuild --root root --scripts scripts --identifier io\.untether\.agent/);
    expect(macScript).toMatch(/productbuild --package .* --sign "\$UNTETHER_INSTALLER_IDENTITY"/);
    expect(macScript).toMatch(/notarytool submit/);
    expect(JSON.parse(readFileSync(path.join(built.outDir, 'manifest.json'), 'utf8'))).toMatchObject({ identifier: 'io.untether.agent', flavour: 'none', problems: [] });
  });

  it('ships a macOS runtime with a launcher that uses absolute paths only', async () => {
    const out = path.join(work, 'runtime');
    const result = await buildPayload({ outDir: out, environment: { UNTETHER_NODE_RUNTIME: fakeMachO(path.join(work, 'node-darwin')) } });
    expect(result.flavour).toBe('runtime');
    expect(result.problems).toEqual([]);
    const launcher = readFileSync(inPayload(result.payloadRoot, INSTALL_PATHS.executable), 'utf8');
    expect(launcher).toBe(runtimeLauncher());
    expect(launcher).toContain(`exec "${INSTALL_PATHS.runtime}" "${INSTALL_PATHS.bundle}" "$@"`);
    const commands = launcher.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(commands).toEqual([`exec "${INSTALL_PATHS.runtime}" "${INSTALL_PATHS.bundle}" "$@"`]);
  });

  it('refuses a runtime or standalone that is not a macOS executable (a Linux node by mistake)', async () => {
    await expect(buildPayload({ outDir: path.join(work, 'bad'), environment: { UNTETHER_NODE_RUNTIME: process.execPath } })).rejects.toThrow(/not a macOS \(Mach-O\) executable/);
    expect(isMachO(process.execPath)).toBe(false);
  });

  it('ships a prebuilt standalone executable as is', async () => {
    const result = await buildPayload({ outDir: path.join(work, 'standalone'), environment: { UNTETHER_STANDALONE: fakeMachO(path.join(work, 'untether-darwin')) } });
    expect(result.flavour).toBe('standalone');
    expect(result.problems).toEqual([]);
    expect(isMachO(inPayload(result.payloadRoot, INSTALL_PATHS.executable))).toBe(true);
  });

  it('reports a wrong mode, a missing file, an extra file and a secret, each by path', () => {
    const root = built.payloadRoot;
    chmodSync(inPayload(root, INSTALL_PATHS.launchDaemon), 0o666);
    const uninstall = inPayload(root, INSTALL_PATHS.uninstall);
    const saved = readFileSync(uninstall);
    rmSync(uninstall);
    writeFileSync(inPayload(root, '/Library/Application Support/Untether/lib/config.plist'), '<plist><dict><key>enrollmentSecret</key><string>abc</string></dict></plist>');
    try {
      expect(checkPayload(root, built.scriptsDir, 'none')).toEqual(
        expect.arrayContaining([
          { path: INSTALL_PATHS.launchDaemon, problem: 'mode 666, expected 644' },
          { path: INSTALL_PATHS.uninstall, problem: 'missing' },
          { path: '/Library/Application Support/Untether/lib/config.plist', problem: 'not in the payload layout (scripts/pkg/layout.ts)' },
          { path: '/Library/Application Support/Untether/lib/config.plist', problem: 'contains a value for the secret key "enrollmentSecret"' },
        ]),
      );
    } finally {
      chmodSync(inPayload(root, INSTALL_PATHS.launchDaemon), 0o644);
      writeFileSync(uninstall, saved, { mode: 0o755 });
      chmodSync(uninstall, 0o755);
      rmSync(inPayload(root, '/Library/Application Support/Untether/lib/config.plist'));
    }
    expect(checkPayload(root, built.scriptsDir, 'none')).toEqual([]);
  });

  it('has the uninstall script remove exactly the layout\'s top-level paths', () => {
    const script = readFileSync(inPayload(built.payloadRoot, INSTALL_PATHS.uninstall), 'utf8');
    const always = /^PATHS="([^"$]*)"$/m.exec(script)![1]!.split('\n');
    const unlessKeepLogs = /^\s*PATHS="\$\{PATHS\}\n([^"]*)"$/m.exec(script)![1]!.split('\n');
    expect([...always, ...unlessKeepLogs]).toEqual([...UNINSTALL_PATHS]);
  });
});
