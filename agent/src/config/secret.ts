// The enrollment secret: inline in the profile (readable by any local user) or, preferred, in a root-only file
// the profile names. Read on demand (the link asks only when it must enroll), checked before use, and registered
// with the log redactor so it can never be written to a log.
import { closeSync, fstatSync, openSync, readSync, constants as fsConstants } from 'node:fs';
import { registerSecretValue } from '../log/redact.js';
import { systemPath } from '../system/paths.js';
import type { AgentConfig } from './schema.js';

/** A secret file is a few dozen bytes; anything larger is not one. */
const MAX_SECRET_FILE_BYTES = 4096;

/** Where the secret came from, or why there is none. Never carries the secret in a reason. */
export type EnrollmentSecret =
  | { kind: 'found'; secret: string; source: 'profile' | 'file' }
  | { kind: 'none' }
  | { kind: 'refused'; reason: string };

/**
 * The enrollment secret for `server`: the inline value when set, else the file's content (trimmed). The file must
 * be a regular file owned by root and readable by nobody else (mode 0600 or stricter); a symlink is refused.
 */
export function readEnrollmentSecret(server: AgentConfig['server']): EnrollmentSecret {
  if (server.enrollmentSecret !== undefined) {
    registerSecretValue(server.enrollmentSecret);
    return { kind: 'found', secret: server.enrollmentSecret, source: 'profile' };
  }
  const macPath = server.enrollmentSecretFile;
  if (macPath === undefined) return { kind: 'none' };
  let fd: number;
  try {
    fd = openSync(systemPath(macPath), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: not a regular file` };
    if (stats.uid !== 0) return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: owned by uid ${stats.uid}, not root` };
    if ((stats.mode & 0o077) !== 0) {
      return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: mode ${(stats.mode & 0o777).toString(8)} lets others read it (use 600)` };
    }
    if (stats.size > MAX_SECRET_FILE_BYTES) return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: ${stats.size} bytes is too large` };
    const buffer = Buffer.alloc(stats.size);
    const read = readSync(fd, buffer, 0, stats.size, 0);
    const secret = buffer.subarray(0, read).toString('utf8').trim();
    if (secret === '') return { kind: 'refused', reason: `reading the enrollment secret file: ${macPath}: empty` };
    registerSecretValue(secret);
    return { kind: 'found', secret, source: 'file' };
  } finally {
    closeSync(fd);
  }
}
