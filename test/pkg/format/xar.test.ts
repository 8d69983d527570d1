import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readXar, writeXar, type XarInput } from '../../../scripts/pkg/format/xar.js';

const MTIME = 1_796_169_600;
const ENTRIES: XarInput[] = [
  { name: 'Distribution', type: 'file', data: Buffer.from('<installer-gui-script/>\n'), encoding: 'zlib' },
  {
    name: 'a.pkg',
    type: 'directory',
    children: [
      { name: 'Payload', type: 'file', data: Buffer.from('stored as is'), encoding: 'none' },
      { name: 'Resources', type: 'directory', children: [{ name: 'Grüße.txt', type: 'file', data: Buffer.from('ü'), encoding: 'zlib', mode: 0o600 }] },
    ],
  },
];

/** Rewrites the TOC of an archive (and its header lengths, and optionally the stored digest) with `edit`. */
function withToc(archive: Buffer, edit: (xml: string) => string, options: { fixDigest: boolean }): Buffer {
  const headerSize = archive.readUInt16BE(4);
  const compressedLength = Number(archive.readBigUInt64BE(8));
  const xml = edit(inflateSync(archive.subarray(headerSize, headerSize + compressedLength)).toString('utf8'));
  const toc = deflateSync(Buffer.from(xml, 'utf8'));
  const header = Buffer.from(archive.subarray(0, headerSize));
  header.writeBigUInt64BE(BigInt(toc.length), 8);
  header.writeBigUInt64BE(BigInt(Buffer.byteLength(xml)), 16);
  const heap = Buffer.from(archive.subarray(headerSize + compressedLength));
  if (options.fixDigest) createHash('sha1').update(toc).digest().copy(heap, 0);
  return Buffer.concat([header, toc, heap]);
}

describe('XAR', () => {
  it('writes the pkgbuild header (xar!, 28 bytes, version 1, sha1) and round-trips nested files with root:wheel owners', () => {
    const archive = writeXar(ENTRIES, { mtime: MTIME });
    expect(archive.readUInt32BE(0)).toBe(0x78617221);
    expect(archive.readUInt16BE(4)).toBe(28);
    expect(archive.readUInt16BE(6)).toBe(1);
    expect(archive.readUInt32BE(24)).toBe(1);
    const read = readXar(archive);
    expect(read.checksumAlgorithm).toBe('sha1');
    expect(read.entries.map((e) => [e.path, e.type, e.data?.encoding ?? '-'])).toEqual([
      ['Distribution', 'file', 'application/x-gzip'],
      ['a.pkg', 'directory', '-'],
      ['a.pkg/Payload', 'file', 'application/octet-stream'],
      ['a.pkg/Resources', 'directory', '-'],
      ['a.pkg/Resources/Grüße.txt', 'file', 'application/x-gzip'],
    ]);
    for (const e of read.entries) expect([e.uid, e.gid, e.user, e.group]).toEqual([0, 0, 'root', 'wheel']);
    expect(read.entries.find((e) => e.name === 'Grüße.txt')?.mode).toBe(0o600);
    expect(read.files.get('a.pkg/Resources/Grüße.txt')?.toString()).toBe('ü');
    expect(read.files.get('a.pkg/Payload')?.toString()).toBe('stored as is');
    // The TOC's sha1 sits at heap offset 0 and covers the compressed TOC.
    const heapStart = 28 + Number(archive.readBigUInt64BE(8));
    expect(archive.subarray(heapStart, heapStart + 20)).toEqual(createHash('sha1').update(archive.subarray(28, heapStart)).digest());
  });

  it('is deterministic: same entries and mtime give the same bytes, another mtime does not', () => {
    expect(writeXar(ENTRIES, { mtime: MTIME }).equals(writeXar(ENTRIES, { mtime: MTIME }))).toBe(true);
    expect(writeXar(ENTRIES, { mtime: MTIME }).equals(writeXar(ENTRIES, { mtime: MTIME + 1 }))).toBe(false);
  });

  it('refuses a flipped byte in a file\'s heap data, naming the file', () => {
    const archive = writeXar(ENTRIES, { mtime: MTIME });
    const at = archive.indexOf('stored as is');
    archive[at + 3]! ^= 0x01;
    expect(() => readXar(archive)).toThrow('reading XAR: "a.pkg/Payload": archived sha1 checksum does not match its stored bytes (the file was modified)');
  });

  it('refuses a flipped byte in the compressed TOC, and a modified TOC whose digest was not updated', () => {
    const archive = writeXar(ENTRIES, { mtime: MTIME });
    const flipped = Buffer.from(archive);
    flipped[40]! ^= 0x20;
    expect(() => readXar(flipped)).toThrow(/reading XAR: (the TOC does not decompress|TOC is \d+ bytes|the TOC checksum does not match)/);
    const edited = withToc(archive, (xml) => xml.replace('<mode>0600</mode>', '<mode>4755</mode>'), { fixDigest: false });
    expect(() => readXar(edited)).toThrow('reading XAR: the TOC checksum does not match the TOC (the TOC or its stored digest was modified)');
    // With a recomputed digest the same edit is accepted: the digest is what protects the TOC (signatures sign it).
    expect(readXar(withToc(archive, (xml) => xml.replace('<mode>0600</mode>', '<mode>4755</mode>'), { fixDigest: true })).entries.at(-1)?.mode).toBe(0o4755);
  });

  it('refuses what Apple\'s libxar refuses: no hashing, md5, a checksum style mismatch, a wrong digest size', () => {
    const archive = writeXar(ENTRIES, { mtime: MTIME });
    const none = Buffer.from(archive);
    none.writeUInt32BE(0, 24);
    expect(() => readXar(none)).toThrow(/no hashing algorithm/);
    const md5 = Buffer.from(archive);
    md5.writeUInt32BE(2, 24);
    expect(() => readXar(md5)).toThrow(/md5, which Apple's libxar refuses/);
    const sha256 = Buffer.from(archive);
    sha256.writeUInt32BE(3, 24);
    expect(() => readXar(sha256)).toThrow(/Checksum style mismatch/);
    const size = withToc(archive, (xml) => xml.replace('<size>20</size>', '<size>16</size>'), { fixDigest: true });
    expect(() => readXar(size)).toThrow(/stored TOC digest size 16 is not the 20 bytes of sha1/);
    const fileMd5 = withToc(archive, (xml) => xml.replace('<archived-checksum style="sha1">', '<archived-checksum style="md5">'), { fixDigest: true });
    expect(() => readXar(fileMd5)).toThrow(/"Distribution"'s archived checksum uses md5/);
    const bzip = withToc(archive, (xml) => xml.replace('application/octet-stream', 'application/x-bzip2'), { fixDigest: true });
    expect(() => readXar(bzip)).toThrow(/"a.pkg\/Payload" uses encoding "application\/x-bzip2"/);
    expect(() => readXar(Buffer.from('PK\x03\x04 not a xar at all, a zip'))).toThrow(/not a XAR archive/);
  });
});
