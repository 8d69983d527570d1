// Reader for npm tarballs (gzip over ustar, with pax extended headers as npm writes them for long names): stream
// the archive once and hand chosen members to a sink (a Buffer or a file) without unpacking anything else. Every
// member name is checked, whether wanted or not: an absolute name, a ".." segment or a second copy of a wanted
// member refuses the whole archive, so a crafted tarball cannot make us read the wrong bytes.
//
// ustar header (512 bytes): name[100] mode[8] uid[8] gid[8] size[12] mtime[12] chksum[8] typeflag[1]
// linkname[100] magic[6] version[2] uname[32] gname[32] devmajor[8] devminor[8] prefix[155]. Numbers are octal
// text, or base-256 when the first byte has its high bit set. Data is padded to 512; two zero blocks end it.
// pax ('x'): records "<len> <key>=<value>\n" applying to the next member; 'g' applies globally (we only honour
// path/size from 'x'); GNU 'L' carries a long name for the next member.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { RuntimeError } from './errors.js';

const BLOCK = 512;
/** Extended headers are a few hundred bytes; a larger one is an attack on our memory. */
const MAX_EXTENDED_HEADER = 1024 * 1024;

export interface TarEntry {
  name: string;
  /** '0' regular file, '5' directory, '2' symlink, ... ('\0' is normalised to '0'). */
  type: string;
  size: number;
  mode: number;
}

/** Where a wanted member's bytes go. */
export type TarSink = { kind: 'buffer'; maxBytes: number } | { kind: 'file'; path: string; mode: number };

export interface ExtractedMember {
  entry: TarEntry;
  /** The bytes, for a buffer sink. */
  data?: Buffer;
}

function parseNumber(field: Buffer, what: string, archive: string): number {
  if (field[0]! & 0x80) {
    // base-256 (GNU/star): big-endian two's complement in the remaining bytes; only positive sizes make sense
    let value = 0n;
    for (let index = 1; index < field.length; index++) value = (value << 8n) | BigInt(field[index]!);
    if (field[0] !== 0x80 || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RuntimeError('bad-tarball', `reading ${archive}: ${what} in base-256 is out of range`);
    return Number(value);
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new RuntimeError('bad-tarball', `reading ${archive}: ${what} ${JSON.stringify(text)} is not octal`);
  return parseInt(text, 8);
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}

function checkHeaderChecksum(header: Buffer, archive: string, index: number): void {
  const stored = parseNumber(header.subarray(148, 156), 'header checksum', archive);
  let sum = 0;
  for (let at = 0; at < BLOCK; at++) sum += at >= 148 && at < 156 ? 0x20 : header[at]!;
  if (sum !== stored) throw new RuntimeError('bad-tarball', `reading ${archive}: header ${index} has checksum ${stored} but its bytes sum to ${sum} (corrupt or not a tar)`);
}

function parsePax(data: Buffer, archive: string): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) throw new RuntimeError('bad-tarball', `reading ${archive}: pax record at ${at} has no length`);
    const length = Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new RuntimeError('bad-tarball', `reading ${archive}: pax record at ${at} has a bad length`);
    }
    const record = data.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals < 0) throw new RuntimeError('bad-tarball', `reading ${archive}: pax record ${JSON.stringify(record)} has no "="`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

/** Refuse names that would land outside the extraction root on any extractor. */
export function checkMemberName(name: string, archive: string): void {
  const bad = name === '' || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0') || name.split('/').includes('..');
  if (bad) throw new RuntimeError('unsafe-tar-member', `reading ${archive}: member ${JSON.stringify(name)} escapes the package (absolute path or ".."); refusing the whole archive`);
}

/** Normalise "./package/x" and "package//x" to "package/x" for matching. */
function normaliseName(name: string): string {
  return name.split('/').filter((part) => part !== '' && part !== '.').join('/');
}

/**
 * Stream `archivePath` (gzip'd tar) once; for each member `choose` may return a sink to receive it. Returns the
 * extracted members by (normalised) name. A member chosen twice refuses the archive (unsafe-tar-member).
 */
export async function readTarMembers(archivePath: string, choose: (entry: TarEntry) => TarSink | undefined): Promise<Map<string, ExtractedMember>> {
  const archive = archivePath;
  const extracted = new Map<string, ExtractedMember>();
  const source = createReadStream(archivePath);
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);

  let pending: Buffer = Buffer.alloc(0);
  let headerIndex = 0;
  let zeroBlocks = 0;
  let ended = false;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let longName: string | undefined;
  // the member being streamed: remaining data bytes, then padding to skip
  let current:
    | { entry: TarEntry; remaining: number; padding: number; sink?: TarSink; chunks?: Buffer[]; file?: FileHandle; extended?: 'x' | 'g' | 'L'; extendedChunks?: Buffer[] }
    | undefined;

  const finishMember = async (): Promise<void> => {
    const member = current!;
    current = undefined;
    if (member.extended) {
      const data = Buffer.concat(member.extendedChunks!);
      if (member.extended === 'L') longName = cString(data);
      else if (member.extended === 'x') {
        const records = parsePax(data, archive);
        paxPath = records.get('path');
        const size = records.get('size');
        if (size !== undefined) {
          if (!/^\d+$/.test(size)) throw new RuntimeError('bad-tarball', `reading ${archive}: pax size ${JSON.stringify(size)}`);
          paxSize = Number(size);
        }
      }
      return;
    }
    if (member.sink?.kind === 'buffer') extracted.set(member.entry.name, { entry: member.entry, data: Buffer.concat(member.chunks!) });
    if (member.file) {
      await member.file.close();
      extracted.set(member.entry.name, { entry: member.entry });
    }
  };

  const startMember = async (header: Buffer): Promise<void> => {
    checkHeaderChecksum(header, archive, headerIndex);
    headerIndex++;
    const rawType = String.fromCharCode(header[156]!);
    const type = rawType === '\0' ? '0' : rawType;
    let size = parseNumber(header.subarray(124, 136), 'size', archive);
    const mode = parseNumber(header.subarray(100, 108), 'mode', archive);
    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_EXTENDED_HEADER) throw new RuntimeError('bad-tarball', `reading ${archive}: a ${size}-byte extended header (at most ${MAX_EXTENDED_HEADER})`);
      current = { entry: { name: '', type, size, mode }, remaining: size, padding: (BLOCK - (size % BLOCK)) % BLOCK, extended: type, extendedChunks: [] };
      return;
    }
    const magic = header.toString('latin1', 257, 263);
    const prefix = magic.startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
    const headerName = cString(header.subarray(0, 100));
    const rawName = paxPath ?? longName ?? (prefix ? `${prefix}/${headerName}` : headerName);
    if (paxSize !== undefined) size = paxSize;
    paxPath = undefined;
    paxSize = undefined;
    longName = undefined;
    checkMemberName(rawName, archive);
    const name = normaliseName(rawName);
    const entry: TarEntry = { name, type, size, mode };
    // Link, directory and device members carry no data whatever their size field says (GNU tar writes 0).
    const hasData = type === '0' || type === '7';
    const dataSize = hasData ? size : 0;
    const sink = choose(entry);
    if (sink && extracted.has(name)) throw new RuntimeError('unsafe-tar-member', `reading ${archive}: member ${JSON.stringify(name)} appears twice; refusing the whole archive`);
    if (sink && !hasData) throw new RuntimeError('member-missing', `reading ${archive}: member ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`);
    current = { entry, remaining: dataSize, padding: (BLOCK - (dataSize % BLOCK)) % BLOCK };
    if (sink?.kind === 'buffer') {
      if (size > sink.maxBytes) throw new RuntimeError('bad-tarball', `reading ${archive}: member ${name} is ${size} bytes (at most ${sink.maxBytes} expected)`);
      current.sink = sink;
      current.chunks = [];
    } else if (sink?.kind === 'file') {
      current.sink = sink;
      current.file = await open(sink.path, 'wx', sink.mode);
    }
    if (dataSize === 0) await finishMember();
  };

  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      while (!ended) {
        if (current) {
          if (current.remaining > 0) {
            const take = Math.min(current.remaining, pending.length - at);
            if (take === 0) break;
            const piece = pending.subarray(at, at + take);
            if (current.extended) current.extendedChunks!.push(Buffer.from(piece));
            else if (current.chunks) current.chunks.push(Buffer.from(piece));
            else if (current.file) await current.file.write(piece);
            current.remaining -= take;
            at += take;
            if (current.remaining > 0) break;
          }
          const skip = Math.min(current.padding, pending.length - at);
          current.padding -= skip;
          at += skip;
          if (current.padding > 0) break;
          await finishMember();
          continue;
        }
        if (pending.length - at < BLOCK) break;
        const header = pending.subarray(at, at + BLOCK);
        at += BLOCK;
        if (header.every((byte) => byte === 0)) {
          zeroBlocks++;
          if (zeroBlocks === 2) ended = true;
          continue;
        }
        if (zeroBlocks > 0) throw new RuntimeError('bad-tarball', `reading ${archive}: a lone zero block before header ${headerIndex}`);
        await startMember(header);
      }
      pending = pending.subarray(at);
      if (ended) break;
    }
  } catch (error) {
    await current?.file?.close().catch(() => undefined);
    source.destroy();
    gunzip.destroy();
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError('bad-tarball', `reading ${archive}: ${(error as Error).message}`, { cause: error });
  }
  source.destroy();
  gunzip.destroy();
  if (current) {
    await current.file?.close().catch(() => undefined);
    throw new RuntimeError('bad-tarball', `reading ${archive}: the archive ends inside member ${JSON.stringify(current.entry.name || '(extended header)')}`);
  }
  // npm's tar writer ends with zero blocks; an archive that simply stops after a complete member is still whole.
  return extracted;
}

/** Extract one regular-file member to a new file (created exclusively); member-missing when absent. */
export async function extractTarMemberToFile(archivePath: string, member: string, destination: string, mode = 0o755): Promise<TarEntry> {
  const wanted = normaliseName(member);
  const found = await readTarMembers(archivePath, (entry) => (entry.name === wanted ? { kind: 'file', path: destination, mode } : undefined));
  const hit = found.get(wanted);
  if (!hit) throw new RuntimeError('member-missing', `reading ${archivePath}: no member ${wanted}`);
  return hit.entry;
}

/** Read one small regular-file member into memory; member-missing when absent. */
export async function readTarMember(archivePath: string, member: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const wanted = normaliseName(member);
  const found = await readTarMembers(archivePath, (entry) => (entry.name === wanted ? { kind: 'buffer', maxBytes } : undefined));
  const hit = found.get(wanted);
  if (!hit?.data) throw new RuntimeError('member-missing', `reading ${archivePath}: no member ${wanted}`);
  return hit.data;
}
