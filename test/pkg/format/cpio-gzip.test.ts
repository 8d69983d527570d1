import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCpio, writeCpio } from '../../../scripts/pkg/format/cpio.js';
import { gunzip, gzip } from '../../../scripts/pkg/format/gzip.js';

const MTIME = 1_796_169_600;

describe('cpio odc', () => {
  it('round-trips directories, files (empty, non-ASCII name, 20+ MB) and symlinks with their modes and owners', () => {
    const big = randomBytes(21 * 1024 * 1024);
    const entries = [
      { name: '.', mode: 0o040755, uid: 0, gid: 0, mtime: MTIME, data: Buffer.alloc(0) },
      { name: './Library', mode: 0o040700, uid: 0, gid: 0, mtime: MTIME, data: Buffer.alloc(0) },
      { name: './Library/empty', mode: 0o100600, uid: 0, gid: 0, mtime: MTIME, data: Buffer.alloc(0) },
      { name: './Library/Größe – 東京.txt', mode: 0o100644, uid: 501, gid: 20, mtime: MTIME, data: Buffer.from('ü\n') },
      { name: './Library/node', mode: 0o100755, uid: 0, gid: 0, mtime: MTIME, data: big },
      { name: './Library/current', mode: 0o120755, uid: 0, gid: 0, mtime: MTIME, data: Buffer.from('node') },
    ];
    const archive = Buffer.concat(writeCpio(entries));
    expect(archive.subarray(0, 6).toString('latin1')).toBe('070707');
    // Name "." then "./path", no padding: the second header follows the first entry's name right away.
    expect(archive.subarray(76, 78).toString('latin1')).toBe('.\0');
    expect(archive.subarray(78, 84).toString('latin1')).toBe('070707');
    expect(archive.subarray(-11).toString('latin1')).toBe('TRAILER!!!\0');
    const back = readCpio(archive);
    expect(back.map(({ name, mode, uid, gid, mtime }) => ({ name, mode, uid, gid, mtime }))).toEqual(
      entries.map(({ name, mode, uid, gid, mtime }) => ({ name, mode, uid, gid, mtime })),
    );
    back.forEach((record, i) => expect(record.data.equals(entries[i]!.data), record.name).toBe(true));
    expect(new Set(back.map((r) => r.ino)).size).toBe(entries.length);
  });

  it('refuses a value that does not fit its octal field, and a truncated archive', () => {
    expect(() => writeCpio([{ name: './x', mode: 0o100644, uid: 8 ** 6, gid: 0, mtime: 0, data: Buffer.alloc(0) }])).toThrow(/uid 262144 does not fit 6 octal digits/);
    const archive = Buffer.concat(writeCpio([{ name: './x', mode: 0o100644, uid: 0, gid: 0, mtime: 0, data: Buffer.from('abc') }]));
    expect(() => readCpio(archive.subarray(0, 80))).toThrow(/runs past the end|before its TRAILER/);
    expect(() => readCpio(Buffer.from('070701' + '0'.repeat(100)))).toThrow(/magic "070701" is not 070707/);
  });
});

describe('gzip', () => {
  it('writes a deterministic member (mtime 0, Unix OS byte) that zlib decodes, from chunks without joining them first', () => {
    const chunks = [Buffer.from('hello '), randomBytes(3 * 1024 * 1024), Buffer.from(' world')];
    const member = gzip(chunks);
    expect([...member.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect(gunzipSync(member).equals(Buffer.concat(chunks))).toBe(true);
    expect(gunzip(member, 'test').equals(Buffer.concat(chunks))).toBe(true);
    expect(gzip(Buffer.concat(chunks)).equals(member)).toBe(true);
  });

  it('refuses data that is not gzip and a member whose CRC was damaged', () => {
    expect(() => gunzip(Buffer.from('070707'), 'Payload')).toThrow(/decompressing Payload: not gzip data/);
    const member = gzip(Buffer.from('some payload bytes'));
    member[member.length - 6]! ^= 0xff;
    expect(() => gunzip(member, 'Payload')).toThrow(/decompressing Payload/);
  });
});
