import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { posixCksum, readBom, writeBom, type BomEntry } from '../../../scripts/pkg/format/bom.js';

function dir(path: string, mode = 0o755): BomEntry {
  return { path, kind: 'directory', mode, uid: 0, gid: 0, mtime: 1, size: 0, checksum: 0 };
}
function file(path: string, data: Buffer, mode = 0o644): BomEntry {
  return { path, kind: 'file', mode, uid: 0, gid: 0, mtime: 1, size: data.length, checksum: posixCksum(data) };
}

/** Reads the Paths tree's root node: [isLeaf, count]. */
function pathsRoot(bom: Buffer): { isLeaf: boolean; count: number } {
  const table = bom.readUInt32BE(16);
  const varsAt = bom.readUInt32BE(24);
  const block = (i: number): Buffer => bom.subarray(bom.readUInt32BE(table + 4 + i * 8), bom.readUInt32BE(table + 4 + i * 8) + bom.readUInt32BE(table + 8 + i * 8));
  let pos = varsAt + 4;
  for (let n = bom.readUInt32BE(varsAt); n > 0; n -= 1) {
    const index = bom.readUInt32BE(pos);
    const name = bom.toString('latin1', pos + 5, pos + 5 + bom[pos + 4]!);
    if (name === 'Paths') {
      const root = block(block(index).readUInt32BE(8));
      return { isLeaf: root.readUInt16BE(0) === 1, count: root.readUInt16BE(2) };
    }
    pos += 5 + bom[pos + 4]!;
  }
  throw new Error('no Paths');
}

describe('Bom', () => {
  it('computes the checksum the coreutils cksum command prints (empty file: 4294967295)', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('a'), Buffer.from('hello world\n'), Buffer.alloc(70_000, 7)]) {
      const [sum, size] = execFileSync('cksum', { input: data }).toString().trim().split(/\s+/);
      expect(posixCksum(data)).toBe(Number(sum));
      expect(Number(size)).toBe(data.length);
    }
    expect(posixCksum(Buffer.alloc(0))).toBe(4294967295);
  });

  it('round-trips paths, modes, owners, sizes, checksums, symlink targets and non-ASCII names in (parent, name) order', () => {
    const entries: BomEntry[] = [
      file('./b/zeta', Buffer.from('z')),
      dir('.'),
      dir('./b', 0o700),
      { path: './b/link', kind: 'symlink', mode: 0o755, uid: 0, gid: 0, mtime: 1, size: 4, checksum: posixCksum(Buffer.from('zeta')), linkTarget: 'zeta' },
      dir('./a'),
      file('./a/Überprüfung.txt', Buffer.from('ü'), 0o600),
      file('./a/empty', Buffer.alloc(0)),
      { ...file('./owned', Buffer.from('x')), uid: 501, gid: 20 },
    ];
    const back = readBom(writeBom(entries));
    expect(back.map((e) => e.path)).toEqual(['.', './a', './b', './owned', './a/empty', './a/Überprüfung.txt', './b/link', './b/zeta']);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    for (const entry of back) expect(entry).toEqual(byPath.get(entry.path));
  });

  it('puts more than 256 paths under a branch node and reads every leaf back', () => {
    const entries = [dir('.'), dir('./many')];
    for (let i = 0; i < 700; i += 1) entries.push(file(`./many/f${String(i).padStart(4, '0')}`, Buffer.from(String(i))));
    const bom = writeBom(entries);
    expect(pathsRoot(bom)).toEqual({ isLeaf: false, count: 3 });
    const back = readBom(bom);
    expect(back).toHaveLength(702);
    expect(back.map((e) => e.path)).toEqual(entries.map((e) => e.path));
    expect(pathsRoot(writeBom(entries.slice(0, 256)))).toEqual({ isLeaf: true, count: 256 });
  });

  it('adds a second branch level above 65536 paths', () => {
    const entries = [dir('.')];
    for (let i = 0; i < 66_000; i += 1) entries.push(dir(`./d${i}`));
    const bom = writeBom(entries);
    expect(pathsRoot(bom)).toEqual({ isLeaf: false, count: 2 });
    expect(readBom(bom)).toHaveLength(66_001);
  });

  it('follows the header offsets when vars and the block table sit elsewhere (as in Apple-written BOMs)', () => {
    const original = writeBom([dir('.'), file('./x', Buffer.from('x'))]);
    const tableAt = original.readUInt32BE(16);
    const tableLength = original.readUInt32BE(20);
    const varsAt = original.readUInt32BE(24);
    const varsLength = original.readUInt32BE(28);
    // Move the block table and vars to the end of the file, behind some junk, and zero their old places.
    const moved = Buffer.concat([original, Buffer.alloc(37, 0xee), original.subarray(varsAt, varsAt + varsLength), original.subarray(tableAt, tableAt + tableLength)]);
    moved.fill(0, varsAt, varsAt + varsLength);
    moved.fill(0, tableAt, tableAt + tableLength);
    moved.writeUInt32BE(original.length + 37, 24);
    moved.writeUInt32BE(original.length + 37 + varsLength, 16);
    expect(readBom(moved).map((e) => e.path)).toEqual(['.', './x']);
  });

  it('refuses entries it cannot represent and damaged files, naming the problem', () => {
    expect(() => writeBom([file('./x', Buffer.from('x'))])).toThrow(/must include "\." as a directory/);
    expect(() => writeBom([dir('.'), file('./a/x', Buffer.from('x'))])).toThrow(/parent "\.\/a" is not listed/);
    expect(() => writeBom([dir('.'), { ...dir('./a'), mode: 0o40755 }])).toThrow(/not permission bits/);
    expect(() => readBom(Buffer.from('not a bom at all, no, not at all'))).toThrow(/not a Bom/);
    const bom = writeBom([dir('.')]);
    bom.writeUInt32BE(bom.length + 100, 16);
    expect(() => readBom(bom)).toThrow(/block table offset .* past the end/);
  });
});
