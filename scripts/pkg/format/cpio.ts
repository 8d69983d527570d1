// cpio "odc" (old portable ASCII, magic 070707): the archive format of a flat package's Payload and Scripts.
// Each entry is a 76-byte header of octal fields, the name with its NUL, then the data, with no padding; the
// archive ends with an entry named TRAILER!!!. Facts: /work/shared/reference/macos-packaging.md §4.

/** File type bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

const MAGIC = '070707';
const HEADER_LENGTH = 76;
const TRAILER = 'TRAILER!!!';

/** One entry to write. `mode` is the full st_mode (type bits and permissions); symlinks carry the target as data. */
export interface CpioEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  data: Buffer;
}

/** One entry read back, with the header fields a writer may set freely. */
export interface CpioRecord extends CpioEntry {
  dev: number;
  ino: number;
  nlink: number;
  rdev: number;
}

function octal(value: number, digits: number, field: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value >= 8 ** digits) {
    throw new Error(`writing cpio entry "${name}": ${field} ${value} does not fit ${digits} octal digits`);
  }
  return value.toString(8).padStart(digits, '0');
}

function header(entry: Omit<CpioRecord, 'data'> & { size: number; nameBytes: number }): Buffer {
  const f = (value: number, digits: number, field: string): string => octal(value, digits, field, entry.name);
  return Buffer.from(
    MAGIC +
      f(entry.dev, 6, 'dev') +
      f(entry.ino, 6, 'ino') +
      f(entry.mode, 6, 'mode') +
      f(entry.uid, 6, 'uid') +
      f(entry.gid, 6, 'gid') +
      f(entry.nlink, 6, 'nlink') +
      f(entry.rdev, 6, 'rdev') +
      f(entry.mtime, 11, 'mtime') +
      f(entry.nameBytes, 6, 'namesize') +
      f(entry.size, 11, 'filesize'),
    'latin1',
  );
}

/**
 * Writes an odc archive as a list of chunks (headers, names and the callers' data buffers, not copied), so a
 * 150 MB payload is never concatenated more than once by whoever consumes it. Inode numbers count from 1 and
 * directories get nlink 2, so the output depends only on the entries.
 */
export function writeCpio(entries: readonly CpioEntry[]): Buffer[] {
  const chunks: Buffer[] = [];
  entries.forEach((entry, index) => {
    if (entry.name === TRAILER) throw new Error(`writing cpio: an entry may not be named ${TRAILER}`);
    const name = Buffer.from(`${entry.name}\0`, 'utf8');
    const isDir = (entry.mode & S_IFMT) === S_IFDIR;
    if (isDir && entry.data.length > 0) throw new Error(`writing cpio entry "${entry.name}": a directory has no data`);
    chunks.push(
      header({ ...entry, dev: 0, ino: index + 1, nlink: isDir ? 2 : 1, rdev: 0, size: entry.data.length, nameBytes: name.length }),
      name,
    );
    if (entry.data.length > 0) chunks.push(entry.data);
  });
  const trailer = Buffer.from(`${TRAILER}\0`, 'latin1');
  chunks.push(header({ name: TRAILER, mode: 0, uid: 0, gid: 0, mtime: 0, dev: 0, ino: 0, nlink: 1, rdev: 0, size: 0, nameBytes: trailer.length }), trailer);
  return chunks;
}

function readOctal(archive: Buffer, at: number, digits: number, field: string): number {
  const text = archive.toString('latin1', at, at + digits);
  if (!/^[0-7]+$/.test(text)) throw new Error(`reading cpio at byte ${at}: ${field} "${text}" is not octal`);
  return Number.parseInt(text, 8);
}

/** Reads an odc archive up to its trailer. Data buffers are views into `archive` (not copies). */
export function readCpio(archive: Buffer): CpioRecord[] {
  const records: CpioRecord[] = [];
  let pos = 0;
  for (;;) {
    if (pos + HEADER_LENGTH > archive.length) throw new Error(`reading cpio: archive ends at byte ${archive.length} before its ${TRAILER} entry`);
    const magic = archive.toString('latin1', pos, pos + 6);
    if (magic !== MAGIC) throw new Error(`reading cpio at byte ${pos}: magic "${magic}" is not ${MAGIC} (only the odc format is supported)`);
    const field = (offset: number, digits: number, label: string): number => readOctal(archive, pos + offset, digits, label);
    const nameBytes = field(59, 6, 'namesize');
    const size = field(65, 11, 'filesize');
    const nameStart = pos + HEADER_LENGTH;
    const dataStart = nameStart + nameBytes;
    if (nameBytes < 1 || dataStart + size > archive.length) throw new Error(`reading cpio at byte ${pos}: entry runs past the end of the archive`);
    if (archive[dataStart - 1] !== 0) throw new Error(`reading cpio at byte ${pos}: name is not NUL-terminated`);
    const name = archive.toString('utf8', nameStart, dataStart - 1);
    if (name === TRAILER) return records;
    records.push({
      name,
      dev: field(6, 6, 'dev'),
      ino: field(12, 6, 'ino'),
      mode: field(18, 6, 'mode'),
      uid: field(24, 6, 'uid'),
      gid: field(30, 6, 'gid'),
      nlink: field(36, 6, 'nlink'),
      rdev: field(42, 6, 'rdev'),
      mtime: field(48, 11, 'mtime'),
      data: archive.subarray(dataStart, dataStart + size),
    });
    pos = dataStart + size;
  }
}
