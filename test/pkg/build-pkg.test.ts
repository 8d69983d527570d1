// The product archive build with stand-in runtimes (fast): deterministic bytes, the Distribution's choices per
// architecture, every payload item root:wheel with the layout's mode, the size limit, and an independent reader.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCH_SELECTED, MINIMUM_MACOS, buildPackage, type BuiltPackage } from '../../scripts/pkg/build-pkg.js';
import { checkPackage, readPackage, type ReadPackage } from '../../scripts/pkg/format/index.js';
import { ARCHITECTURES, INSTALL_PATHS, RUNTIME_SIGNER, componentIdentifier, payloadItems } from '../../scripts/pkg/layout.js';
import { RUNTIME_PINS } from '../../scripts/pkg/runtime/pins.js';
import { selectComponents } from '../macsim/src/tools/installer.js';
import { standInRuntimes } from './support.js';

let work: string;
let built: BuiltPackage;
let read: ReadPackage;
const EPOCH = 1_764_547_200;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-buildpkg-'));
  built = await buildPackage({ outDir: path.join(work, 'a'), runtimes: standInRuntimes(work), version: '1.2.3', sourceDateEpoch: EPOCH });
  read = readPackage(readFileSync(built.file));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('build:pkg', () => {
  it('writes Untether-<version>.pkg, reports its size and SHA-256, and checks clean with our reader', () => {
    expect(path.basename(built.file)).toBe('Untether-1.2.3.pkg');
    const bytes = readFileSync(built.file);
    expect(built.bytes).toBe(bytes.length);
    expect(built.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(read.kind).toBe('product');
    expect(checkPackage(read)).toEqual([]);
    expect(built.contents).toEqual([expect.stringMatching(/^untether-arm64\.pkg: io\.untether\.agent\.arm64 1\.2\.3, 22 paths/), expect.stringMatching(/^untether-x86_64\.pkg: io\.untether\.agent\.x86_64 1\.2\.3, 22 paths/)]);
  });

  it('gives the same bytes for the same inputs and SOURCE_DATE_EPOCH', async () => {
    const again = await buildPackage({ outDir: path.join(work, 'b'), workDir: path.join(work, 'b-work'), runtimes: standInRuntimes(work), version: '1.2.3', sourceDateEpoch: EPOCH });
    expect(again.sha256).toBe(built.sha256);
    const later = await buildPackage({ outDir: path.join(work, 'c'), runtimes: standInRuntimes(work), version: '1.2.3', sourceDateEpoch: EPOCH + 60 });
    expect(later.sha256).not.toBe(built.sha256);
  }, 180_000);

  it('has a Distribution for both architectures, the minimum macOS, and one choice per architecture picked by sysctl', () => {
    const distribution = read.distribution!;
    expect(distribution).toMatchObject({ title: 'Untether', hostArchitectures: ['arm64', 'x86_64'], minimumMacOS: MINIMUM_MACOS });
    for (const arch of ARCHITECTURES) {
      expect(distribution.choices.find((choice) => choice.id === `untether_${arch}`)).toMatchObject({ selected: ARCH_SELECTED[arch], enabled: ARCH_SELECTED[arch], pkgRefs: [componentIdentifier(arch)] });
      const picked = selectComponents(read, { architecture: arch, productVersion: '14.6.1' });
      expect(picked.components.map((component) => component.packageInfo?.identifier)).toEqual([componentIdentifier(arch)]);
    }
    expect(selectComponents(read, { architecture: 'arm64', productVersion: '13.4.1' }).refusal).toMatch(/needs macOS 13\.5 or later/);
  });

  it('carries each architecture\'s own runtime, and every payload item root:wheel with the layout\'s mode', () => {
    for (const arch of ARCHITECTURES) {
      const component = read.components.find((candidate) => candidate.packageInfo?.identifier === componentIdentifier(arch))!;
      const runtime = component.payload!.find((entry) => entry.path === `.${INSTALL_PATHS.runtime}`)!;
      expect(runtime.data!.toString('latin1')).toContain(`stand-in ${arch} runtime`);
      expect(component.bom!.map((entry) => entry.path).sort()).toEqual(component.payload!.map((entry) => entry.path).sort());
      for (const entry of component.payload!) expect({ path: entry.path, uid: entry.uid, gid: entry.gid }).toEqual({ path: entry.path, uid: 0, gid: 0 });
      for (const item of payloadItems()) expect(component.payload!.find((entry) => entry.path === `.${item.macPath}`)?.mode, item.macPath).toBe(item.mode);
      expect(component.packageInfo!.scripts).toEqual({ preinstall: 'preinstall', postinstall: 'postinstall' });
    }
  });

  it('documents the signer the pinned runtimes carry (the PPPC profile names it)', () => {
    for (const arch of ARCHITECTURES) expect(RUNTIME_PINS[arch]).toMatchObject(RUNTIME_SIGNER);
  });

  it('is read by an independent reader (bsdtar) with the same members', async () => {
    const listing = await execa('bsdtar', ['-tf', built.file], { reject: false });
    expect(listing.exitCode, listing.stderr).toBe(0);
    expect(listing.stdout.split('\n')).toEqual(expect.arrayContaining(['Distribution', 'untether-arm64.pkg/Payload', 'untether-arm64.pkg/Bom', 'untether-x86_64.pkg/Scripts', 'untether-x86_64.pkg/PackageInfo']));
  });

  it('refuses a package over the size limit and writes nothing', async () => {
    await expect(buildPackage({ outDir: path.join(work, 'big'), runtimes: standInRuntimes(work), version: '1.2.3', sourceDateEpoch: EPOCH, maxBytes: 1000 })).rejects.toThrow(/over the 1000-byte limit: refusing to write it/);
    expect(existsSync(path.join(work, 'big', 'Untether-1.2.3.pkg'))).toBe(false);
  }, 120_000);
});

describe('npm run build:pkg arguments', () => {
  const cli = path.join(process.cwd(), 'dist/scripts/pkg/build-pkg.js');

  it('refuses an unknown option or a stray argument with the usage and exit 2, building nothing', async () => {
    const out = path.join(work, 'refused');
    for (const args of [['--bogus'], ['stray'], ['--out'], ['--bogus', '--out', out], ['stray', '--out', out]]) {
      const result = await execa(process.execPath, [cli, ...args], { reject: false });
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('Usage: npm run build:pkg');
      expect(existsSync(out)).toBe(false);
    }
  });

  it('prints what it does with --help and exits 0', async () => {
    const result = await execa(process.execPath, [cli, '--help'], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('SOURCE_DATE_EPOCH');
  });
});
