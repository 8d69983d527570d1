// Checking a read package against the rules our packages follow and Installer relies on (reference §2–§7):
// the Bom lists exactly the payload's paths with the same type, mode, owner, size and cksum; PackageInfo's
// counts agree with the payload; scripts are declared, regular, executable and start with #!; everything is
// owned root:wheel; every Distribution pkg-ref resolves and every component sits in an outlined choice.
//
// API: checkPackage(read: ReadPackage) -> string[] (empty when clean).
import { posixCksum, type BomEntry } from './bom.js';
import { payloadEntryBytes } from './component.js';
import type { ReadArchiveEntry, ReadComponent, ReadPackage } from './read.js';

function checkOwners(where: string, entries: readonly { path: string; uid?: number; gid?: number }[], problems: string[]): void {
  const foreign = entries.filter((e) => (e.uid !== undefined && e.uid !== 0) || (e.gid !== undefined && e.gid !== 0));
  for (const e of foreign.slice(0, 5)) problems.push(`${where}: "${e.path}" is owned ${e.uid}:${e.gid}, not root:wheel (0:0)`);
  if (foreign.length > 5) problems.push(`${where}: ${foreign.length - 5} more entries not owned root:wheel`);
}

function checkBomAgainstPayload(where: string, bom: readonly BomEntry[], payload: readonly ReadArchiveEntry[], problems: string[]): void {
  const bomByPath = new Map(bom.map((b) => [b.path, b]));
  const payloadByPath = new Map<string, ReadArchiveEntry>();
  for (const p of payload) {
    if (payloadByPath.has(p.path)) problems.push(`${where}: Payload lists "${p.path}" twice`);
    payloadByPath.set(p.path, p);
  }
  for (const p of payload) {
    const b = bomByPath.get(p.path);
    if (!b) {
      problems.push(`${where}: Payload has "${p.path}", the Bom does not list it`);
      continue;
    }
    const bytes = payloadEntryBytes(p);
    const expected = { kind: p.kind, mode: p.mode, uid: p.uid, gid: p.gid, size: p.kind === 'directory' ? b.size : bytes.length };
    for (const [field, value] of Object.entries(expected) as [keyof typeof expected, string | number][]) {
      if (b[field] !== value) {
        const show = (v: string | number): string => (field === 'mode' && typeof v === 'number' ? `0${v.toString(8)}` : String(v));
        problems.push(`${where}: "${p.path}" ${field} is ${show(b[field])} in the Bom, ${show(value)} in the Payload`);
      }
    }
    if (p.kind !== 'directory' && b.checksum !== posixCksum(bytes)) {
      problems.push(`${where}: "${p.path}" Bom checksum ${b.checksum} is not the cksum ${posixCksum(bytes)} of the Payload's bytes`);
    }
    if (p.kind === 'symlink' && b.linkTarget !== undefined && b.linkTarget !== p.target) {
      problems.push(`${where}: "${p.path}" links to "${p.target ?? ''}" in the Payload, "${b.linkTarget}" in the Bom`);
    }
  }
  for (const b of bom) if (!payloadByPath.has(b.path)) problems.push(`${where}: the Bom lists "${b.path}", the Payload does not have it`);
}

function checkScripts(where: string, component: ReadComponent, problems: string[]): void {
  const declared = component.packageInfo?.scripts ?? {};
  const byPath = new Map((component.scripts ?? []).map((s) => [s.path, s]));
  for (const [kind, file] of Object.entries(declared)) {
    if (!file) continue;
    const script = byPath.get(`./${file}`);
    if (!script) problems.push(`${where}: PackageInfo declares ${kind} "${file}", the Scripts archive does not have it`);
  }
  for (const kind of ['preinstall', 'postinstall'] as const) {
    const script = byPath.get(`./${kind}`);
    if (!script) continue;
    if (declared[kind] !== kind) problems.push(`${where}: Scripts has ${kind} but PackageInfo does not declare it`);
    if (script.kind !== 'file') problems.push(`${where}: ${kind} is a ${script.kind}, not a regular file`);
    else {
      if ((script.mode & 0o111) !== 0o111) problems.push(`${where}: ${kind} mode 0${script.mode.toString(8)} is not executable`);
      if (!script.data || script.data.subarray(0, 2).toString('latin1') !== '#!') problems.push(`${where}: ${kind} does not start with "#!"`);
    }
  }
  checkOwners(`${where} Scripts`, component.scripts ?? [], problems);
}

function checkComponent(component: ReadComponent, problems: string[]): void {
  const where = component.fileName ? `component ${component.fileName}` : 'component';
  const { packageInfo, bom, payload } = component;
  if (bom && payload) checkBomAgainstPayload(where, bom, payload, problems);
  if (bom) checkOwners(`${where} Bom`, bom, problems);
  if (payload) checkOwners(`${where} Payload`, payload, problems);
  if (packageInfo?.payload && payload) {
    if (packageInfo.payload.numberOfFiles !== payload.length) {
      problems.push(`${where}: PackageInfo numberOfFiles ${packageInfo.payload.numberOfFiles}, the Payload has ${payload.length} entries`);
    }
    const bytes = payload.reduce((sum, e) => sum + (e.kind === 'directory' ? 0 : payloadEntryBytes(e).length), 0);
    if (packageInfo.payload.installKBytes < Math.floor(bytes / 1024)) {
      problems.push(`${where}: PackageInfo installKBytes ${packageInfo.payload.installKBytes} is less than the Payload's ${Math.floor(bytes / 1024)} KiB`);
    }
  }
  if (packageInfo && !packageInfo.payload && payload && payload.length > 1) problems.push(`${where}: PackageInfo has no <payload> element`);
  checkScripts(where, component, problems);
}

function checkDistribution(read: ReadPackage, problems: string[]): void {
  const d = read.distribution;
  if (!d) return;
  const components = new Map(read.components.map((c) => [c.fileName, c]));
  const choices = new Map(d.choices.map((c) => [c.id, c]));
  const outlined = new Set(d.outline);
  for (const id of d.outline) if (!choices.has(id)) problems.push(`Distribution: the outline names choice "${id}", which is not defined`);
  const refByFile = new Map<string, string>();
  for (const ref of d.pkgRefs) {
    if (ref.fileName === undefined) continue;
    const component = components.get(ref.fileName);
    if (!component) {
      problems.push(`Distribution: pkg-ref "${ref.id}" refers to "#${ref.fileName}", which the archive does not contain`);
      continue;
    }
    refByFile.set(ref.fileName, ref.id);
    const info = component.packageInfo;
    if (info && ref.version !== undefined && ref.version !== info.version) {
      problems.push(`Distribution: pkg-ref "${ref.id}" version ${ref.version}, ${ref.fileName}'s PackageInfo says ${info.version}`);
    }
    if (info?.payload && ref.installKBytes !== undefined && ref.installKBytes !== info.payload.installKBytes) {
      problems.push(`Distribution: pkg-ref "${ref.id}" installKBytes ${ref.installKBytes}, ${ref.fileName}'s PackageInfo says ${info.payload.installKBytes}`);
    }
  }
  for (const component of read.components) {
    const refId = refByFile.get(component.fileName);
    if (refId === undefined) {
      problems.push(`Distribution: no pkg-ref refers to component ${component.fileName || '(root)'}`);
      continue;
    }
    const inChoice = d.choices.filter((c) => c.pkgRefs.includes(refId));
    if (inChoice.length === 0) problems.push(`Distribution: pkg-ref "${refId}" (${component.fileName}) is in no choice`);
    else if (!inChoice.some((c) => outlined.has(c.id))) problems.push(`Distribution: pkg-ref "${refId}" (${component.fileName}) is in no outlined choice`);
  }
  if (d.hostArchitectures && !d.hostArchitectures.includes('arm64')) {
    problems.push(`Distribution: hostArchitectures "${d.hostArchitectures.join(',')}" lacks arm64, so Apple silicon Macs ask for Rosetta`);
  }
}

/** Every problem found in a read package (decode problems included); empty when the package checks clean. */
export function checkPackage(read: ReadPackage): string[] {
  const problems = [...read.problems];
  checkOwners('XAR TOC', read.toc, problems);
  for (const component of read.components) checkComponent(component, problems);
  checkDistribution(read, problems);
  return problems;
}
