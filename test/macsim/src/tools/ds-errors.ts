// DirectoryService status codes the fakes report, and the exit status dscl derives from them
// ((-status) & 0xFF, macos-tools.md §1.1).
import type { FakeContext } from '../fake/context.js';

export const DS_ERRORS = {
  eDSOpenNodeFailed: -14002,
  eDSUnknownNodeName: -14009,
  eDSAuthFailed: -14090,
  /** What authonly of a disabled account answers: name and number from DirServicesTypes.h, the answer itself UNCONFIRMED. */
  eDSAuthAccountDisabled: -14167,
  eDSPermissionError: -14120,
  eDSAttributeNotFound: -14134,
  eDSRecordNotFound: -14136,
} as const;

export type DsErrorName = keyof typeof DS_ERRORS;

export function isDsErrorName(name: string): name is DsErrorName {
  return Object.hasOwn(DS_ERRORS, name);
}

/** dscl's exit status for a DS error: the status with its sign reversed, truncated to a byte. */
export function dsExitCode(name: DsErrorName): number {
  return -DS_ERRORS[name] & 0xff;
}

/** Print `<dscl_cmd> DS Error: <code> (<name>)` on stderr and return dscl's exit status. */
export function dsError(ctx: FakeContext, name: DsErrorName): number {
  ctx.err(`<dscl_cmd> DS Error: ${DS_ERRORS[name]} (${name})\n`);
  return dsExitCode(name);
}

/** The `<main> attribute status: X` (or `delete status`) line followed by the DS error line. */
export function dsStatusError(ctx: FakeContext, name: DsErrorName, statusKind: 'attribute' | 'delete' = 'attribute'): number {
  ctx.err(`<main> ${statusKind} status: ${name}\n`);
  return dsError(ctx, name);
}
