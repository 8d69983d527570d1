import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeCacheDir } from '../../../scripts/pkg/runtime/fetch.js';
import { obtainRuntime } from '../../../scripts/pkg/runtime/obtain.js';
import { parseRuntimePin, type RuntimePin } from '../../../scripts/pkg/runtime/pins.js';
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, buildElf, buildSignedMachO } from './macho-builder.js';
import { integrityOfBytes, tgzBytes, type TarMember } from './tar-builder.js';
import { rejection } from './runtime-error.js';

let work: string;
let counter = 0;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-obtain-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Fixture {
  cacheDir: string;
  pin: RuntimePin;
  tarball: string;
  binary: Buffer;
}

/** A cache holding one synthetic runtime tarball, and the pin that describes it (overridable field by field). */
function fixture(binary: Buffer, pinOverrides: Partial<RuntimePin> = {}, extraMembers: TarMember[] = []): Fixture {
  const cacheDir = path.join(work, `cache-${counter++}`);
  mkdirSync(cacheDir);
  const tgz = tgzBytes([{ name: 'package/package.json', data: '{}' }, ...extraMembers, { name: 'package/bin/node', data: binary, mode: 0o755 }]);
  const pin = parseRuntimePin(
    {
      packageName: 'untether-test-runtime',
      version: '1.0.0',
      integrity: integrityOfBytes(tgz),
      binarySha256: createHash('sha256').update(binary).digest('hex'),
      cpuType: CPU_TYPE_ARM64,
      teamId: 'HX7739G8FX',
      identifier: 'node',
      ...pinOverrides,
    },
    'test',
  );
  const tarball = path.join(cacheDir, 'untether-test-runtime-1.0.0.tgz');
  writeFileSync(tarball, tgz);
  return { cacheDir, pin, tarball, binary };
}


const extractedDir = (f: Fixture): string => path.join(f.cacheDir, 'untether-test-runtime-1.0.0');

describe('obtainRuntime on synthetic runtimes', () => {
  it('extracts, verifies and caches the binary unmodified, then reuses it after re-verifying', async () => {
    const built = buildSignedMachO({ codeBytes: 9 * 4096 + 16 });
    const f = fixture(built.bytes);
    const first = await obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin });
    expect(first).toMatchObject({
      arch: 'arm64',
      path: path.join(extractedDir(f), 'node'),
      sha256: f.pin.binarySha256,
      size: built.bytes.length,
      version: '1.0.0',
      identifier: 'node',
      teamId: 'HX7739G8FX',
      cpuType: CPU_TYPE_ARM64,
      cdHash: built.cdHashes[0],
      hashType: 'sha256',
      hardenedRuntime: true,
      tarball: f.tarball,
      fromCache: false,
    });
    expect(readFileSync(first.path).equals(built.bytes)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(extractedDir(f), 'node.json'), 'utf8'))).toMatchObject({ sha256: f.pin.binarySha256, integrity: f.pin.integrity });
    expect(readdirSync(extractedDir(f)).sort()).toEqual(['node', 'node.json']); // no temp file left behind
    const second = await obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin });
    expect(second).toMatchObject({ path: first.path, sha256: first.sha256, cdHash: first.cdHash, fromCache: true });
  });

  it('refuses a tarball with the wrong integrity before reading inside it', async () => {
    // The tarball also holds a traversal member: an integrity error (not unsafe-tar-member) proves the order.
    const f = fixture(buildSignedMachO().bytes, {}, [{ name: '../escape', data: 'x' }]);
    const wrong = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const error = await rejection(obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: { ...f.pin, integrity: wrong } }));
    expect(error.code).toBe('integrity-mismatch');
    expect(error.message).toContain(`is ${f.pin.integrity}, but ${wrong} is pinned`);
    expect(existsSync(extractedDir(f))).toBe(false);
  });

  it('refuses a Linux binary, a binary for the other CPU and a modified page, leaving nothing cached', async () => {
    const elf = fixture(buildElf());
    expect(await rejection(obtainRuntime('arm64', { cacheDir: elf.cacheDir, pin: elf.pin }))).toMatchObject({ code: 'not-macho', message: expect.stringMatching(/an ELF binary/) });
    expect(existsSync(path.join(extractedDir(elf), 'node'))).toBe(false);

    const intel = fixture(buildSignedMachO({ cpuType: CPU_TYPE_X86_64 }).bytes);
    expect(await rejection(obtainRuntime('arm64', { cacheDir: intel.cacheDir, pin: intel.pin }))).toMatchObject({ code: 'wrong-cpu', message: expect.stringMatching(/a Mach-O for x86_64, not arm64/) });

    // A pin taken from an already-tampered binary still cannot get it shipped: the pages disagree with the signature.
    const tampered = Buffer.from(buildSignedMachO().bytes);
    tampered[4096 + 1]! ^= 0x10;
    const modified = fixture(tampered);
    expect(await rejection(obtainRuntime('arm64', { cacheDir: modified.cacheDir, pin: modified.pin }))).toMatchObject({ code: 'page-mismatch', message: expect.stringMatching(/page 1 /) });
    expect(readdirSync(extractedDir(modified))).toEqual([]);
  });

  it('refuses a binary whose sha256 is not the pinned one, and another team', async () => {
    const built = buildSignedMachO();
    const other = fixture(built.bytes, { binarySha256: '0'.repeat(64) });
    expect(await rejection(obtainRuntime('arm64', { cacheDir: other.cacheDir, pin: other.pin }))).toMatchObject({ code: 'binary-mismatch', message: expect.stringMatching(/0{64} is pinned/) });
    const team = fixture(buildSignedMachO({ teamId: 'ZZZZZZZZZZ' }).bytes);
    expect(await rejection(obtainRuntime('arm64', { cacheDir: team.cacheDir, pin: team.pin }))).toMatchObject({ code: 'wrong-signer' });
  });

  it('refuses a cached binary changed after extraction, and one whose sidecar is gone', async () => {
    const f = fixture(buildSignedMachO({ seed: 3 }).bytes);
    const obtained = await obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin });
    const bytes = readFileSync(obtained.path);
    bytes[5000]! ^= 1;
    writeFileSync(obtained.path, bytes);
    expect(await rejection(obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin }))).toMatchObject({ code: 'binary-mismatch', message: expect.stringMatching(/the cached runtime/) });
    rmSync(path.join(extractedDir(f), 'node.json'));
    expect((await rejection(obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin }))).message).toMatch(/sidecar .* is missing/);
  });

  it('fetches with npm pack (argv, no shell) when the cache is empty, and caches only a verified tarball', async () => {
    const built = buildSignedMachO({ seed: 9 });
    const source = fixture(built.bytes);
    const emptyCache = path.join(work, `empty-${counter++}`);
    const argvLog = path.join(work, `npm-argv-${counter++}.json`);
    // Stands in for npm: records its argv and writes the tarball where --pack-destination says, as npm pack does.
    const fakeNpm = path.join(work, `fake-npm-${counter++}.mjs`);
    writeFileSync(
      fakeNpm,
      `#!${process.execPath}
import { copyFileSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
writeFileSync(${JSON.stringify(argvLog)}, JSON.stringify(args));
copyFileSync(${JSON.stringify(source.tarball)}, args[args.indexOf('--pack-destination') + 1] + '/untether-test-runtime-1.0.0.tgz');
process.stdout.write(JSON.stringify([{ id: 'untether-test-runtime@1.0.0', filename: 'untether-test-runtime-1.0.0.tgz' }]));
`,
    );
    chmodSync(fakeNpm, 0o755);
    const wrong = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
    expect((await rejection(obtainRuntime('arm64', { cacheDir: emptyCache, pin: { ...source.pin, integrity: wrong }, npmCommand: fakeNpm }))).code).toBe('integrity-mismatch');
    expect(readdirSync(emptyCache)).toEqual([]); // neither the tarball nor the work directory stays

    const obtained = await obtainRuntime('arm64', { cacheDir: emptyCache, pin: source.pin, npmCommand: fakeNpm });
    const argv = JSON.parse(readFileSync(argvLog, 'utf8')) as string[];
    expect(argv).toEqual(['pack', 'untether-test-runtime@1.0.0', '--pack-destination', expect.stringContaining(path.join(emptyCache, '.fetch-')), '--json', '--ignore-scripts']);
    expect(obtained.tarball).toBe(path.join(emptyCache, 'untether-test-runtime-1.0.0.tgz'));
    expect(readFileSync(obtained.path).equals(built.bytes)).toBe(true);
    expect(readdirSync(emptyCache).sort()).toEqual(['untether-test-runtime-1.0.0', 'untether-test-runtime-1.0.0.tgz']);
  });

  it('says what failed when npm pack fails', async () => {
    const failingNpm = path.join(work, `failing-npm-${counter++}.mjs`);
    writeFileSync(failingNpm, `#!${process.execPath}\nprocess.stderr.write('npm error code E404\\nnpm error 404 Not Found - GET https://registry.npmjs.org/untether-test-runtime\\n'); process.exit(1);\n`);
    chmodSync(failingNpm, 0o755);
    const f = fixture(buildSignedMachO().bytes);
    rmSync(f.tarball);
    expect(await rejection(obtainRuntime('arm64', { cacheDir: f.cacheDir, pin: f.pin, npmCommand: failingNpm }))).toMatchObject({
      code: 'fetch-failed',
      message: expect.stringMatching(/fetching untether-test-runtime@1\.0\.0 with npm pack: .*E404/),
    });
  });
});

describe('the runtime cache directory', () => {
  it('is the option, else UNTETHER_RUNTIME_CACHE, else XDG_CACHE_HOME/untether/runtimes, else ~/.cache', () => {
    expect(runtimeCacheDir('/opt/cache', { UNTETHER_RUNTIME_CACHE: '/env' })).toBe('/opt/cache');
    expect(runtimeCacheDir(undefined, { UNTETHER_RUNTIME_CACHE: '/env', XDG_CACHE_HOME: '/xdg' })).toBe('/env');
    expect(runtimeCacheDir(undefined, { XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/untether/runtimes');
    expect(runtimeCacheDir(undefined, { HOME: '/home/u' })).toBe('/home/u/.cache/untether/runtimes');
  });
});
