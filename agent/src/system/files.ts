// The file-system side of the Mac: a user's ~/.account cache file, property list files, and the
// agent's own root-only files. Every path is a Mac path resolved through systemPath(), so tests and the
// simulator point the same code at a fake root.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isBinaryPlist, parseXmlPlist, type PlistValue } from './plist.js';
import { parseBinaryPlist } from './plist-binary.js';
import { systemPath } from './paths.js';
import { checkTrustedChain, sameFile, type PathIdentity } from './trusted-path.js';

/**
 * Why a file operation failed: I/O, a malformed plist (XML or binary), or a path of the wrong type (symlink,
 * directory), or a place root must not touch (E_FILE_UNSAFE). E_FILE_BINARY_PLIST is retired (binary plists are read since 0.1.0); do not reuse it.
 */
export type SystemFileErrorCode = 'E_FILE_IO' | 'E_FILE_BINARY_PLIST' | 'E_FILE_BAD_PLIST' | 'E_FILE_UNEXPECTED_TYPE' | 'E_FILE_UNSAFE';

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

/** ~/.account is a small cache file; anything larger is refused rather than read into a snapshot. */
export const ACCOUNT_FILE_MAX_BYTES = 1024 * 1024;

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fsConstants;

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function unsafe(macPath: string, message: string): SystemFileError {
  return new SystemFileError('E_FILE_UNSAFE', macPath, message);
}

/** A user's home, checked from "/" down and opened without following links; its identity must not change while in use. */
interface OpenedHome {
  macPath: string;
  handle: FileHandle;
  identity: PathIdentity;
}

/**
 * Check and open a home before root touches anything in it: every parent a root-owned directory nobody else
 * can write (so the path keeps naming this directory), the home itself a real directory owned by the account
 * (or root) and writable by nobody else. Undefined when the home (or a parent) does not exist.
 */
async function openHome(doing: string, home: string, accountUid: number | null): Promise<OpenedHome | undefined> {
  const check = await checkTrustedChain(home, { type: 'directory', owners: accountUid === null ? [] : [accountUid] }).catch((error: unknown) => {
    throw ioError(doing, home, error);
  });
  if (!check.trusted) {
    if (check.component.missing) return undefined;
    throw unsafe(check.component.path, `${doing}: ${check.component.path} ${check.component.why}; root does not touch files there`);
  }
  let handle: FileHandle;
  try {
    handle = await open(systemPath(home), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP' || errnoOf(error) === 'ENOTDIR') throw unsafe(home, `${doing}: ${home} was replaced while being checked`);
    throw ioError(doing, home, error);
  }
  const opened = { macPath: home, handle, identity: check.last };
  if (!sameFile(await handle.stat(), check.last)) {
    await handle.close();
    throw unsafe(home, `${doing}: ${home} was replaced while being checked`);
  }
  return opened;
}

/** Close a home, checking that its path still names the directory that was checked. */
async function closeHome(doing: string, home: OpenedHome): Promise<void> {
  await home.handle.close();
  const now = await lstat(systemPath(home.macPath)).catch(() => undefined);
  if (now === undefined || !sameFile(now, home.identity)) throw unsafe(home.macPath, `${doing}: ${home.macPath} was replaced while in use`);
}

async function withHome<T>(doing: string, home: string, accountUid: number | null, absent: T, use: (opened: OpenedHome) => Promise<T>): Promise<T> {
  const opened = await openHome(doing, home, accountUid);
  if (opened === undefined) return absent;
  let result: T;
  try {
    result = await use(opened);
  } catch (error) {
    await opened.handle.close().catch(() => undefined);
    throw error;
  }
  await closeHome(doing, opened);
  return result;
}

/** Refuse what a user could plant as ~/.account to make root read or hand over another file. */
function checkAccountFileStats(doing: string, macPath: string, stats: Stats, owners: readonly number[]): void {
  if (!stats.isFile()) throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `${doing}: ${macPath}: not a regular file`);
  if (stats.nlink !== 1) throw unsafe(macPath, `${doing}: ${macPath} has ${stats.nlink} hard links (a link to another file); refused`);
  if (!owners.includes(stats.uid)) throw unsafe(macPath, `${doing}: ${macPath} is owned by uid ${stats.uid}, not the account or root; refused`);
  if (stats.size > ACCOUNT_FILE_MAX_BYTES) throw unsafe(macPath, `${doing}: ${macPath} is ${stats.size} bytes, over the ${ACCOUNT_FILE_MAX_BYTES}-byte limit; refused`);
}

/** Read at most `limit` + 1 bytes from an open file (the file may grow after fstat). */
async function readLimited(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit + 1);
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** ~/.account with what a snapshot needs to put it back exactly: content, mode and owner. */
export interface AccountFileContent {
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Read ~/.account (for a snapshot) from one descriptor opened with O_NOFOLLOW: a symbolic link, a hard link
 * (nlink > 1), a file owned by anyone but the account or root, a directory, a FIFO or a file over 1 MiB is
 * refused. Undefined when it (or the home) does not exist. `accountUid`: the record's UniqueID.
 */
export async function readAccountFileForSnapshot(home: string, accountUid: number | null): Promise<AccountFileContent | undefined> {
  const macPath = accountFilePath(home);
  const doing = 'reading account file';
  return withHome(doing, home, accountUid, undefined, async () => {
    let handle: FileHandle;
    try {
      handle = await open(systemPath(macPath), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (errnoOf(error) === 'ELOOP') throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `${doing}: ${macPath}: is a symbolic link; not followed`);
      throw ioError(doing, macPath, error);
    }
    try {
      const stats = await handle.stat();
      checkAccountFileStats(doing, macPath, stats, accountUid === null ? [0] : [0, accountUid]);
      const content = await readLimited(handle, ACCOUNT_FILE_MAX_BYTES);
      if (content.length > ACCOUNT_FILE_MAX_BYTES) throw unsafe(macPath, `${doing}: ${macPath} grew over the ${ACCOUNT_FILE_MAX_BYTES}-byte limit; refused`);
      // nlink at open time proves nothing: the user can hard-link a root file as ~/.account, let root open it,
      // then rename something else over the name (nlink drops to 1). After the read, the name must still be
      // this inode and this inode must have no other name, or the content is not the user's file.
      const after = await handle.stat();
      const named = await lstat(systemPath(macPath)).catch(() => undefined);
      if (named === undefined || !sameFile(named, after) || after.nlink !== 1) {
        throw unsafe(macPath, `${doing}: ${macPath} was replaced or linked elsewhere while being read; refused`);
      }
      return { content, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
    } catch (error) {
      if (error instanceof SystemFileError) throw error;
      throw ioError(doing, macPath, error);
    } finally {
      await handle.close();
    }
  });
}

/** Read ~/.account's content; undefined when absent. Same checks as readAccountFileForSnapshot. */
export async function readAccountFile(home: string, accountUid: number | null): Promise<Buffer | undefined> {
  return (await readAccountFileForSnapshot(home, accountUid))?.content;
}

/**
 * Remove ~/.account from a checked home; returns false when it was already absent. unlink(2) removes the
 * directory entry only: a symbolic link or a hard link is removed, its target is never touched.
 */
export async function removeAccountFile(home: string, accountUid: number | null): Promise<boolean> {
  const macPath = accountFilePath(home);
  const doing = 'removing account file';
  return withHome(doing, home, accountUid, false, async () => {
    const stats = await statOf(doing, macPath);
    if (stats === undefined) return false;
    if (stats.isDirectory()) throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `${doing}: ${macPath}: is a directory`);
    try {
      await unlink(systemPath(macPath));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw ioError(doing, macPath, error);
    }
  });
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
 * Put a user's ~/.account back (restore after a rollback). The new file is created beside it with
 * O_CREAT|O_EXCL|O_NOFOLLOW, filled, given its owner and mode through the descriptor (fchown, fchmod) and
 * fsynced BEFORE it is renamed into place; afterwards the name is re-opened with O_NOFOLLOW and must be our
 * inode. Nothing is ever chowned or chmodded by path, so a swap in the user's home can only break the
 * restore, never hand the user another file. A symbolic link or directory at ~/.account is refused.
 */
export async function restoreAccountFile(home: string, content: Uint8Array, owner: { uid: number; gid: number; mode: number }, accountUid: number | null): Promise<void> {
  const macPath = accountFilePath(home);
  const doing = 'restoring account file';
  if (content.length > ACCOUNT_FILE_MAX_BYTES) throw unsafe(macPath, `${doing}: ${macPath}: ${content.length} bytes, over the ${ACCOUNT_FILE_MAX_BYTES}-byte limit`);
  const restored = await withHome(doing, home, accountUid, false, async (opened) => {
    const existing = await statOf(doing, macPath);
    if (existing?.isSymbolicLink()) throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `${doing}: ${macPath}: is a symbolic link`);
    if (existing?.isDirectory()) throw new SystemFileError('E_FILE_UNEXPECTED_TYPE', macPath, `${doing}: ${macPath}: is a directory`);
    const temporary = systemPath(path.posix.join(home, `.account.untether-${randomBytes(8).toString('hex')}.tmp`));
    let ours: Stats;
    try {
      const handle = await open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(content);
        await handle.chown(owner.uid, owner.gid);
        await handle.chmod(owner.mode & 0o777); // never set-id bits, whatever the snapshot says
        await handle.sync();
        ours = await handle.stat();
      } finally {
        await handle.close();
      }
      await rename(temporary, systemPath(macPath));
    } catch (error) {
      await unlink(temporary).catch(() => undefined); // an entry in the user's home; unlink never follows
      throw ioError(doing, macPath, error);
    }
    await opened.handle.sync().catch(() => undefined); // the rename, durable (best effort: not every FS syncs directories)
    let check: FileHandle;
    try {
      check = await open(systemPath(macPath), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      throw unsafe(macPath, `${doing}: ${macPath} was replaced right after the restore (${errnoOf(error) ?? String(error)})`);
    }
    try {
      if (!sameFile(await check.stat(), ours)) throw unsafe(macPath, `${doing}: ${macPath} was replaced right after the restore; it is not the file written`);
    } finally {
      await check.close();
    }
    return true;
  });
  if (!restored) throw new SystemFileError('E_FILE_IO', home, `${doing}: ${home}: the home folder does not exist`);
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
  // Both parents must be root's alone: then no user can swap either name between these checks and the rename.
  for (const directory of new Set([path.posix.dirname(from), path.posix.dirname(to)])) {
    const check = await checkTrustedChain(directory, { type: 'directory', owners: [] });
    if (!check.trusted) throw unsafe(check.component.path, `moving home folder: ${check.component.path} ${check.component.why}; refusing to move a home there`);
  }
  try {
    await rename(systemPath(from), systemPath(to));
  } catch (error) {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'EXDEV') {
      throw new SystemFileError('E_FILE_IO', from, `moving home folder: ${from} → ${to}: on another volume (EXDEV); refusing to copy`, { cause: error });
    }
    throw ioError(`moving home folder to ${to}`, from, error);
  }
  const moved = await statOf('moving home folder', to);
  if (moved === undefined || !sameFile(moved, source)) throw unsafe(to, `moving home folder: ${to} is not the folder that was at ${from} after the move`);
}
