// Fake /usr/bin/dscl over the dslocal record store and the search policy in state.json: argument parsing,
// reads and authonly here, writes in dscl-writes.ts. Formats, streams and exit codes: macos-tools.md §1.
// Anything else fails loudly (Unsupported).
import { disabledReason } from '../account-disabled.js';
import { Unsupported, reading, type FakeContext, type Invocation, type ToolHandler } from '../fake/context.js';
import { toXmlPlist, type PlistDict } from '../plist.js';
import {
  NATIVE_PREFIX,
  ROOT_ONLY_KEYS,
  STANDARD_PREFIX,
  compareAttributeNames,
  compareRecordNames,
  displayName,
  displayValue,
  formatTextAttribute,
  resolveAttribute,
  viewRecord,
  type ViewAttribute,
} from '../records.js';
import type { SearchNode } from '../state-schema.js';
import { findRecord, listRecords, primaryName, updateState, type DirRecord, type RecordKind } from '../store.js';
import { applyWrite, hasShadowHashAuthority, invalidPath, type Target, type Verb, type WriteRequest } from './dscl-writes.js';
import { dsError, dsStatusError, isDsErrorName, type DsErrorName } from './ds-errors.js';
import { interactiveSession } from './dscl-interactive.js';

interface Options {
  plist: boolean;
  raw: boolean;
}

/** Record types real DirectoryService knows but the simulator does not model (accessing them is Unsupported). */
const UNMODELLED_TYPES = new Set([
  'Computers', 'ComputerGroups', 'ComputerLists', 'Config', 'Aliases', 'AutoServerSetup', 'Automount', 'AutomountMap',
  'Augments', 'Bootp', 'CertificateAuthorities', 'FileMakerServers', 'Hosts', 'Mounts', 'NetGroups', 'Networks',
  'People', 'PresetComputers', 'PresetComputerGroups', 'PresetComputerLists', 'PresetGroups', 'PresetUsers',
  'Printers', 'Protocols', 'Resources', 'Places', 'Services', 'SharePoints', 'Locations', 'Neighborhoods', 'RPC',
]);

function parseLocalPath(rawPath: string, viaSearch: boolean): Target {
  const parts = rawPath.split('/').filter((part) => part !== '');
  const type = parts[0];
  if (type === undefined) throw new Unsupported('paths above a record type are not modelled');
  const recordKind: RecordKind | undefined = type === 'Users' ? 'users' : type === 'Groups' ? 'groups' : undefined;
  if (recordKind === undefined) {
    if (UNMODELLED_TYPES.has(type)) throw new Unsupported(`record type ${type} is not modelled`);
    return { kind: 'invalid' };
  }
  if (parts.length === 1) return { kind: 'type', recordKind, viaSearch };
  if (parts.length === 2) return { kind: 'record', recordKind, name: parts[1]!, viaSearch };
  throw new Unsupported('paths below a record are not modelled');
}

function resolveTarget(node: string, rawPath: string): Target {
  if (node === '.' || node === '/Local/Default') return parseLocalPath(rawPath, false);
  if (node === '/Search' || node === '/Search/Contacts') {
    if (rawPath === '/' || rawPath === '') return { kind: 'search-config', node: node === '/Search' ? 'search' : 'contacts' };
    if (node === '/Search') return parseLocalPath(rawPath, true);
    throw new Unsupported('records through /Search/Contacts are not modelled');
  }
  if (node === 'localhost') {
    if (rawPath.startsWith('/Local/Default/')) return parseLocalPath(rawPath.slice('/Local/Default'.length), false);
    if (rawPath === '/Search/Contacts' || rawPath === '/Search/Contacts/') return { kind: 'search-config', node: 'contacts' };
    if (rawPath === '/Search' || rawPath === '/Search/') return { kind: 'search-config', node: 'search' };
    if (rawPath.startsWith('/Search/')) return parseLocalPath(rawPath.slice('/Search'.length), true);
    throw new Unsupported('localhost paths outside /Local/Default and /Search are not modelled');
  }
  throw new Unsupported(`data source "${node}" is not modelled (directory nodes other than the local node and /Search)`);
}

/** True (and one failure counted) while opendirectoryd is "restarting" after `killall opendirectoryd`. */
function directoryServiceRestarting(ctx: FakeContext): boolean {
  const od = ctx.state().opendirectoryd;
  const timeActive = Date.now() < od.restartingUntil;
  const countActive = od.failCallsLeft > 0;
  if (!timeActive && !countActive) return false;
  if (countActive && ctx.isRoot) {
    updateState(ctx.root, (state) => {
      state.opendirectoryd.failCallsLeft = Math.max(0, state.opendirectoryd.failCallsLeft - 1);
    });
  }
  return true;
}

function sortedView(view: ViewAttribute[]): ViewAttribute[] {
  return [...view].sort((a, b) => compareAttributeNames(a.full, b.full));
}

/** A requested key's full name (undefined: names nothing): record attributes resolve as for writes; search-node attributes are all standard. */
type KeyResolver = (key: string) => string | undefined;
const recordKey = (raw: boolean): KeyResolver => (key) => resolveAttribute(key, raw)?.full;
const searchNodeKey = (raw: boolean): KeyResolver => (key) => (key.startsWith(STANDARD_PREFIX) || key.startsWith(NATIVE_PREFIX) ? key : raw ? undefined : STANDARD_PREFIX + key);

/** Select requested attributes (resolved to full names) from a view; returns found ones and missing key names. */
function selectAttributes(view: ViewAttribute[], keys: readonly string[], resolve: KeyResolver): { found: ViewAttribute[]; missing: string[] } {
  const byFull = new Map(view.map((attribute) => [attribute.full, attribute]));
  const found: ViewAttribute[] = [];
  const missing: string[] = [];
  for (const key of keys) {
    const full = resolve(key);
    const attribute = full === undefined ? undefined : byFull.get(full);
    if (attribute === undefined) {
      if (!missing.includes(key)) missing.push(key);
    } else if (!found.includes(attribute)) {
      found.push(attribute);
    }
  }
  return { found, missing };
}

function textAttributes(attributes: ViewAttribute[], raw: boolean): string {
  return sortedView(attributes)
    .map((attribute) => formatTextAttribute(displayName(attribute.full, raw), attribute.values))
    .join('');
}

function plistDict(attributes: ViewAttribute[]): PlistDict {
  const dict: PlistDict = {};
  for (const attribute of attributes) dict[attribute.full] = attribute.values;
  return dict;
}

function searchNodeView(node: SearchNode): ViewAttribute[] {
  return [
    { full: `${STANDARD_PREFIX}CSPSearchPath`, values: node.cspSearchPath },
    { full: `${STANDARD_PREFIX}LSPSearchPath`, values: node.lspSearchPath },
    { full: `${STANDARD_PREFIX}NSPSearchPath`, values: node.nspSearchPath },
    { full: `${STANDARD_PREFIX}SearchPolicy`, values: [node.searchPolicy] },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Reads

function read(ctx: FakeContext, options: Options, target: Target, keys: readonly string[]): number {
  let view: ViewAttribute[];
  let resolve = recordKey(options.raw);
  if (target.kind === 'invalid') return invalidPath(ctx, 'read');
  if (target.kind === 'type') throw new Unsupported('reading a record type container is not modelled');
  if (target.kind === 'search-config') {
    view = searchNodeView(ctx.state().searchPolicy[target.node]);
    resolve = searchNodeKey(options.raw);
  } else {
    const stored = findRecord(ctx.root, target.recordKind, target.name);
    if (!stored) return dsError(ctx, 'eDSRecordNotFound');
    view = viewRecord(stored.record, target.recordKind, ctx.isRoot);
  }
  const { found, missing } = keys.length === 0 ? { found: view, missing: [] } : selectAttributes(view, keys, resolve);
  if (options.plist) {
    ctx.out(toXmlPlist(plistDict(found)));
  } else {
    ctx.out(textAttributes(found, options.raw));
    for (const key of missing) ctx.out(`No such key: ${key}\n`);
  }
  return 0;
}

function sortedRecords(ctx: FakeContext, kind: RecordKind): DirRecord[] {
  return listRecords(ctx.root, kind)
    .map((stored) => stored.record)
    .sort((a, b) => compareRecordNames(primaryName(a), primaryName(b)));
}

function readAll(ctx: FakeContext, options: Options, target: Target, keys: readonly string[]): number {
  if (target.kind === 'invalid') return invalidPath(ctx, 'readall');
  if (target.kind !== 'type') throw new Unsupported('readall takes a record type path such as /Users');
  if (target.viaSearch) throw new Unsupported('readall through /Search would include the AD directory, which is not modelled');
  const views = sortedRecords(ctx, target.recordKind).map((record) => {
    const view = viewRecord(record, target.recordKind, ctx.isRoot);
    return keys.length === 0 ? view : selectAttributes(view, keys, recordKey(options.raw)).found;
  });
  if (options.plist) {
    ctx.out(toXmlPlist(views.map(plistDict)));
  } else {
    ctx.out(views.map((view) => textAttributes(view, options.raw)).join('-\n'));
  }
  return 0;
}

function list(ctx: FakeContext, options: Options, target: Target, key: string | undefined): number {
  if (target.kind === 'invalid') return invalidPath(ctx, 'list');
  if (target.kind !== 'type') throw new Unsupported('list of anything but a record type is not modelled');
  if (target.viaSearch) throw new Unsupported('list through /Search would include the AD directory, which is not modelled');
  const records = sortedRecords(ctx, target.recordKind);
  if (key === undefined) {
    ctx.out(records.map((record) => `${primaryName(record)}\n`).join(''));
    return 0;
  }
  const resolved = resolveAttribute(key, options.raw);
  // A -raw bare name names no attribute: no record has it, so nothing is listed.
  if (resolved === undefined) return 0;
  const { full, diskKey } = resolved;
  const rows: Array<{ name: string; values: string[] }> = [];
  for (const record of records) {
    const values =
      diskKey === undefined || (!ctx.isRoot && ROOT_ONLY_KEYS.has(diskKey))
        ? viewRecord(record, target.recordKind, ctx.isRoot).find((item) => item.full === full)?.values
        : record[diskKey]?.map(displayValue);
    if (values === undefined || values.length === 0) continue;
    rows.push({ name: primaryName(record), values });
  }
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  ctx.out(rows.map((row) => `${row.name}${' '.repeat(width - row.name.length + 2)}${row.values.map((v) => ` ${v}`).join('')}\n`).join(''));
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// authonly

function authOnly(ctx: FakeContext, node: string, args: readonly string[]): number {
  if (node !== '.' && node !== '/Local/Default') throw new Unsupported('authonly against nodes other than the local node');
  const [user, password] = args;
  if (user === undefined || password === undefined || args.length > 2) throw new Unsupported('authonly needs exactly a user and a password');
  const stored = findRecord(ctx.root, 'users', user);
  const expected = ctx.state().passwords[user] ?? (stored ? ctx.state().passwords[primaryName(stored.record)] : undefined);
  const ok = stored !== undefined && hasShadowHashAuthority(stored.record) && stored.record.ShadowHashData !== undefined && expected === password;
  // A disabled account fails even with the right password (account-lock-and-psso.md A.1; the DS error is UNCONFIRMED).
  if (ok && disabledReason(ctx.root, stored.record) !== undefined) {
    ctx.err('Authentication for node /Local/Default failed. (-14167, eDSAuthAccountDisabled)\n');
    return dsError(ctx, 'eDSAuthAccountDisabled');
  }
  if (ok) return 0;
  ctx.err('Authentication for node /Local/Default failed. (-14090, eDSAuthFailed)\n');
  return dsError(ctx, 'eDSAuthFailed');
}

// ---------------------------------------------------------------------------------------------------
// Argument parsing

const WRITE_VERBS = new Set<string>(['create', 'append', 'merge', 'delete', 'change']);

export const dscl: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  const options: Options = { plist: false, raw: false };
  const given: string[] = [];
  let quiet = false;
  while (args[0]?.startsWith('-')) {
    const option = args.shift()!;
    given.push(option);
    if (option === '-plist') options.plist = true;
    else if (option === '-raw') options.raw = true;
    else if (option === '-q') quiet = true;
    else throw new Unsupported(`option ${option}`);
  }
  const node = args.shift();
  if (node === undefined) throw new Unsupported('interactive mode without a data source (dscl then uses "localhost")');
  // A data source and no command: commands come from stdin, each run through this same dispatcher.
  if (args.length === 0) return interactiveSession(ctx, { options: given, node, quiet }, dscl);
  const verb = args.shift()!.replace(/^-/, '');

  // Every call fails while opendirectoryd is restarting (after `killall opendirectoryd`).
  const guard = (run: () => number) => () => (directoryServiceRestarting(ctx) ? dsError(ctx, 'eDSOpenNodeFailed') : run());
  if (verb === 'authonly') return reading(guard(() => authOnly(ctx, node, args)));

  const rawPath = args.shift();
  if (rawPath === undefined) throw new Unsupported(`${verb} without a path`);
  const target = resolveTarget(node, rawPath);

  if (verb === 'read') return reading(guard(() => read(ctx, options, target, args)));
  if (verb === 'readall') return reading(guard(() => readAll(ctx, options, target, args)));
  if (verb === 'list') {
    if (args.length > 1) throw new Unsupported('list takes at most one key');
    return reading(guard(() => list(ctx, options, target, args[0])));
  }
  if (!WRITE_VERBS.has(verb)) throw new Unsupported(`command ${verb}`);

  const request: WriteRequest = { verb: verb as Verb, target, key: args[0], values: args.slice(1), raw: options.raw };
  if ((verb === 'append' || verb === 'merge') && request.values.length === 0) throw new Unsupported(`${verb} without values`);
  if (verb === 'change' && request.values.length !== 2) throw new Unsupported('change needs exactly an old and a new value');
  if (verb !== 'create' && verb !== 'delete' && request.key === undefined) throw new Unsupported(`${verb} without an attribute`);

  const invocation: Invocation = {
    isWrite: true,
    run: guard(() => {
      if (!ctx.isRoot) return dsStatusError(ctx, 'eDSPermissionError', statusKind(request));
      return applyWrite(ctx, request);
    }),
    fail: (fault) => failWrite(ctx, request, fault.dsError),
  };
  return invocation;
};

/** An injected write failure: the DS error the fault names (default eDSPermissionError, as TCC refusals look). */
function failWrite(ctx: FakeContext, request: WriteRequest, faultError: string | undefined): number {
  const name: DsErrorName = faultError !== undefined && isDsErrorName(faultError) ? faultError : 'eDSPermissionError';
  return dsStatusError(ctx, name, statusKind(request));
}

/** Record deletion reports `<main> delete status: …`; every other write `<main> attribute status: …`. */
function statusKind(request: WriteRequest): 'delete' | 'attribute' {
  return request.verb === 'delete' && request.key === undefined ? 'delete' : 'attribute';
}
