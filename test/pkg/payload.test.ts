import { execa } from 'execa';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayload, type BuildPayloadResult } from '../../scripts/pkg/build-payload.js';
import { checkPayload } from '../../scripts/pkg/check-payload.js';
import { ARCHITECTURES, INSTALL_PATHS, PATHS_ENTRY_TEXT, UNINSTALL_PATHS, inPayload, payloadItems } from '../../scripts/pkg/layout.js';
import { standInRuntimes } from './support.js';

let work: string;
let built: BuildPayloadResult;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-pkg-'));
  built = await buildPayload({ outDir: path.join(work, 'out'), runtimes: standInRuntimes(work) });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Mac payload', () => {
  it('builds one tree per architecture with exactly the layout, each with its own runtime, and no problem', () => {
    expect(built.problems).toEqual([]);
    for (const arch of ARCHITECTURES) {
      const root = built.payloadRoots[arch];
      for (const item of payloadItems()) expect(statSync(inPayload(root, item.macPath)).mode & 0o7777, `${arch} ${item.macPath}`).toBe(item.mode);
      expect(readFileSync(inPayload(root, INSTALL_PATHS.runtime)).subarray(4).toString()).toContain(`stand-in ${arch} runtime`);
      expect(readFileSync(inPayload(root, INSTALL_PATHS.version), 'utf8')).toBe(`${built.version}\n`);
      expect(readFileSync(inPayload(root, INSTALL_PATHS.pathsEntry), 'utf8')).toBe(PATHS_ENTRY_TEXT);
    }
    // The runtime's directory is root's alone; the runtime itself is not world-writable.
    expect(payloadItems().find((item) => item.macPath === INSTALL_PATHS.runtimeDir)?.mode).toBe(0o700);
  });

  it('bundles the agent into one JavaScript file that runs on its own (no node_modules beside it)', async () => {
    const bundle = inPayload(built.payloadRoots.arm64, INSTALL_PATHS.bundle);
    expect(built.bundleBytes).toBeGreaterThan(100_000);
    const version = await execa(process.execPath, [bundle, '--version'], { cwd: work, reject: false });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toBe(built.version);
    const help = await execa(process.execPath, [bundle, 'log', '--help'], { cwd: work, reject: false });
    expect(help.stdout).toContain('--since');
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from ["']\.\.?\//); // no relative imports left
  });

  it('writes the installer scripts, executable, with the package version in preinstall', () => {
    for (const name of ['preinstall', 'postinstall']) expect(statSync(path.join(built.scriptsDir, name)).mode & 0o777).toBe(0o755);
    const preinstall = readFileSync(path.join(built.scriptsDir, 'preinstall'), 'utf8');
    expect(preinstall).toContain(`PACKAGE_VERSION="${built.version}"`);
    expect(preinstall).not.toContain('@UNTETHER_VERSION@');
  });

  it('refuses a version that is not MAJOR.MINOR.PATCH (preinstall compares them)', async () => {
    await expect(buildPayload({ outDir: path.join(work, 'bad'), runtimes: standInRuntimes(work), version: 'next' })).rejects.toThrow(/not MAJOR\.MINOR\.PATCH/);
  });

  it('reports a wrong mode, a missing file, an extra file and a secret, each by path', () => {
    const root = built.payloadRoots.x86_64;
    chmodSync(inPayload(root, INSTALL_PATHS.runtimeDir), 0o755);
    const uninstall = inPayload(root, INSTALL_PATHS.uninstall);
    const saved = readFileSync(uninstall);
    rmSync(uninstall);
    writeFileSync(inPayload(root, '/Library/Application Support/Untether/lib/config.plist'), '<plist><dict><key>enrollmentSecret</key><string>abc</string></dict></plist>');
    try {
      expect(checkPayload(root, built.scriptsDir)).toEqual(
        expect.arrayContaining([
          { path: INSTALL_PATHS.runtimeDir, problem: 'mode 755, expected 700' },
          { path: INSTALL_PATHS.uninstall, problem: 'missing' },
          { path: '/Library/Application Support/Untether/lib/config.plist', problem: 'not in the payload layout (scripts/pkg/layout.ts)' },
          { path: '/Library/Application Support/Untether/lib/config.plist', problem: 'contains a value for the secret key "enrollmentSecret"' },
        ]),
      );
    } finally {
      chmodSync(inPayload(root, INSTALL_PATHS.runtimeDir), 0o700);
      writeFileSync(uninstall, saved, { mode: 0o755 });
      chmodSync(uninstall, 0o755);
      rmSync(inPayload(root, '/Library/Application Support/Untether/lib/config.plist'));
    }
    expect(checkPayload(root, built.scriptsDir)).toEqual([]);
  });

  it('has the uninstall script remove exactly the layout\'s top-level paths', () => {
    const script = readFileSync(inPayload(built.payloadRoots.arm64, INSTALL_PATHS.uninstall), 'utf8');
    const always = /^PATHS="([^"$]*)"$/m.exec(script)![1]!.split('\n');
    const unlessKeepLogs = /^\s*PATHS="\$\{PATHS\}\n([^"]*)"$/m.exec(script)![1]!.split('\n');
    const support = /^SUPPORT="([^"]*)"$/m.exec(script)![1]!;
    expect(new Set([...always, support, ...unlessKeepLogs])).toEqual(new Set(UNINSTALL_PATHS));
  });
});
