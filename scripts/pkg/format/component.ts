// A component package: PackageInfo, Bom, Payload (gzip cpio odc) and Scripts (gzip cpio odc), built from one
// list of entries so the Bom and the Payload cannot disagree.
//
// API:
//   buildComponent({ identifier, version, installLocation, entries, scripts, mtime }) -> Component
//     entries: PayloadEntry[] with paths '.', './Library', './Library/x' (any order; '.' and every parent
//     directory required), permission bits only, uid/gid (use 0:0, root:wheel), data for files, target for
//     symlinks. Scripts: [{ name: 'preinstall' | 'postinstall' | other helper file, data }] (mode 0755).
//     mtime: seconds since the epoch, written into cpio and Bom (the caller reads SOURCE_DATE_EPOCH).
//   componentXarEntries(component) -> the four files as XAR entries (product.ts nests them in `<name>.pkg/`)
//   writeComponentPackage(component, { mtime }) -> Buffer: a standalone component package (pkgbuild's output)
// installKBytes is Σ ceil(size / 1024) over files and symlinks: a fixed formula (du would depend on the
// build host's file system); numberOfFiles counts every payload entry, '.' included.
import { posixCksum, writeBom, type BomEntry } from './bom.js';
import { S_IFDIR, S_IFLNK, S_IFREG, writeCpio, type CpioEntry } from './cpio.js';
import { gzip } from './gzip.js';
import { writePackageInfo, type PackageInfo } from './package-info.js';
import { writeXar, type XarInput } from './xar.js';

/** One thing the payload installs. */
export interface PayloadEntry {
  /** '.', './Library', './Library/x'. */
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  /** Permission bits only (e.g. 0o755). */
  mode: number;
  uid: number;
  gid: number;
  /** Files only. */
  data?: Buffer;
  /** Symlinks only. */
  target?: string;
}

/** One file of the Scripts archive, at its top level. */
export interface ScriptEntry {
  name: string;
  data: Buffer;
  /** Default 0o755. */
  mode?: number;
}

export interface ComponentInput {
  identifier: string;
  version: string;
  /** Default '/'. */
  installLocation?: string;
  entries: readonly PayloadEntry[];
  scripts?: readonly ScriptEntry[];
  /** Seconds since the epoch. */
  mtime: number;
}

/** A built component: its parsed PackageInfo, the Bom's entries, and the four files' bytes. */
export interface Component {
  packageInfo: PackageInfo;
  bomEntries: BomEntry[];
  files: { PackageInfo: Buffer; Bom: Buffer; Payload: Buffer; Scripts?: Buffer };
}

const SCRIPT_KINDS = ['preinstall', 'postinstall'] as const;

function compareComponents(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i += 1) {
    const c = Buffer.compare(Buffer.from(pa[i]!, 'utf8'), Buffer.from(pb[i]!, 'utf8'));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** The bytes a payload entry contributes to cpio data and cksum: a file's data, a symlink's target. */
export function payloadEntryBytes(entry: Pick<PayloadEntry, 'kind' | 'data' | 'target' | 'path'>): Buffer {
  if (entry.kind === 'file') return entry.data ?? Buffer.alloc(0);
  if (entry.kind === 'symlink') {
    if (!entry.target) throw new Error(`payload entry "${entry.path}": a symlink needs a target`);
    return Buffer.from(entry.target, 'utf8');
  }
  return Buffer.alloc(0);
}

/** installKBytes as we compute it (see the module header). */
export function installKBytesOf(entries: readonly Pick<PayloadEntry, 'kind' | 'data' | 'target' | 'path'>[]): number {
  return entries.reduce((sum, e) => sum + (e.kind === 'directory' ? 0 : Math.ceil(payloadEntryBytes(e).length / 1024)), 0);
}

function cpioMode(kind: PayloadEntry['kind'], mode: number): number {
  return (kind === 'directory' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : S_IFREG) | mode;
}

/** Builds PackageInfo, Bom, Payload and Scripts from one entry list. Deterministic for the same input. */
export function buildComponent(input: ComponentInput): Component {
  const entries = [...input.entries].sort((a, b) => compareComponents(a.path, b.path));
  for (const e of entries) {
    if (e.kind === 'file' && !e.data) throw new Error(`building component ${input.identifier}: file "${e.path}" has no data`);
    if (e.kind !== 'file' && e.data) throw new Error(`building component ${input.identifier}: ${e.kind} "${e.path}" carries data`);
  }
  const bomEntries: BomEntry[] = entries.map((e) => {
    const bytes = payloadEntryBytes(e);
    return {
      path: e.path,
      kind: e.kind,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: input.mtime,
      size: bytes.length,
      checksum: e.kind === 'directory' ? 0 : posixCksum(bytes),
      ...(e.kind === 'symlink' ? { linkTarget: e.target } : {}),
    };
  });
  const bom = writeBom(bomEntries); // validates paths, parents and ranges
  const payloadCpio: CpioEntry[] = entries.map((e) => ({
    name: e.path,
    mode: cpioMode(e.kind, e.mode),
    uid: e.uid,
    gid: e.gid,
    mtime: input.mtime,
    data: payloadEntryBytes(e),
  }));
  const scripts = [...(input.scripts ?? [])].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const scriptNames = new Set<string>();
  for (const s of scripts) {
    if (!/^[^/\0]+$/.test(s.name) || s.name === '.' || s.name === '..') throw new Error(`building component ${input.identifier}: bad script name "${s.name}"`);
    if (scriptNames.has(s.name)) throw new Error(`building component ${input.identifier}: script "${s.name}" appears twice`);
    scriptNames.add(s.name);
  }
  const packageInfo: PackageInfo = {
    formatVersion: '2',
    identifier: input.identifier,
    version: input.version,
    installLocation: input.installLocation ?? '/',
    auth: 'root',
    relocatable: false,
    overwritePermissions: false,
    followSymLinks: false,
    postinstallAction: 'none',
    payload: { numberOfFiles: entries.length, installKBytes: installKBytesOf(entries) },
    scripts: Object.fromEntries(SCRIPT_KINDS.filter((k) => scriptNames.has(k)).map((k) => [k, k])),
  };
  const files: Component['files'] = {
    PackageInfo: Buffer.from(writePackageInfo(packageInfo), 'utf8'),
    Bom: bom,
    Payload: gzip(writeCpio(payloadCpio)),
  };
  if (scripts.length > 0) {
    files.Scripts = gzip(
      writeCpio([
        { name: '.', mode: S_IFDIR | 0o755, uid: 0, gid: 0, mtime: input.mtime, data: Buffer.alloc(0) },
        ...scripts.map((s) => ({ name: `./${s.name}`, mode: S_IFREG | (s.mode ?? 0o755), uid: 0, gid: 0, mtime: input.mtime, data: s.data })),
      ]),
    );
  }
  return { packageInfo, bomEntries, files };
}

/** The component's files as XAR entries, encoded as productbuild does (XML and Bom zlib, archives stored). */
export function componentXarEntries(component: Component): XarInput[] {
  const out: XarInput[] = [
    { name: 'Bom', type: 'file', data: component.files.Bom, encoding: 'zlib' },
    { name: 'Payload', type: 'file', data: component.files.Payload, encoding: 'none' },
  ];
  if (component.files.Scripts) out.push({ name: 'Scripts', type: 'file', data: component.files.Scripts, encoding: 'none' });
  out.push({ name: 'PackageInfo', type: 'file', data: component.files.PackageInfo, encoding: 'zlib' });
  return out;
}

/** A standalone component package (what pkgbuild writes): the four files at the XAR's root. */
export function writeComponentPackage(component: Component, options: { mtime: number }): Buffer {
  return writeXar(componentXarEntries(component), options);
}
