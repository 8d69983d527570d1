// Reading any flat package, ours or not: a component package (PackageInfo at the root) or a product archive
// (Distribution plus component directories). Container damage (bad checksums, what libxar refuses) throws;
// content we cannot decode (a pbzx payload, an unparseable PackageInfo) becomes a problem so the rest can
// still be inspected.
//
// API: readPackage(buffer) -> ReadPackage { kind, toc, distribution?, components: [{ fileName, packageInfo?,
//   bom, payload?, scripts?, payloadFormat }], problems }; fileName is '' for a component package.
import { readBom, type BomEntry } from './bom.js';
import { readCpio, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './cpio.js';
import { parseDistribution, type ParsedDistribution } from './distribution.js';
import { gunzip, isGzip } from './gzip.js';
import { parsePackageInfo, type PackageInfo } from './package-info.js';
import { readXar, type XarArchive, type XarTocEntry } from './xar.js';
import type { PayloadEntry } from './component.js';

/** A payload or scripts entry read back: the writer's fields plus what cpio recorded. */
export interface ReadArchiveEntry extends PayloadEntry {
  /** The name as stored (`./x` or `x`). */
  storedName: string;
  mtime: number;
}

export type PayloadFormat = 'gzip-cpio' | 'cpio' | 'pbzx' | 'absent' | 'unknown';

export interface ReadComponent {
  /** Directory in the archive ('' when the package is itself a component package). */
  fileName: string;
  packageInfo?: PackageInfo;
  bom?: BomEntry[];
  payloadFormat: PayloadFormat;
  payload?: ReadArchiveEntry[];
  scripts?: ReadArchiveEntry[];
}

export interface ReadPackage {
  kind: 'product' | 'component';
  xar: XarArchive;
  toc: XarTocEntry[];
  distribution?: ParsedDistribution;
  components: ReadComponent[];
  /** What could not be decoded (not a verdict on the package: see checkPackage). */
  problems: string[];
}

function formatOf(data: Buffer | undefined): PayloadFormat {
  if (!data) return 'absent';
  if (isGzip(data)) return 'gzip-cpio';
  if (data.toString('latin1', 0, 6) === '070707') return 'cpio';
  if (data.toString('latin1', 0, 4) === 'pbzx') return 'pbzx';
  return 'unknown';
}

/** Decodes a Payload or Scripts file (gzip cpio or plain cpio) into entries with `./` paths. */
export function readArchiveEntries(data: Buffer, what: string): ReadArchiveEntry[] {
  const cpio = isGzip(data) ? gunzip(data, what) : data;
  let records;
  try {
    records = readCpio(cpio);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
  }
  return records.map((r) => {
    const type = r.mode & S_IFMT;
    const kind = type === S_IFDIR ? 'directory' : type === S_IFLNK ? 'symlink' : type === S_IFREG ? 'file' : undefined;
    if (!kind) throw new Error(`${what}: "${r.name}" has file type ${type.toString(8)}, not a file, directory or symlink`);
    if (r.name.startsWith('/')) throw new Error(`${what}: "${r.name}" is an absolute path`);
    const path = r.name === '.' || r.name.startsWith('./') ? r.name.replace(/\/+$/, '') || '.' : `./${r.name.replace(/\/+$/, '')}`;
    const entry: ReadArchiveEntry = { path, storedName: r.name, kind, mode: r.mode & 0o7777, uid: r.uid, gid: r.gid, mtime: r.mtime };
    if (kind === 'file') entry.data = r.data;
    if (kind === 'symlink') entry.target = r.data.toString('utf8');
    return entry;
  });
}

function readComponent(files: Map<string, Buffer>, fileName: string, problems: string[]): ReadComponent {
  const prefix = fileName ? `${fileName}/` : '';
  const where = fileName ? `component ${fileName}` : 'component';
  const get = (name: string): Buffer | undefined => files.get(prefix + name);
  const attempt = <T>(label: string, work: () => T): T | undefined => {
    try {
      return work();
    } catch (error) {
      problems.push(`${where}: ${label}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const component: ReadComponent = { fileName, payloadFormat: formatOf(get('Payload')) };
  const info = get('PackageInfo');
  if (info) {
    const parsed = attempt('PackageInfo', () => parsePackageInfo(info.toString('utf8')));
    if (parsed) component.packageInfo = parsed;
  } else problems.push(`${where}: no PackageInfo`);
  const bom = get('Bom');
  if (bom) {
    const parsed = attempt('Bom', () => readBom(bom));
    if (parsed) component.bom = parsed;
  } else problems.push(`${where}: no Bom`);
  const payload = get('Payload');
  if (component.payloadFormat === 'pbzx') problems.push(`${where}: Payload is pbzx (xz chunks), which this reader does not decode`);
  else if (component.payloadFormat === 'unknown') problems.push(`${where}: Payload is neither gzip cpio nor cpio`);
  else if (payload) {
    const parsed = attempt('Payload', () => readArchiveEntries(payload, 'Payload'));
    if (parsed) component.payload = parsed;
  }
  const scripts = get('Scripts');
  if (scripts) {
    const parsed = attempt('Scripts', () => readArchiveEntries(scripts, 'Scripts'));
    if (parsed) component.scripts = parsed;
  }
  return component;
}

/** Reads a flat package. Throws when the container is refused; collects decode problems otherwise. */
export function readPackage(buffer: Buffer): ReadPackage {
  const xar = readXar(buffer);
  const problems: string[] = [];
  const result: ReadPackage = { kind: 'component', xar, toc: xar.entries, components: [], problems };
  const distribution = xar.files.get('Distribution');
  if (distribution) {
    result.kind = 'product';
    try {
      result.distribution = parseDistribution(distribution.toString('utf8'));
    } catch (error) {
      problems.push(`Distribution: ${(error as Error).message}`);
    }
  }
  if (xar.files.has('PackageInfo')) {
    result.components.push(readComponent(xar.files, '', problems));
  }
  for (const entry of xar.entries) {
    if (entry.type !== 'directory' || entry.path.includes('/')) continue;
    if (xar.files.has(`${entry.path}/PackageInfo`) || xar.files.has(`${entry.path}/Payload`) || xar.files.has(`${entry.path}/Bom`)) {
      result.components.push(readComponent(xar.files, entry.path, problems));
    }
  }
  if (result.components.length === 0 && !distribution) problems.push('no Distribution and no component: not a flat package');
  return result;
}
