// XAR: the container of a flat package. A 28-byte big-endian header, a zlib-compressed XML table of contents
// (TOC), then the heap. We write what pkgbuild/productbuild write: sha1 header algorithm, the sha1 of the
// compressed TOC at heap offset 0, and per file an archived and an extracted sha1 checksum.
// `application/x-gzip` members are zlib (RFC 1950) streams despite the name (Apple xar zxar.c).
// The reader verifies the TOC checksum and every file checksum, and refuses what Apple's libxar refuses
// (reference §2.2). Facts and sources: /work/shared/reference/macos-packaging.md §2.
import { createHash } from 'node:crypto';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { childElements, childText, el, firstChild, parseXml, renderXml, textOf, type XmlElement } from './xml.js';

const MAGIC = 0x78617221; // "xar!"
const HEADER_SIZE = 28;
const CKSUM_SHA1 = 1;
/** Apple's numbering (mackyle's fork uses 3 for "other": we follow Apple, whose Installer reads the package). */
const HEADER_ALGORITHMS: Record<number, string> = { 0: 'none', 1: 'sha1', 2: 'md5', 3: 'sha256', 4: 'sha512' };
const DIGEST_LENGTH: Record<string, number> = { sha1: 20, sha256: 32, sha512: 64 };

export const ENCODING_ZLIB = 'application/x-gzip';
export const ENCODING_NONE = 'application/octet-stream';

/** How a file is stored: zlib-compressed (PackageInfo, Bom, Distribution) or as is (Payload, Scripts). */
export type XarEncoding = 'zlib' | 'none';

/** A file or directory to write. Owners are always root:wheel (0:0). */
export type XarInput =
  | { name: string; type: 'file'; data: Buffer; encoding: XarEncoding; mode?: number }
  | { name: string; type: 'directory'; children: readonly XarInput[]; mode?: number };

/** One TOC entry read back. `path` joins the names of its directories with `/`. */
export interface XarTocEntry {
  id: string;
  name: string;
  path: string;
  type: string;
  mode?: number;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  data?: {
    offset: number;
    length: number;
    size: number;
    encoding: string;
    archivedChecksum: { style: string; value: string };
    extractedChecksum: { style: string; value: string };
  };
}

/** A read archive: header facts, the TOC XML, flattened entries, and each file's verified, decoded bytes. */
export interface XarArchive {
  headerSize: number;
  checksumAlgorithm: string;
  tocXml: string;
  entries: XarTocEntry[];
  /** Decoded contents by path (files only). */
  files: Map<string, Buffer>;
  signed: boolean;
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * Writes a XAR holding these entries. `mtime` (seconds since the epoch) is the only time written, so the same
 * inputs and mtime give the same bytes. Returns chunks would save one copy, but a Buffer is what callers write.
 */
export function writeXar(entries: readonly XarInput[], options: { mtime: number }): Buffer {
  const time = isoSeconds(options.mtime);
  const heap: Buffer[] = [];
  let heapLength = 20; // the TOC's sha1 comes first
  let nextId = 1;
  const seenNames = new Set<string>();
  const fileElement = (input: XarInput, parentPath: string): XmlElement => {
    const path = parentPath ? `${parentPath}/${input.name}` : input.name;
    if (!input.name || input.name.includes('/') || input.name === '.' || input.name === '..') throw new Error(`writing XAR: bad name "${input.name}"`);
    if (seenNames.has(path)) throw new Error(`writing XAR: "${path}" appears twice`);
    seenNames.add(path);
    const id = nextId;
    nextId += 1;
    const mode = input.mode ?? (input.type === 'directory' ? 0o755 : 0o644);
    const common = [
      el('name', {}, [input.name]),
      el('type', {}, [input.type]),
      el('mode', {}, [mode.toString(8).padStart(4, '0')]),
      el('uid', {}, ['0']),
      el('user', {}, ['root']),
      el('gid', {}, ['0']),
      el('group', {}, ['wheel']),
      el('atime', {}, [time]),
      el('mtime', {}, [time]),
      el('ctime', {}, [time]),
    ];
    if (input.type === 'directory') {
      return el('file', { id }, [...common, ...input.children.map((child) => fileElement(child, path))]);
    }
    const stored = input.encoding === 'zlib' ? deflateSync(input.data, { level: constants.Z_BEST_COMPRESSION }) : input.data;
    const offset = heapLength;
    heap.push(stored);
    heapLength += stored.length;
    const extracted = sha1(input.data);
    const data = el('data', {}, [
      el('length', {}, [String(stored.length)]),
      el('offset', {}, [String(offset)]),
      el('size', {}, [String(input.data.length)]),
      el('encoding', { style: input.encoding === 'zlib' ? ENCODING_ZLIB : ENCODING_NONE }),
      el('archived-checksum', { style: 'sha1' }, [input.encoding === 'zlib' ? sha1(stored) : extracted]),
      el('extracted-checksum', { style: 'sha1' }, [extracted]),
    ]);
    return el('file', { id }, [...common, data]);
  };
  const files = entries.map((entry) => fileElement(entry, ''));
  const toc = el('xar', {}, [
    el('toc', {}, [
      el('checksum', { style: 'sha1' }, [el('offset', {}, ['0']), el('size', {}, ['20'])]),
      el('creation-time', {}, [time.replace(/Z$/, '')]),
      ...files,
    ]),
  ]);
  const tocXml = Buffer.from(renderXml(toc, 1), 'utf8');
  const tocCompressed = deflateSync(tocXml, { level: constants.Z_BEST_COMPRESSION });
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt16BE(HEADER_SIZE, 4);
  header.writeUInt16BE(1, 6);
  header.writeBigUInt64BE(BigInt(tocCompressed.length), 8);
  header.writeBigUInt64BE(BigInt(tocXml.length), 16);
  header.writeUInt32BE(CKSUM_SHA1, 24);
  return Buffer.concat([header, tocCompressed, createHash('sha1').update(tocCompressed).digest(), ...heap]);
}

function digest(style: string, data: Buffer): Buffer {
  return createHash(style).update(data).digest();
}

/** Refuses a checksum style Apple's libxar cannot verify (md5 is compiled out; unknown styles are unknown). */
function checkedStyle(style: string | undefined, what: string): string {
  const lower = (style ?? '').toLowerCase();
  if (lower === 'md5') throw new Error(`reading XAR: ${what} uses md5, which Apple's libxar refuses`);
  if (!(lower in DIGEST_LENGTH)) throw new Error(`reading XAR: ${what} uses checksum style "${style ?? '(none)'}", not one of sha1, sha256, sha512`);
  return lower;
}

function numberText(parent: XmlElement, name: string, what: string): number {
  const text = childText(parent, name);
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`reading XAR TOC: ${what} has no valid <${name}> (${text ?? 'missing'})`);
  return Number(text);
}

/**
 * Reads a XAR and verifies it as Apple's libxar does on open (header algorithm, TOC checksum style, stored
 * TOC digest), then every file's archived and extracted checksums. Throws a clear error on anything refused.
 */
export function readXar(archive: Buffer): XarArchive {
  if (archive.length < HEADER_SIZE || archive.readUInt32BE(0) !== MAGIC) throw new Error('reading XAR: not a XAR archive (no "xar!" magic)');
  const headerSize = archive.readUInt16BE(4);
  const version = archive.readUInt16BE(6);
  if (headerSize < HEADER_SIZE) throw new Error(`reading XAR: header size ${headerSize} is smaller than ${HEADER_SIZE}`);
  if (version !== 1) throw new Error(`reading XAR: version ${version} is not 1`);
  const tocCompressedLength = Number(archive.readBigUInt64BE(8));
  const tocLength = Number(archive.readBigUInt64BE(16));
  const algorithmCode = archive.readUInt32BE(24);
  const algorithm = HEADER_ALGORITHMS[algorithmCode];
  if (algorithmCode === 0) throw new Error('reading XAR: archive uses no hashing algorithm (header checksum 0), which Apple\'s libxar refuses');
  if (algorithm === undefined) throw new Error(`reading XAR: unknown header checksum algorithm ${algorithmCode}`);
  checkedStyle(algorithm, 'the header');
  const heapStart = headerSize + tocCompressedLength;
  if (heapStart > archive.length) throw new Error(`reading XAR: TOC of ${tocCompressedLength} bytes runs past the end of the archive`);
  const tocCompressed = archive.subarray(headerSize, heapStart);
  let tocXmlBytes: Buffer;
  try {
    tocXmlBytes = inflateSync(tocCompressed);
  } catch (error) {
    throw new Error(`reading XAR: the TOC does not decompress: ${(error as Error).message}`, { cause: error });
  }
  if (tocXmlBytes.length !== tocLength) throw new Error(`reading XAR: TOC is ${tocXmlBytes.length} bytes, header says ${tocLength}`);
  const tocXml = tocXmlBytes.toString('utf8');
  const root = parseXml(tocXml, 'XAR TOC');
  const toc = root.name === 'xar' ? firstChild(root, 'toc') : undefined;
  if (!toc) throw new Error('reading XAR TOC: no <xar><toc>');

  const checksum = firstChild(toc, 'checksum');
  if (!checksum) throw new Error('reading XAR TOC: no <checksum> element (Apple\'s libxar refuses: "Checksums do not match!")');
  const style = (checksum.attributes.style ?? '').toLowerCase();
  if (style !== algorithm) throw new Error(`reading XAR: TOC checksum style "${checksum.attributes.style ?? ''}" differs from the header's ${algorithm} (Apple's libxar: "Checksum style mismatch!")`);
  const tocDigestOffset = numberText(checksum, 'offset', 'the TOC <checksum>');
  const tocDigestSize = numberText(checksum, 'size', 'the TOC <checksum>');
  if (tocDigestSize !== DIGEST_LENGTH[algorithm]) throw new Error(`reading XAR: stored TOC digest size ${tocDigestSize} is not the ${DIGEST_LENGTH[algorithm]} bytes of ${algorithm}`);
  if (heapStart + tocDigestOffset + tocDigestSize > archive.length) throw new Error('reading XAR: the stored TOC digest lies past the end of the archive');
  const stored = archive.subarray(heapStart + tocDigestOffset, heapStart + tocDigestOffset + tocDigestSize);
  if (!digest(algorithm, tocCompressed).equals(stored)) throw new Error('reading XAR: the TOC checksum does not match the TOC (the TOC or its stored digest was modified)');

  const entries: XarTocEntry[] = [];
  const files = new Map<string, Buffer>();
  const visit = (element: XmlElement, parentPath: string): void => {
    const name = childText(element, 'name') ?? '';
    const path = parentPath ? `${parentPath}/${name}` : name;
    if (!name || name.includes('/') || name === '.' || name === '..') throw new Error(`reading XAR TOC: file id ${element.attributes.id ?? '?'} has a bad name "${name}"`);
    const entry: XarTocEntry = { id: element.attributes.id ?? '', name, path, type: childText(element, 'type') ?? 'file' };
    const mode = childText(element, 'mode');
    if (mode !== undefined && /^[0-7]+$/.test(mode)) entry.mode = Number.parseInt(mode, 8);
    for (const key of ['uid', 'gid'] as const) {
      const value = childText(element, key);
      if (value !== undefined && /^\d+$/.test(value)) entry[key] = Number(value);
    }
    for (const key of ['user', 'group'] as const) {
      const value = childText(element, key);
      if (value !== undefined) entry[key] = value;
    }
    const data = firstChild(element, 'data');
    if (data) {
      const what = `"${path}"`;
      const archivedEl = firstChild(data, 'archived-checksum');
      const extractedEl = firstChild(data, 'extracted-checksum');
      if (!archivedEl || !extractedEl) throw new Error(`reading XAR: ${what} has no archived and extracted checksums`);
      const archivedStyle = checkedStyle(archivedEl.attributes.style, `${what}'s archived checksum`);
      const extractedStyle = checkedStyle(extractedEl.attributes.style, `${what}'s extracted checksum`);
      entry.data = {
        offset: numberText(data, 'offset', what),
        length: numberText(data, 'length', what),
        size: numberText(data, 'size', what),
        encoding: firstChild(data, 'encoding')?.attributes.style ?? ENCODING_NONE,
        archivedChecksum: { style: archivedStyle, value: textOf(archivedEl).trim().toLowerCase() },
        extractedChecksum: { style: extractedStyle, value: textOf(extractedEl).trim().toLowerCase() },
      };
      const { offset, length, size, encoding } = entry.data;
      if (heapStart + offset + length > archive.length) throw new Error(`reading XAR: ${what} (heap ${offset}+${length}) runs past the end of the archive`);
      const bytes = archive.subarray(heapStart + offset, heapStart + offset + length);
      if (digest(archivedStyle, bytes).toString('hex') !== entry.data.archivedChecksum.value) {
        throw new Error(`reading XAR: ${what}: archived ${archivedStyle} checksum does not match its stored bytes (the file was modified)`);
      }
      let decoded: Buffer;
      if (encoding === ENCODING_NONE) decoded = bytes;
      else if (encoding === ENCODING_ZLIB) {
        try {
          decoded = inflateSync(bytes);
        } catch (error) {
          throw new Error(`reading XAR: ${what} does not decompress as zlib: ${(error as Error).message}`, { cause: error });
        }
      } else throw new Error(`reading XAR: ${what} uses encoding "${encoding}", which this reader does not decode`);
      if (decoded.length !== size) throw new Error(`reading XAR: ${what} decodes to ${decoded.length} bytes, TOC says ${size}`);
      if (digest(extractedStyle, decoded).toString('hex') !== entry.data.extractedChecksum.value) {
        throw new Error(`reading XAR: ${what}: extracted ${extractedStyle} checksum does not match its contents`);
      }
      files.set(path, decoded);
    }
    entries.push(entry);
    for (const child of childElements(element, 'file')) visit(child, path);
  };
  for (const file of childElements(toc, 'file')) visit(file, '');
  return { headerSize, checksumAlgorithm: algorithm, tocXml, entries, files, signed: firstChild(toc, 'signature') !== undefined };
}
