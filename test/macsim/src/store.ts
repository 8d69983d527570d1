// The on-disk store of a simulated Mac: where each piece lives under the system root, atomic writes, the
// one lock that serialises read-modify-write cycles between concurrent fakes, directory records in the
// dslocal plist shape, state.json, and the JSONL logs. Everything is synchronous: a fake is a short-lived
// process and sync fs calls are the cheapest way through it.
import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { isPlistDict, parseXmlPlist, toXmlPlist, type PlistValue } from './plist.js';
import type { MacState } from './state-schema.js';

/** Paths relative to the system root. Mac paths keep their macOS spelling; simulator bookkeeping lives in .macsim/. */
export const LAYOUT = {
  usersDir: 'var/db/dslocal/nodes/Default/users',
  groupsDir: 'var/db/dslocal/nodes/Default/groups',
  macsimDir: '.macsim',
  state: '.macsim/state.json',
  calls: '.macsim/calls.jsonl',
  notices: '.macsim/notices.jsonl',
  faults: '.macsim/faults.json',
  lock: '.macsim/lock',
  /** The live authorization database: a plist dict right name → right definition (real macOS: SQLite /var/db/auth.db). */
  authDb: 'var/db/auth.db.plist',
  authDefaults: 'System/Library/Security/authorization.plist',
  loginwindowPrefs: 'Library/Preferences/com.apple.loginwindow.plist',
} as const;

/** Resolve a macOS absolute path (or a LAYOUT entry) under the system root. */
export function rootPath(root: string, macPath: string): string {
  return path.join(root, macPath.replace(/^\/+/, ''));
}

/** Write a file so readers see either the old or the new content, never a torn one (temp file + rename). */
export function atomicWrite(file: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = `${file}.macsim-tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  writeFileSync(temp, data, { mode });
  try {
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // the temp file is already gone; the rename error below is the one worth reporting
    }
    throw error;
  }
}

/** Append one JSON object as a line. A single small append is atomic enough for concurrent writers on Linux. */
export function appendJsonLine(file: string, value: unknown): void {
  appendFileSync(file, `${JSON.stringify(value)}\n`);
}

/** Read a JSONL file; a missing file is an empty list. */
export function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block this process for `ms` milliseconds without spinning. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

const LOCK_TIMEOUT_MS = 15_000;
/** A lock file with no pid in it yet is only trusted this long (its creator may have died between open and write). */
const EMPTY_LOCK_GRACE_MS = 1_000;

function lockHolderIsGone(lockPath: string): boolean {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(lockPath, 'utf8').trim();
    ageMs = Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return false; // released meanwhile: just retry
  }
  const pid = Number(text);
  if (text === '' || !Number.isInteger(pid) || pid <= 0) return ageMs > EMPTY_LOCK_GRACE_MS;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Run `fn` holding the simulator's single write lock. Every read-modify-write of records, state, the auth
 * DB or faults goes through here, so two fakes writing at once serialise instead of losing an update.
 * A lock left by a process that died (e.g. SIGKILLed by its caller's timeout) is taken over.
 */
export function withLock<T>(root: string, fn: () => T): T {
  const lockPath = path.join(root, LAYOUT.lock);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockHolderIsGone(lockPath)) {
        try {
          unlinkSync(lockPath);
        } catch {
          // another waiter removed it first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`taking the simulator lock ${lockPath}: still held after ${LOCK_TIMEOUT_MS} ms`);
      sleepSync(2);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lockPath);
  }
}

// ---------------------------------------------------------------------------------------------------
// state.json

/** Read state.json without validation (fakes); the harness validates with parseMacState. */
export function readState(root: string): MacState {
  return JSON.parse(readFileSync(path.join(root, LAYOUT.state), 'utf8')) as MacState;
}

export function writeState(root: string, state: MacState): void {
  atomicWrite(path.join(root, LAYOUT.state), `${JSON.stringify(state, null, 2)}\n`);
}

/** Change the state under the lock; `change` mutates the object it is given and may return a value. */
export function updateState<T>(root: string, change: (state: MacState) => T): T {
  return withLock(root, () => {
    const state = readState(root);
    const result = change(state);
    writeState(root, state);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------------
// Directory records (dslocal shape: a dict of on-disk keys → arrays of strings or data)

export type AttrValue = string | Uint8Array;
export type DirRecord = Record<string, AttrValue[]>;
export type RecordKind = 'users' | 'groups';

export class CorruptRecordError extends Error {
  constructor(file: string, why: string) {
    super(`reading directory record ${file}: ${why}`);
    this.name = 'CorruptRecordError';
  }
}

function recordDir(root: string, kind: RecordKind): string {
  return path.join(root, kind === 'users' ? LAYOUT.usersDir : LAYOUT.groupsDir);
}

export function recordFile(root: string, kind: RecordKind, fileName: string): string {
  return path.join(recordDir(root, kind), `${fileName}.plist`);
}

/** Check a parsed plist has the dslocal shape (top-level dict, every value an array of strings or data). */
export function toDirRecord(value: PlistValue, file: string): DirRecord {
  if (!isPlistDict(value)) throw new CorruptRecordError(file, 'the top level is not a dict');
  const record: DirRecord = {};
  for (const [key, values] of Object.entries(value)) {
    if (!Array.isArray(values)) throw new CorruptRecordError(file, `"${key}" is not an array`);
    for (const item of values) {
      if (typeof item !== 'string' && !(item instanceof Uint8Array)) {
        throw new CorruptRecordError(file, `"${key}" holds a value that is neither a string nor data`);
      }
    }
    record[key] = values as AttrValue[];
  }
  return record;
}

const RECORD_HEAD = /^\s*<\?xml[^>]*\?>\s*<!DOCTYPE[^>]*>\s*<plist version="1\.0">\s*<dict>\s*/y;
const RECORD_ATTRIBUTE = /<key>([^<]*)<\/key>\s*(?:<array\/>|<array>((?:\s*(?:<string>[^<]*<\/string>|<data>[^<]*<\/data>|<string\/>))*)\s*<\/array>)\s*/y;
const RECORD_TAIL = /<\/dict>\s*<\/plist>\s*$/y;
const RECORD_VALUE = /<(string|data)>([^<]*)<\/\1>|<string\/>/g;
const XML_ENTITY = /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(XML_ENTITY, (_whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name]!;
  });
}

/**
 * Fast path for the canonical dslocal layout (dict of key → array of string/data), which is how every
 * record file here is written. A cold fake parses a few hundred records for `readall`, and this is ~5x
 * cheaper than the general parser. Returns undefined for anything else, and the caller falls back.
 */
function parseCanonicalRecord(text: string): DirRecord | undefined {
  RECORD_HEAD.lastIndex = 0;
  if (!RECORD_HEAD.test(text)) return undefined;
  let at = RECORD_HEAD.lastIndex;
  const record: DirRecord = {};
  for (;;) {
    RECORD_ATTRIBUTE.lastIndex = at;
    const match = RECORD_ATTRIBUTE.exec(text);
    if (match === null) break;
    at = RECORD_ATTRIBUTE.lastIndex;
    const key = decodeEntities(match[1]!);
    if (key === '__proto__') return undefined;
    const values: AttrValue[] = [];
    for (const item of (match[2] ?? '').matchAll(RECORD_VALUE)) {
      if (item[1] === 'data') values.push(new Uint8Array(Buffer.from(item[2]!.replace(/\s+/g, ''), 'base64')));
      else values.push(decodeEntities(item[2] ?? ''));
    }
    record[key] = values;
  }
  RECORD_TAIL.lastIndex = at;
  return RECORD_TAIL.test(text) ? record : undefined;
}

function readRecordFile(file: string): DirRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const fast = parseCanonicalRecord(text);
  if (fast) return fast;
  try {
    return toDirRecord(parseXmlPlist(text), file);
  } catch (error) {
    if (error instanceof CorruptRecordError) throw error;
    throw new CorruptRecordError(file, (error as Error).message);
  }
}

/** The first RecordName, which names the record's file. */
export function primaryName(record: DirRecord): string {
  const name = record.name?.[0];
  return typeof name === 'string' ? name : '';
}

/** A record found by name, with the file name it is stored under (may differ from an alias used to find it). */
export interface StoredRecord {
  fileName: string;
  record: DirRecord;
}

/** Whether a name can name a record file (no "/", not hidden, not empty). */
export function isStorableName(name: string): boolean {
  return name !== '' && !name.includes('/') && !name.startsWith('.');
}

/** Find a record by any of its RecordNames: the file of that name first, then a scan for aliases. */
export function findRecord(root: string, kind: RecordKind, name: string): StoredRecord | undefined {
  if (!isStorableName(name)) return undefined;
  const direct = readRecordFile(recordFile(root, kind, name));
  if (direct) return { fileName: name, record: direct };
  for (const stored of listRecords(root, kind)) {
    if (stored.record.name?.some((alias) => alias === name)) return stored;
  }
  return undefined;
}

/** Every record of a kind, in directory order. */
export function listRecords(root: string, kind: RecordKind): StoredRecord[] {
  const dir = recordDir(root, kind);
  const records: StoredRecord[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith('.plist')) continue;
    const record = readRecordFile(path.join(dir, entry));
    if (record) records.push({ fileName: entry.slice(0, -'.plist'.length), record });
  }
  return records;
}

/**
 * Store a record under its first RecordName. When that name changed (a rename through RecordName), the
 * old file is removed after the new one is in place, as dslocal renames the plist.
 */
export function writeRecord(root: string, kind: RecordKind, record: DirRecord, previousFileName?: string): void {
  const name = primaryName(record);
  if (!isStorableName(name)) {
    throw new Error(`writing directory record: invalid RecordName "${name}"`);
  }
  atomicWrite(recordFile(root, kind, name), toXmlPlist(record));
  if (previousFileName !== undefined && previousFileName !== name) unlinkSync(recordFile(root, kind, previousFileName));
}

export function deleteRecordFile(root: string, kind: RecordKind, fileName: string): void {
  unlinkSync(recordFile(root, kind, fileName));
}
