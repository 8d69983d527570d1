// The file-system side of the Mac: a user's ~/.account cache file, property list files, and the
// agent's own root-only files. Every path is a Mac path resolved through systemPath(), so tests and the
// simulator point the same code at a fake root.
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isBinaryPlist, parseXmlPlist, type PlistValue } from './plist.js';
import { parseBinaryPlist } from './plist-binary.js';
import { systemPath } from './paths.js';

/**
 * Why a file operation failed: I/O, a malformed plist (XML or binary), or a path of the wrong type (symlink,
 * directory). E_FILE_BINARY_PLIST is retired (binary plists are read since 0.1.0); do not reuse it.
 */
export type SystemFileErrorCode = 'E_FILE_IO' | 'E_FILE_BINARY_PLIST' | 'E_FILE_BAD_PLIST' | 'E_FILE_UNEXPECTED_TYPE';

/** A file the agent could not read, write or understand; `path` is the Mac path. */
export class SystemFileError extends Error {
  readonly code: SystemFileErrorCode;
  readonly path: string;

  constructor(code: SystemFileErrorCode, macPath: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SystemFileError';
    this.code = code;
    this.path = macPath;
  }
}

/** Files the agent writes for itself (journal, snapshots): owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Directories holding them: owner only. */
export const PRIVATE_DIRECTORY_MODE = 0o700;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function ioError(doing: string, macPath: string, error: unknown): SystemFileError {
  const why = (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
  return new SystemFileError('E_FILE_IO', macPath, `${doing}: ${macPath}: ${why}`, { cause: error });
}

/** The Mac path of a user's external-account cache file, from the record's NFSHomeDirectory. */
export function accountFilePath(home: string): string {
  if (!path.posix.isAbsolute(home) || home.split('/').includes('..')) {
    throw new TypeError(`account file: home "${home}" is not an absolute path`);
  }
  return path.posix.join(home, '.account');
}

/** lstat a Mac path; undefined when missing. Never follows a symlink (a user controls their home). */
async function statOf(doing: string, macPath: string) {
  try {
    return await lstat(systemPath(macPath));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw ioError(doing, macPath, error);
  }
}

/** Whether ~/.account exists (as anything, including a symlink). */
export async function accountFileExists(home: string): Promise<boolean> {
  return (await statOf('checking account file', accountFilePath(home))) !== undefined;
}

/** Read ~/.account for the snapshot; undefined when absent. A symlink or directory is refused, not followed. */
export async function readAccountFile(home: string): Promise<Buffer | undefined> {
  const macPath = accountFilePath(home);
  const stats = await statOf('reading account file', macPath);
  if (stats === undefined) return undefined;
  if (!stats.isFile()) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `reading account file: ${macPath}: not a regular file`);
  }
  try {
    return await readFile(systemPath(macPath));
  } catch (error) {
    throw ioError('reading account file', macPath, error);
  }
}

/** Remove ~/.account (a symlink is removed, not followed); returns false when it was already absent. */
export async function removeAccountFile(home: string): Promise<boolean> {
  const macPath = accountFilePath(home);
  const stats = await statOf('removing account file', macPath);
  if (stats === undefined) return false;
  if (stats.isDirectory()) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `removing account file: ${macPath}: is a directory`);
  }
  try {
    await rm(systemPath(macPath));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw ioError('removing account file', macPath, error);
  }
}

/** Read a property list file, XML or binary (bplist00); undefined when missing. A malformed one is E_FILE_BAD_PLIST. */
export async function readPlistFile(macPath: string): Promise<PlistValue | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(systemPath(macPath));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw ioError('reading property list', macPath, error);
  }
  try {
    return isBinaryPlist(bytes) ? parseBinaryPlist(bytes) : parseXmlPlist(bytes.toString('utf8'));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const format = isBinaryPlist(bytes) ? 'binary property list' : 'property list';
    throw new SystemFileError('E_FILE_BAD_PLIST', macPath, `reading ${format}: ${macPath}: ${why}`, { cause: error });
  }
}

/** Create a root-only directory (0700) and its parents; an existing directory is set to 0700. */
export async function ensurePrivateDirectory(macPath: string): Promise<void> {
  try {
    await mkdir(systemPath(macPath), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    await chmod(systemPath(macPath), PRIVATE_DIRECTORY_MODE);
  } catch (error) {
    throw ioError('creating private directory', macPath, error);
  }
}

/**
 * Replace a file atomically: write a temporary file beside it (mode 0600 by default), fsync it, rename
 * it over the target, fsync the directory. Readers see the old or the new content, never a mix.
 */
export async function writeFileAtomic(macPath: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const target = systemPath(macPath);
  const directory = path.dirname(target);
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', options.mode ?? PRIVATE_FILE_MODE);
    try {
      await file.writeFile(data);
      await file.chmod(options.mode ?? PRIVATE_FILE_MODE); // the umask may have narrowed or widened open()'s mode
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    // Best effort: the temporary file may not exist yet; the write error below is what the caller needs.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw ioError('writing file atomically', macPath, error);
  }
}

/**
 * Put a user's ~/.account back (restore after a rollback): written atomically with its old mode and
 * owned by the user. Refuses to write through a symlink the user might have planted.
 */
export async function restoreAccountFile(home: string, content: Uint8Array, owner: { uid: number; gid: number; mode: number }): Promise<void> {
  const macPath = accountFilePath(home);
  const existing = await statOf('checking account file', macPath);
  if (existing?.isSymbolicLink()) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `restoring account file: ${macPath}: is a symbolic link`);
  }
  await writeFileAtomic(macPath, content, { mode: owner.mode });
  try {
    await chown(systemPath(macPath), owner.uid, owner.gid);
  } catch (error) {
    throw ioError('restoring account file owner', macPath, error);
  }
}

/** ~/.account with what a snapshot needs to put it back exactly: content, mode and owner. */
export async function readAccountFileForSnapshot(home: string): Promise<{ content: Buffer; mode: number; uid: number; gid: number } | undefined> {
  const content = await readAccountFile(home);
  if (content === undefined) return undefined;
  const stats = await statOf('reading account file', accountFilePath(home));
  if (stats === undefined) return undefined;
  return { content, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
}

function checkHomePath(doing: string, macPath: string): string {
  if (!path.posix.isAbsolute(macPath) || macPath.split('/').includes('..') || path.posix.normalize(macPath) !== macPath || macPath === '/') {
    throw new TypeError(`${doing}: "${macPath}" is not a normalized absolute path`);
  }
  return macPath;
}

/** Whether a home folder is at a Mac path: 'directory', 'missing', or 'other' (a symlink or file is never followed). */
export async function homeFolderState(macPath: string): Promise<'directory' | 'missing' | 'other'> {
  const stats = await statOf('checking home folder', checkHomePath('checking home folder', macPath));
  if (stats === undefined) return 'missing';
  return stats.isDirectory() && !stats.isSymbolicLink() ? 'directory' : 'other';
}

/**
 * Move a home folder by one atomic rename on the same volume (account rename). Refuses a source that is
 * not a real directory (a symlink is never followed), an existing target (rename(2) would replace an empty
 * directory), and a move across volumes (EXDEV): never a copy, so a failure leaves the folder where it was.
 */
export async function moveHomeFolder(fromMacPath: string, toMacPath: string): Promise<void> {
  const from = checkHomePath('moving home folder', fromMacPath);
  const to = checkHomePath('moving home folder', toMacPath);
  if (from === to || to.startsWith(`${from}/`)) throw new TypeError(`moving home folder: ${to} is ${from} or inside it`);
  const source = await statOf('moving home folder', from);
  if (source === undefined) throw new SystemFileError('E_FILE_IO', from, `moving home folder: ${from}: ENOENT`);
  if (source.isSymbolicLink() || !source.isDirectory()) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', from, `moving home folder: ${from}: not a directory (symbolic links are not followed)`);
  }
  if ((await statOf('moving home folder', to)) !== undefined) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', to, `moving home folder: ${to} already exists; refusing to replace it`);
  }
  const parent = await statOf('moving home folder', path.posix.dirname(to));
  if (parent === undefined || parent.isSymbolicLink() || !parent.isDirectory()) {
    throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', to, `moving home folder: ${path.posix.dirname(to)} is not a directory`);
  }
  try {
    await rename(systemPath(from), systemPath(to));
  } catch (error) {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'EXDEV') {
      throw new SystemFileError('E_FILE_IO', from, `moving home folder: ${from} → ${to}: on another volume (EXDEV); refusing to copy`, { cause: error });
    }
    throw ioError(`moving home folder to ${to}`, from, error);
  }
}
