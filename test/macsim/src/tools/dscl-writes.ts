// The writing half of the fake dscl: create, append, merge, delete and change on dslocal records and on
// the search policy (macos-tools.md §1.5), with the quirks the reference documents.
import { randomUUID } from 'node:crypto';
import { Unsupported, type FakeContext } from '../fake/context.js';
import { STANDARD_PREFIX, displayValue, resolveAttribute, stringValues } from '../records.js';
import { deleteRecordFile, findRecord, isStorableName, primaryName, updateState, withLock, writeRecord, type DirRecord, type RecordKind } from '../store.js';
import { dsError, dsStatusError, type DsErrorName } from './ds-errors.js';

export type Verb = 'create' | 'append' | 'merge' | 'delete' | 'change';

export type Target =
  | { kind: 'record'; recordKind: RecordKind; name: string; viaSearch: boolean }
  | { kind: 'type'; recordKind: RecordKind; viaSearch: boolean }
  | { kind: 'search-config'; node: 'search' | 'contacts' }
  | { kind: 'invalid' };

export interface WriteRequest {
  verb: Verb;
  target: Target;
  key: string | undefined;
  values: string[];
  /** -raw was given: attribute names are taken literally (no prefix added), see records.ts resolveAttribute. */
  raw: boolean;
}

/**
 * Standard attributes that a `dscl -delete` naming them by full name WITHOUT -raw silently leaves in place.
 * The bare-name case (rtrouton_scripts#63) needs no special rule: the bare name resolves to the native type.
 * This one is inferred from every known fix using `-raw` with the full name (BIG-RAT mobile_to_local), and
 * kept so a simulated Mac never rewards the unproven form.
 */
const SILENT_DELETE_ATTRIBUTES = new Set(['PrimaryNTDomain', 'AppleMetaRecordName']);

/** `<verb>: Invalid Path` on stdout plus eDSUnknownNodeName (§1.1). */
export function invalidPath(ctx: FakeContext, verb: string): number {
  ctx.out(`${verb}: Invalid Path\n`);
  return dsError(ctx, 'eDSUnknownNodeName');
}

export function hasShadowHashAuthority(record: DirRecord): boolean {
  return stringValues(record, 'authentication_authority').some((value) => value.startsWith(';ShadowHash;'));
}

/** Apply one dscl write. The caller has checked root and the OD restart window. */
export function applyWrite(ctx: FakeContext, request: WriteRequest): number {
  const target = request.target;
  if (target.kind === 'invalid') return invalidPath(ctx, request.verb);
  if (target.kind === 'search-config') return writeSearchNode(ctx, request, target.node);
  return writeRecordAttribute(ctx, request);
}


/** Apply one attribute change to a record in memory; returns a DS error name, or undefined on success. */
function applyAttributeChange(record: DirRecord, verb: Verb, diskKey: string, values: readonly string[]): DsErrorName | undefined {
  const current = record[diskKey];
  switch (verb) {
    case 'create':
      record[diskKey] = values.length === 0 ? [''] : [...values];
      return undefined;
    case 'append':
      record[diskKey] = [...(current ?? []), ...values];
      return undefined;
    case 'merge': {
      const merged = [...(current ?? [])];
      for (const value of values) if (!merged.some((existing) => existing === value)) merged.push(value);
      record[diskKey] = merged;
      return undefined;
    }
    case 'delete': {
      if (current === undefined) return undefined;
      if (values.length === 0) {
        delete record[diskKey];
        return undefined;
      }
      const remaining = current.filter((existing) => !(typeof existing === 'string' && values.includes(existing)));
      if (remaining.length === 0) delete record[diskKey];
      else record[diskKey] = remaining;
      return undefined;
    }
    case 'change': {
      const [oldValue, newValue] = values as [string, string];
      const index = current?.findIndex((existing) => existing === oldValue) ?? -1;
      if (current === undefined || index < 0) return 'eDSAttributeNotFound';
      current[index] = newValue;
      return undefined;
    }
  }
}

function writeRecordAttribute(ctx: FakeContext, request: WriteRequest): number {
  const target = request.target;
  if (target.kind !== 'record' && target.kind !== 'type') throw new Error('unreachable');
  if (target.kind === 'type') throw new Unsupported(`${request.verb} on a record type container is not modelled`);
  if (target.viaSearch) throw new Unsupported('writes through /Search to records are not modelled; use the local node');
  const { verb, key, values } = request;
  if (!isStorableName(target.name)) throw new Unsupported(`record name "${target.name}"`);

  if (key === undefined) {
    // Record-level create or delete.
    return withLock(ctx.root, () => {
      const stored = findRecord(ctx.root, target.recordKind, target.name);
      if (verb === 'delete') {
        if (!stored) return invalidPath(ctx, 'delete');
        deleteRecordFile(ctx.root, target.recordKind, stored.fileName);
        return 0;
      }
      if (!stored) writeRecord(ctx.root, target.recordKind, newRecord(target.name));
      return 0;
    });
  }

  if (verb === 'delete' && isSilentlyIgnoredDelete(key, request.raw)) return 0;
  const resolved = resolveAttribute(key, request.raw);
  if (resolved === undefined) throw new Unsupported(`-raw ${verb} with the bare attribute name "${key}" (with -raw dscl adds no dsAttrTypeStandard:/dsAttrTypeNative: prefix; what dslocal does with an unprefixed type is not modelled)`);
  if (resolved.diskKey === undefined) throw new Unsupported(`writing the computed attribute ${key} is not modelled`);
  const diskKey = resolved.diskKey;

  return withLock(ctx.root, () => {
    let stored = findRecord(ctx.root, target.recordKind, target.name);
    if (!stored) {
      if (verb !== 'create') return invalidPath(ctx, verb);
      stored = { fileName: target.name, record: newRecord(target.name) };
    }
    const record = stored.record;
    const hadShadowHash = hasShadowHashAuthority(record);
    const error = applyAttributeChange(record, verb, diskKey, values);
    if (error) return dsStatusError(ctx, error);
    // Since 10.14.4 removing the ;ShadowHash; authority makes macOS drop ShadowHashData at once (RT v1.4 changelog).
    if (diskKey === 'authentication_authority' && hadShadowHash && !hasShadowHashAuthority(record)) delete record.ShadowHashData;
    const newName = primaryName(record);
    if (!isStorableName(newName)) throw new Unsupported(`RecordName "${newName}" (empty, hidden or with "/")`);
    if (newName !== stored.fileName && findRecord(ctx.root, target.recordKind, newName)) {
      throw new Unsupported(`renaming ${stored.fileName} onto the existing record ${newName} is not modelled`);
    }
    writeRecord(ctx.root, target.recordKind, record, stored.fileName);
    return 0;
  });
}

function newRecord(name: string): DirRecord {
  return { name: [name], generateduid: [randomUUID().toUpperCase()] };
}

/** `dscl . -delete /Users/x dsAttrTypeStandard:PrimaryNTDomain` (no -raw) reports success and does nothing. */
function isSilentlyIgnoredDelete(key: string, raw: boolean): boolean {
  return !raw && key.startsWith(STANDARD_PREFIX) && SILENT_DELETE_ATTRIBUTES.has(key.slice(STANDARD_PREFIX.length));
}

const SEARCH_POLICIES = ['CSPSearchPath', 'NSPSearchPath', 'LSPSearchPath'];

function normalizeSearchPolicy(value: string): string {
  const bare = value.startsWith(STANDARD_PREFIX) ? value.slice(STANDARD_PREFIX.length) : value;
  if (!SEARCH_POLICIES.includes(bare)) throw new Unsupported(`search policy value "${value}" is not modelled`);
  return STANDARD_PREFIX + bare;
}

function writeSearchNode(ctx: FakeContext, request: WriteRequest, node: 'search' | 'contacts'): number {
  const { verb, key, values } = request;
  if (key === undefined) throw new Unsupported(`${verb} of the search node itself is not modelled`);
  if (request.raw && !key.startsWith(STANDARD_PREFIX)) throw new Unsupported(`-raw ${verb} with "${key}" on the search node: with -raw the name must carry its dsAttrTypeStandard: prefix`);
  const bare = key.startsWith(STANDARD_PREFIX) ? key.slice(STANDARD_PREFIX.length) : key;
  return updateState(ctx.root, (state) => {
    const searchNode = state.searchPolicy[node];
    if (bare === 'SearchPolicy') {
      if (verb === 'create' && values.length === 1) {
        searchNode.searchPolicy = normalizeSearchPolicy(values[0]!);
        return 0;
      }
      if (verb === 'change') {
        if (normalizeSearchPolicy(values[0]!) !== searchNode.searchPolicy) return dsStatusError(ctx, 'eDSAttributeNotFound');
        searchNode.searchPolicy = normalizeSearchPolicy(values[1]!);
        return 0;
      }
      throw new Unsupported(`${verb} of SearchPolicy is not modelled`);
    }
    if (bare !== 'CSPSearchPath') throw new Unsupported(`writing ${key} on the search node is not modelled`);
    const holder: DirRecord = { path: [...searchNode.cspSearchPath] };
    const error = applyAttributeChange(holder, verb, 'path', values);
    if (error) return dsStatusError(ctx, error);
    searchNode.cspSearchPath = (holder.path ?? []).map((value) => displayValue(value));
    return 0;
  });
}
