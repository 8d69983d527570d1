// What `npm run pkg:inspect` prints about a read package: the XAR TOC, the Distribution's choices, each
// component's PackageInfo, its Bom in lsbom's columns and its scripts, then the check results. Pure: text and
// JSON are built from a ReadPackage and its problems; scripts/pkg/inspect.ts does the I/O.
import { bomFullMode, type BomEntry } from './bom.js';
import type { ReadArchiveEntry, ReadComponent, ReadPackage } from './read.js';

/** One Bom line as `lsbom` prints it: path, octal mode, uid/gid, then size and cksum (and target) for files and links. */
export function lsbomLine(entry: BomEntry): string {
  const head = [entry.path, bomFullMode(entry).toString(8), `${entry.uid}/${entry.gid}`];
  if (entry.kind === 'directory') return head.join('\t');
  const tail = [String(entry.size), String(entry.checksum)];
  if (entry.kind === 'symlink') tail.push(entry.linkTarget ?? '');
  return [...head, ...tail].join('\t');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function scriptSummary(entry: ReadArchiveEntry): string {
  const fullMode = bomFullMode({ kind: entry.kind, mode: entry.mode }).toString(8);
  const columns = [entry.path, fullMode, `${entry.uid}/${entry.gid}`];
  if (entry.kind === 'file') {
    const firstLine = (entry.data ?? Buffer.alloc(0)).subarray(0, 200).toString('utf8').split('\n')[0] ?? '';
    columns.push(`${entry.data?.length ?? 0} bytes`, firstLine);
  }
  return columns.join('\t');
}

function componentLines(component: ReadComponent): string[] {
  const lines = [`Component ${component.fileName || '(package root)'}`];
  const info = component.packageInfo;
  if (info) {
    lines.push('  PackageInfo:');
    lines.push(`    identifier ${info.identifier}  version ${info.version}  install-location ${info.installLocation ?? '(none)'}  auth ${info.auth ?? '(none)'}`);
    lines.push(`    relocatable ${String(info.relocatable ?? '(unset)')}  overwrite-permissions ${String(info.overwritePermissions ?? '(unset)')}  followSymLinks ${String(info.followSymLinks ?? '(unset)')}  postinstall-action ${info.postinstallAction ?? '(unset)'}`);
    lines.push(`    payload: ${info.payload ? `numberOfFiles ${info.payload.numberOfFiles}  installKBytes ${info.payload.installKBytes}` : '(none)'}`);
    const scripts = Object.entries(info.scripts).map(([k, v]) => `${k} ./${v}`);
    lines.push(`    scripts: ${scripts.length > 0 ? scripts.join(', ') : '(none)'}`);
  }
  lines.push(`  Payload: ${component.payloadFormat}${component.payload ? `, ${component.payload.length} entries` : ''}`);
  if (component.bom) {
    lines.push(`  Bom (lsbom: path, mode, uid/gid, size, cksum), ${component.bom.length} paths:`);
    for (const entry of component.bom) lines.push(`    ${lsbomLine(entry)}`);
  }
  if (component.scripts) {
    lines.push('  Scripts:');
    for (const entry of component.scripts) lines.push(`    ${scriptSummary(entry)}`);
  }
  return lines;
}

/** The human-readable report. */
export function formatReport(read: ReadPackage, problems: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`Flat package: ${read.kind === 'product' ? 'product archive' : 'component package'}, XAR checksum ${read.xar.checksumAlgorithm}, ${read.xar.signed ? 'signed' : 'unsigned'}`);
  lines.push('', 'XAR table of contents:');
  const rows = [['name', 'type', 'encoding', 'stored', 'size', 'mode', 'owner']];
  for (const e of read.toc) {
    rows.push([
      e.path,
      e.type,
      e.data?.encoding ?? '-',
      e.data ? String(e.data.length) : '-',
      e.data ? String(e.data.size) : '-',
      e.mode === undefined ? '-' : e.mode.toString(8).padStart(4, '0'),
      e.uid === undefined && e.gid === undefined ? '-' : `${e.uid ?? '?'}:${e.gid ?? '?'}`,
    ]);
  }
  lines.push(...table(rows).map((r) => `  ${r}`));
  const d = read.distribution;
  if (d) {
    lines.push('', 'Distribution:');
    lines.push(`  title ${d.title ?? '(none)'}  minimum macOS ${d.minimumMacOS ?? '(none)'}  hostArchitectures ${d.hostArchitectures?.join(',') ?? '(none)'}  customize ${d.customize ?? '(unset)'}`);
    if (d.product) lines.push(`  product ${d.product.id} ${d.product.version ?? ''}`.trimEnd());
    if (d.installationCheck) lines.push(`  installation-check ${d.installationCheck}`);
    lines.push(`  choices-outline: ${d.outline.join(', ') || '(empty)'}`);
    lines.push('  choices:');
    for (const c of d.choices) {
      const attrs = [c.title !== undefined && `title "${c.title}"`, c.visible !== undefined && `visible ${c.visible}`, c.enabled !== undefined && `enabled ${c.enabled}`, c.selected !== undefined && `selected ${c.selected}`].filter(Boolean);
      lines.push(`    ${c.id}: ${attrs.join('  ')}  pkg-refs ${c.pkgRefs.join(', ') || '(none)'}`);
    }
    lines.push('  pkg-refs:');
    for (const r of d.pkgRefs) {
      lines.push(`    ${r.id}: version ${r.version ?? '-'}  installKBytes ${r.installKBytes ?? '-'}  ${r.fileName !== undefined ? `#${r.fileName}` : '(no reference)'}`);
    }
  }
  for (const component of read.components) lines.push('', ...componentLines(component));
  lines.push('', problems.length === 0 ? 'Check: clean' : `Check: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const p of problems) lines.push(`  - ${p}`);
  return `${lines.join('\n')}\n`;
}

function entryJson(e: ReadArchiveEntry): Record<string, unknown> {
  return { path: e.path, kind: e.kind, mode: e.mode.toString(8), uid: e.uid, gid: e.gid, ...(e.data ? { size: e.data.length } : {}), ...(e.target ? { target: e.target } : {}) };
}

/** The same report as data (`--json`). */
export function reportJson(read: ReadPackage, problems: readonly string[]): Record<string, unknown> {
  return {
    kind: read.kind,
    xar: { checksumAlgorithm: read.xar.checksumAlgorithm, signed: read.xar.signed },
    toc: read.toc,
    distribution: read.distribution ?? null,
    components: read.components.map((c) => ({
      fileName: c.fileName,
      packageInfo: c.packageInfo ?? null,
      payloadFormat: c.payloadFormat,
      bom: c.bom?.map((b) => ({ ...b, mode: bomFullMode(b).toString(8), lsbom: lsbomLine(b) })) ?? null,
      payload: c.payload?.map(entryJson) ?? null,
      scripts: c.scripts?.map(entryJson) ?? null,
    })),
    problems,
    clean: problems.length === 0,
  };
}
