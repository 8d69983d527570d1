// Bom ("bill of materials"): the list of paths a component installs, with type, mode, owner, size and POSIX
// cksum. A block store: a header locating a block table and named variables; the `Paths` variable is a B-tree
// whose leaves hold (PathInfo1, File) block pairs. All integers big-endian. Facts and sources:
// /work/shared/reference/macos-packaging.md §3.
//
// Writer layout (ours, deterministic): header padded to 512 bytes, vars, blocks in creation order, block table,
// empty free list. Path ids are assigned breadth-first with children in byte order of their names, so leaves
// are ordered by (parent id, name). Leaves hold at most 256 entries; above that a branch level is added (more
// levels if ever needed). The reader follows the header's offsets (Apple puts vars and table anywhere) and
// descends every branch node.

const MAGIC = 'BOMStore';
const HEADER_AREA = 512;
const LEAF_CAPACITY = 256;
const BRANCH_CAPACITY = 256;
const TREE_BLOCK_SIZE = 4096;
const VINDEX_BLOCK_SIZE = 128;
/** mkbom's value for PathInfo2's architecture field; meaning unknown (reference §3). */
const PATHINFO_ARCHITECTURE = 3;

const TYPE_CODE = { file: 1, directory: 2, symlink: 3, device: 4 } as const;
const TYPE_BITS = { file: 0o100000, directory: 0o040000, symlink: 0o120000, device: 0o020000 } as const;

export type BomKind = keyof typeof TYPE_CODE;

/** One path of a Bom. `mode` is the permission bits only; the kind gives the type bits. */
export interface BomEntry {
  /** `.` or `./a/b`. */
  path: string;
  kind: BomKind;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Bytes of a file, length of a symlink's target, 0 for directories. */
  size: number;
  /** POSIX cksum of a file's data or a symlink's target; 0 for directories. */
  checksum: number;
  /** Symlinks only. */
  linkTarget?: string;
}

// POSIX cksum: CRC-32 with polynomial 0x04C11DB7, most significant bit first, over the data and then its
// length in as few bytes as needed (least significant first), complemented.
const CKSUM_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit += 1) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** The checksum `cksum` (coreutils, POSIX) prints for these bytes; what a Bom stores per file. */
export function posixCksum(data: Uint8Array): number {
  let crc = 0;
  const table = CKSUM_TABLE;
  for (let i = 0; i < data.length; i += 1) crc = (crc << 8) ^ table[((crc >>> 24) ^ data[i]!) & 0xff]!;
  for (let n = data.length; n > 0; n = Math.floor(n / 256)) crc = (crc << 8) ^ table[((crc >>> 24) ^ (n & 0xff)) & 0xff]!;
  return ~crc >>> 0;
}

/** The full st_mode (type bits and permissions) lsbom prints for an entry. */
export function bomFullMode(entry: Pick<BomEntry, 'kind' | 'mode'>): number {
  return TYPE_BITS[entry.kind] | entry.mode;
}

// Small blocks come from Buffer.allocUnsafe (Node's shared pool) and every byte is written: a Bom of 66,000
// paths is 200,000 blocks, and one ArrayBuffer each made the garbage collector the main cost.
function u32(...values: number[]): Buffer {
  const out = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, i * 4));
  return out;
}

function node(isLeaf: boolean, pairs: readonly (readonly [number, number])[], forward: number, backward: number): Buffer {
  const out = Buffer.allocUnsafe(12 + pairs.length * 8);
  out.writeUInt16BE(isLeaf ? 1 : 0, 0);
  out.writeUInt16BE(pairs.length, 2);
  out.writeUInt32BE(forward, 4);
  out.writeUInt32BE(backward, 8);
  pairs.forEach(([a, b], i) => {
    out.writeUInt32BE(a, 12 + i * 8);
    out.writeUInt32BE(b, 16 + i * 8);
  });
  return out;
}

function tree(child: number, blockSize: number, count: number): Buffer {
  return Buffer.concat([Buffer.from('tree', 'latin1'), u32(1, child, blockSize, count), Buffer.alloc(1)]);
}

function pathInfo2(entry: BomEntry): Buffer {
  const link = entry.kind === 'symlink' ? Buffer.from(`${entry.linkTarget ?? ''}\0`, 'utf8') : Buffer.alloc(0);
  const out = Buffer.allocUnsafe(31 + link.length);
  out.writeUInt8(TYPE_CODE[entry.kind], 0);
  out.writeUInt8(1, 1);
  out.writeUInt16BE(PATHINFO_ARCHITECTURE, 2);
  out.writeUInt16BE(bomFullMode(entry), 4);
  out.writeUInt32BE(entry.uid, 6);
  out.writeUInt32BE(entry.gid, 10);
  out.writeUInt32BE(entry.mtime, 14);
  out.writeUInt32BE(entry.size, 18);
  out.writeUInt8(1, 22);
  out.writeUInt32BE(entry.checksum, 23);
  out.writeUInt32BE(link.length, 27);
  link.copy(out, 31);
  return out;
}

function validate(entry: BomEntry): void {
  const where = `writing Bom entry "${entry.path}"`;
  if (!(entry.path === '.' || (entry.path.startsWith('./') && !entry.path.endsWith('/')))) throw new Error(`${where}: path must be "." or start with "./"`);
  if (entry.path.split('/').some((part, i) => (i > 0 && (part === '' || part === '.' || part === '..')))) throw new Error(`${where}: path has an empty, "." or ".." component`);
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) throw new Error(`${where}: mode ${entry.mode} is not permission bits (0..07777)`);
  for (const [field, value] of [['uid', entry.uid], ['gid', entry.gid], ['mtime', entry.mtime], ['size', entry.size], ['checksum', entry.checksum]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`${where}: ${field} ${value} does not fit 32 bits`);
  }
  if (entry.kind === 'device') throw new Error(`${where}: device entries are not written`);
  if (entry.kind === 'symlink' && !entry.linkTarget) throw new Error(`${where}: a symlink needs a target`);
}

/** Writes a Bom listing exactly these entries. Needs `.` and every parent directory; order does not matter. */
export function writeBom(entries: readonly BomEntry[]): Buffer {
  const byPath = new Map<string, BomEntry>();
  for (const entry of entries) {
    validate(entry);
    if (byPath.has(entry.path)) throw new Error(`writing Bom: path "${entry.path}" appears twice`);
    byPath.set(entry.path, entry);
  }
  const root = byPath.get('.');
  if (!root || root.kind !== 'directory') throw new Error('writing Bom: the entries must include "." as a directory');
  const children = new Map<string, BomEntry[]>();
  for (const entry of entries) {
    if (entry === root) continue;
    const parent = entry.path.slice(0, entry.path.lastIndexOf('/'));
    const parentEntry = byPath.get(parent);
    if (!parentEntry || parentEntry.kind !== 'directory') throw new Error(`writing Bom entry "${entry.path}": parent "${parent}" is not listed as a directory`);
    const list = children.get(parent) ?? [];
    list.push(entry);
    children.set(parent, list);
  }
  // Breadth-first ids: leaves come out ordered by (parent id, name), the B-tree's key order.
  const ordered: { entry: BomEntry; parentId: number; name: string }[] = [{ entry: root, parentId: 0, name: '.' }];
  for (let i = 0; i < ordered.length; i += 1) {
    const kids = (children.get(ordered[i]!.entry.path) ?? []).map((kid) => {
      const name = kid.path.slice(kid.path.lastIndexOf('/') + 1);
      return { kid, name, key: Buffer.from(name, 'utf8') };
    });
    kids.sort((a, b) => Buffer.compare(a.key, b.key));
    for (const { kid, name } of kids) ordered.push({ entry: kid, parentId: i + 1, name });
  }
  if (ordered.length > 0xffff * LEAF_CAPACITY) throw new Error(`writing Bom: ${ordered.length} paths is too many`);

  const blocks: Buffer[] = [Buffer.alloc(0)];
  const add = (data: Buffer): number => blocks.push(data) - 1;
  const pairs = ordered.map(({ entry, parentId, name }, i) => {
    const info2 = add(pathInfo2(entry));
    const info1 = add(u32(i + 1, info2));
    const file = add(Buffer.concat([u32(parentId), Buffer.from(`${name}\0`, 'utf8')]));
    return [info1, file] as const;
  });

  // Leaves, linked forward and backward; then branch levels until one root node. A branch pair is
  // (child node, File block of the last key under that child).
  let level: { block: number; lastFile: number }[] = [];
  const leafCount = Math.ceil(pairs.length / LEAF_CAPACITY);
  const leafBlocks = Array.from({ length: leafCount }, () => add(Buffer.alloc(0)));
  for (let l = 0; l < leafCount; l += 1) {
    const slice = pairs.slice(l * LEAF_CAPACITY, (l + 1) * LEAF_CAPACITY);
    blocks[leafBlocks[l]!] = node(true, slice, leafBlocks[l + 1] ?? 0, leafBlocks[l - 1] ?? 0);
    level.push({ block: leafBlocks[l]!, lastFile: slice.at(-1)![1] });
  }
  while (level.length > 1) {
    const next: typeof level = [];
    for (let i = 0; i < level.length; i += BRANCH_CAPACITY) {
      const group = level.slice(i, i + BRANCH_CAPACITY);
      next.push({ block: add(node(false, group.map((g) => [g.block, g.lastFile] as const), 0, 0)), lastFile: group.at(-1)!.lastFile });
    }
    level = next;
  }
  const pathsTree = add(tree(level[0]!.block, TREE_BLOCK_SIZE, ordered.length));
  // mkbom writes one zeroed BomInfo entry; Apple's own BOMs list CPU types there (meaning unconfirmed).
  const bomInfo = add(Buffer.concat([u32(1, ordered.length + 1, 1), Buffer.alloc(16)]));
  const hlIndex = add(tree(add(node(true, [], 0, 0)), TREE_BLOCK_SIZE, 0));
  const vTree = add(tree(add(node(true, [], 0, 0)), VINDEX_BLOCK_SIZE, 0));
  const vIndex = add(Buffer.concat([u32(1, vTree, 0), Buffer.alloc(1)]));
  const size64 = add(tree(add(node(true, [], 0, 0)), TREE_BLOCK_SIZE, 0));

  const vars = Buffer.concat([
    u32(5),
    ...([['BomInfo', bomInfo], ['Paths', pathsTree], ['HLIndex', hlIndex], ['VIndex', vIndex], ['Size64', size64]] as const).map(([name, block]) =>
      Buffer.concat([u32(block), Buffer.from([name.length]), Buffer.from(name, 'latin1')]),
    ),
  ]);
  const varsOffset = HEADER_AREA;
  let cursor = varsOffset + vars.length;
  // Block table (count, then offset and length per block, the null block first), then an empty free list.
  const table = Buffer.alloc(4 + blocks.length * 8 + 20);
  table.writeUInt32BE(blocks.length, 0);
  for (let i = 1; i < blocks.length; i += 1) {
    table.writeUInt32BE(cursor, 4 + i * 8);
    table.writeUInt32BE(blocks[i]!.length, 8 + i * 8);
    cursor += blocks[i]!.length;
  }
  const header = Buffer.alloc(HEADER_AREA);
  header.write(MAGIC, 0, 'latin1');
  u32(1, blocks.length - 1, cursor, table.length, varsOffset, vars.length).copy(header, 8);
  return Buffer.concat([header, vars, ...blocks.slice(1), table]);
}

/** Reads every path of a Bom, in B-tree order. Follows the header's offsets and descends branch nodes. */
export function readBom(bom: Buffer): BomEntry[] {
  const fail = (why: string): never => {
    throw new Error(`reading Bom: ${why}`);
  };
  if (bom.length < 32 || bom.toString('latin1', 0, 8) !== MAGIC) fail('not a Bom (no BOMStore header)');
  const version = bom.readUInt32BE(8);
  if (version !== 1) fail(`version ${version} is not 1`);
  const tableOffset = bom.readUInt32BE(16);
  const varsOffset = bom.readUInt32BE(24);
  const varsLength = bom.readUInt32BE(28);
  if (tableOffset + 4 > bom.length) fail(`block table offset ${tableOffset} is past the end (${bom.length} bytes)`);
  const blockCount = bom.readUInt32BE(tableOffset);
  if (tableOffset + 4 + blockCount * 8 > bom.length) fail(`block table of ${blockCount} blocks runs past the end`);
  const block = (index: number, label: string): Buffer => {
    if (index === 0 || index >= blockCount) return fail(`${label} refers to block ${index}, outside 1..${blockCount - 1}`);
    const at = bom.readUInt32BE(tableOffset + 4 + index * 8);
    const length = bom.readUInt32BE(tableOffset + 8 + index * 8);
    if (at + length > bom.length) fail(`${label} block ${index} (${at}+${length}) runs past the end`);
    return bom.subarray(at, at + length);
  };
  if (varsOffset + Math.max(varsLength, 4) > bom.length) fail(`vars at ${varsOffset} run past the end`);
  const vars = new Map<string, number>();
  let pos = varsOffset + 4;
  for (let i = bom.readUInt32BE(varsOffset); i > 0; i -= 1) {
    if (pos + 5 > bom.length) fail('vars run past the end');
    const index = bom.readUInt32BE(pos);
    const length = bom[pos + 4]!;
    vars.set(bom.toString('latin1', pos + 5, pos + 5 + length), index);
    pos += 5 + length;
  }
  const pathsVar = vars.get('Paths');
  if (pathsVar === undefined) return fail(`no Paths variable (variables: ${[...vars.keys()].join(', ') || 'none'})`);
  const treeBlock = block(pathsVar, 'Paths');
  if (treeBlock.length < 21 || treeBlock.toString('latin1', 0, 4) !== 'tree') fail('Paths is not a tree');

  const records: { id: number; parent: number; name: string; info: Buffer }[] = [];
  const visited = new Set<number>();
  const walk = (index: number, depth: number): void => {
    if (depth > 32) fail('Paths tree deeper than 32 levels');
    if (visited.has(index)) fail(`Paths tree visits block ${index} twice`);
    visited.add(index);
    const n = block(index, 'Paths node');
    if (n.length < 12) fail(`Paths node ${index} is shorter than its header`);
    const isLeaf = n.readUInt16BE(0) === 1;
    const count = n.readUInt16BE(2);
    if (12 + count * 8 > n.length) fail(`Paths node ${index} lists ${count} pairs but holds fewer`);
    for (let i = 0; i < count; i += 1) {
      const a = n.readUInt32BE(12 + i * 8);
      const b = n.readUInt32BE(16 + i * 8);
      if (!isLeaf) {
        walk(a, depth + 1);
        continue;
      }
      const info1 = block(a, 'PathInfo1');
      const file = block(b, 'File');
      if (info1.length < 8 || file.length < 5) fail(`path record in node ${index} is too short`);
      const nul = file.indexOf(0, 4);
      records.push({ id: info1.readUInt32BE(0), parent: file.readUInt32BE(0), name: file.toString('utf8', 4, nul < 0 ? file.length : nul), info: block(info1.readUInt32BE(4), 'PathInfo2') });
    }
  };
  walk(treeBlock.readUInt32BE(8), 0);

  const byId = new Map(records.map((r) => [r.id, r]));
  const pathOf = (id: number, depth: number): string => {
    const record = byId.get(id);
    if (!record) return fail(`path id ${id} is referenced as a parent but not listed`);
    if (depth > 1000) fail('parent chain loops');
    if (record.parent === 0) return record.name;
    return `${pathOf(record.parent, depth + 1)}/${record.name}`;
  };
  return records.map((r) => {
    const path = pathOf(r.id, 0);
    if (r.info.length < 31) fail(`PathInfo2 of "${path}" is ${r.info.length} bytes, fewer than 31`);
    const typeCode = r.info[0]!;
    const kind = (Object.keys(TYPE_CODE) as BomKind[]).find((k) => TYPE_CODE[k] === typeCode);
    if (!kind) return fail(`"${path}" has unknown type ${typeCode}`);
    const linkLength = r.info.readUInt32BE(27);
    const entry: BomEntry = {
      path,
      kind,
      mode: r.info.readUInt16BE(4) & 0o7777,
      uid: r.info.readUInt32BE(6),
      gid: r.info.readUInt32BE(10),
      mtime: r.info.readUInt32BE(14),
      size: r.info.readUInt32BE(18),
      checksum: r.info.readUInt32BE(23),
    };
    if (kind === 'symlink' && linkLength > 0) {
      const end = Math.min(31 + linkLength, r.info.length);
      const nul = r.info.indexOf(0, 31);
      entry.linkTarget = r.info.toString('utf8', 31, nul >= 0 && nul < end ? nul : end);
    }
    return entry;
  });
}
