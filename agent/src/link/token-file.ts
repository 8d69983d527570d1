// The per-device token on disk: root-only (0600) and replaced atomically (temp file, fsync, rename, fsync of the
// directory), so a crash never leaves a half-written token and a reader never sees one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, chmodSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

/** File name of the token inside the agent's data directory. */
export const TOKEN_FILE_NAME = 'device-token.json';

/** Secrets and state files are readable by root only. */
export const SECRET_FILE_MODE = 0o600;

const StoredToken = z.strictObject({ deviceId: z.string().uuid(), token: z.string().min(16).max(512), serverUrl: z.string().url() });
export type StoredToken = z.infer<typeof StoredToken>;

/** Write `contents` to `file` atomically with mode 0600. */
export function writeFileAtomic(file: string, contents: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'w', SECRET_FILE_MODE);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw new Error(`replacing ${file}: rename failed`, { cause: error });
  }
  const dirFd = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Read the stored token; undefined when there is none or it is unreadable (the caller enrolls). */
export function readToken(dataDir: string): StoredToken | undefined {
  const file = path.join(dataDir, TOKEN_FILE_NAME);
  let rawText: string;
  try {
    rawText = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // Tighten a file someone loosened, rather than keep a token others can read.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, SECRET_FILE_MODE);
  try {
    const parsed = StoredToken.safeParse(JSON.parse(rawText));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Store a token atomically, root-only. */
export function writeToken(dataDir: string, token: StoredToken): void {
  writeFileAtomic(path.join(dataDir, TOKEN_FILE_NAME), `${JSON.stringify(token)}\n`);
}
