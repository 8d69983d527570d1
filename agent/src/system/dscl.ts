// Directory records through /usr/bin/dscl: reads (always -plist, one process for all users), the
// attribute writes the conversion needs, and the /Search policy. Parsers live in directory-record.ts
// (plist) and dscl-text.ts (text, DS errors); this file only builds argument lists and maps outcomes.
import {
  isAttributeType,
  parseDsclPlistAttributes,
  parseDsclPlistRecord,
  parseDsclPlistRecords,
  standardType,
  type AttributeType,
  type DirectoryRecord,
  type RecordListing,
} from './directory-record.js';
import { parseDsErrorName, parseDsclList, parseDsclNames, type DsErrorName, type DsclListEntry } from './dscl-text.js';
import { readUsersAndGroups, type DsclWrite, type UsersAndGroups } from './dscl-batch.js';
import { SystemToolError } from './errors.js';
import { parseToolOutput } from './output.js';
import { runTool, runToolChecked } from './run.js';

// One door for callers: the record model and the text parsers are re-exported from here.
export type { AttributeType, DirectoryRecord, RecordListing, DsErrorName, DsclListEntry };
export { nativeAttribute, standardAttribute, attributeValues, nativeType, standardType } from './directory-record.js';
export { parseDsclList, parseDsclRead, parseDsErrorName } from './dscl-text.js';
export { runWrites, batchLine, type DsclWrite, type DsclWriteVerb, type WriteBatchReport, type UsersAndGroups } from './dscl-batch.js';

/** The record types the agent reads in bulk. */
export type RecordTypePath = '/Users' | '/Groups';

/** The result of reading one record: found, or an explicit "not found" (eDSRecordNotFound). */
export type RecordLookup = { kind: 'found'; record: DirectoryRecord } | { kind: 'not-found'; path: string };

/** The local node; all record work happens here, never on /Search (which would reach AD). */
const LOCAL_NODE = '.';

function checkRecordPath(path: string): string {
  if (!/^\/(Users|Groups)\/[^/\n]+$/.test(path)) {
    throw new TypeError(`directory record path: "${path}" is not /Users/<name> or /Groups/<name>`);
  }
  return path;
}

function checkAttribute(type: string): AttributeType {
  if (!isAttributeType(type)) {
    throw new TypeError(`directory attribute: "${type}" is not a full type name (dsAttrTypeStandard:… or dsAttrTypeNative:…)`);
  }
  return type;
}

// Every attribute is named by its FULL type name under `-raw`, exactly as `dscl -plist` read it. Without
// -raw dscl turns a bare X into dsAttrTypeStandard:X only when X is in the node's standard attribute list
// and into dsAttrTypeNative:X otherwise (macos-tools.md §1.5): a bare `AppleMetaRecordName` or
// `PrimaryNTDomain` is a different, native attribute, so a delete of it does nothing and a create makes a
// second one. With -raw and the full name there is no resolution to get wrong, for any attribute, standard
// or native (Jamf Connect's NetworkUser is standard, XCreds' _xcreds_oidc_* are native).
// Values are positional after the attribute; dscl's own options (-raw, -plist, -u, ...) come only before
// the data source, so a value starting with "-" is never read as one.

/** Read every record of a type with ONE `dscl -plist . -readall` call. Odd records are listed as unreadable. */
export async function readAllRecords(path: RecordTypePath): Promise<RecordListing> {
  const result = await runToolChecked('dscl', ['-plist', LOCAL_NODE, '-readall', path]);
  return parseToolOutput(result, parseDsclPlistRecords);
}

/**
 * Every user and every group with one dscl process (interactive `readall /Users` and `readall /Groups`,
 * see dscl-batch.ts); falls back to one readAllRecords each when the interactive output is not two plists.
 */
export async function readAllUsersAndGroups(): Promise<UsersAndGroups> {
  return readUsersAndGroups(async () => {
    const [users, groups] = await Promise.all([readAllRecords('/Users'), readAllRecords('/Groups')]);
    return { users, groups };
  });
}

/** Read one record (`dscl -plist . -read /Users/x`); a missing record is `{ kind: 'not-found' }`, not an error. */
export async function readRecord(path: string): Promise<RecordLookup> {
  const result = await runTool('dscl', ['-plist', LOCAL_NODE, '-read', checkRecordPath(path)]);
  if (result.failed) {
    if (!result.timedOut && parseDsErrorName(result.stderr) === 'eDSRecordNotFound') return { kind: 'not-found', path };
    throw SystemToolError.fromResult(result);
  }
  return { kind: 'found', record: parseToolOutput(result, parseDsclPlistRecord) };
}

/** List record names (`dscl . -list /Users`). */
export async function listRecordNames(path: RecordTypePath): Promise<string[]> {
  const result = await runToolChecked('dscl', [LOCAL_NODE, '-list', path]);
  return parseToolOutput(result, parseDsclNames);
}

/** List the records that have an attribute, with the whole rest of each line (`dscl -raw . -list /Users <full type>`). */
export async function listRecords(path: RecordTypePath, attribute: AttributeType): Promise<DsclListEntry[]> {
  const result = await runToolChecked('dscl', ['-raw', LOCAL_NODE, '-list', path, checkAttribute(attribute)]);
  return parseToolOutput(result, parseDsclList);
}

/** One attribute write: `dscl -raw . -<verb> <record> <full type> [values…]`. */
async function write(verb: '-create' | '-append' | '-merge' | '-delete' | '-change', path: string, attribute: AttributeType, values: readonly string[]): Promise<void> {
  await runToolChecked('dscl', ['-raw', LOCAL_NODE, verb, checkRecordPath(path), checkAttribute(attribute), ...values]);
}

/** One write as its own checked argv call (`dscl -raw . -<verb> …`): what a batch does for a write, alone. */
export async function runWrite(one: DsclWrite): Promise<void> {
  await write(`-${one.verb}`, one.path, one.attribute, one.values);
}

/** Set an attribute to exactly these values, creating it if needed (`dscl -raw . -create`). */
export async function createAttribute(path: string, attribute: AttributeType, values: readonly string[]): Promise<void> {
  await write('-create', path, attribute, values);
}

/** Add values to an attribute (`dscl -raw . -append`). */
export async function appendValues(path: string, attribute: AttributeType, values: readonly string[]): Promise<void> {
  if (values.length === 0) throw new TypeError('appending to a directory attribute: no values given');
  await write('-append', path, attribute, values);
}

/** Add only the values not already present (`dscl -raw . -merge`). */
export async function mergeValues(path: string, attribute: AttributeType, values: readonly string[]): Promise<void> {
  if (values.length === 0) throw new TypeError('merging into a directory attribute: no values given');
  await write('-merge', path, attribute, values);
}

/**
 * Remove a whole attribute (`dscl -raw . -delete /Users/x dsAttrType…:Attr`). dscl exits 0 when the
 * attribute does not exist: callers verify by re-reading the record.
 */
export async function deleteAttribute(path: string, attribute: AttributeType): Promise<void> {
  await write('-delete', path, attribute, []);
}

/** Remove one value from an attribute, keeping the others (`dscl -raw . -delete /Users/x Attr value`). */
export async function deleteValue(path: string, attribute: AttributeType, value: string): Promise<void> {
  await write('-delete', path, attribute, [value]);
}

/** Replace one value by another (`dscl -raw . -change`); an absent old value fails with dsError eDSAttributeNotFound. */
export async function changeValue(path: string, attribute: AttributeType, oldValue: string, newValue: string): Promise<void> {
  await write('-change', path, attribute, [oldValue, newValue]);
}

/** Which known DS error a failed dscl call reported (for callers deciding e.g. "already gone"). */
export function dsErrorOf(error: unknown): DsErrorName | undefined {
  return error instanceof SystemToolError && error.tool === 'dscl' ? parseDsErrorName(error.stderr) : undefined;
}

/** The search nodes whose policy the unbind cleans. */
export type SearchNode = '/Search' | '/Search/Contacts';

/** A search node's policy: the raw SearchPolicy value and the custom search path, in order. */
export interface SearchPolicy {
  /** As dscl gives it, e.g. "dsAttrTypeStandard:CSPSearchPath" (custom) — value format UNCONFIRMED on a Mac. */
  searchPolicy: string | undefined;
  cspSearchPath: string[];
}

// Sample (`dscl -plist /Search -read / SearchPolicy CSPSearchPath`) [UNCONFIRMED shape, by the -plist rules of §1.4]:
//   <dict>
//   	<key>dsAttrTypeStandard:CSPSearchPath</key>
//   	<array>
//   		<string>/Local/Default</string>
//   		<string>/Active Directory/CORP/All Domains</string>
//   	</array>
//   	<key>dsAttrTypeStandard:SearchPolicy</key>
//   	<array>
//   		<string>dsAttrTypeStandard:CSPSearchPath</string>
//   	</array>
//   </dict>
// Edge case: an absent attribute is omitted from the dict (e.g. no CSPSearchPath ⇒ []).
/** Read a search node's policy and custom search path. */
export async function readSearchPolicy(node: SearchNode): Promise<SearchPolicy> {
  const result = await runToolChecked('dscl', ['-plist', node, '-read', '/', 'SearchPolicy', 'CSPSearchPath']);
  const attributes = parseToolOutput(result, parseDsclPlistAttributes);
  return {
    searchPolicy: attributes[standardType('SearchPolicy')]?.[0],
    cspSearchPath: [...(attributes[standardType('CSPSearchPath')] ?? [])],
  };
}

/** Remove one entry (e.g. "/Active Directory/CORP/All Domains") from a search node's custom path. */
export async function removeSearchPath(node: SearchNode, searchPath: string): Promise<void> {
  await runToolChecked('dscl', ['-raw', node, '-delete', '/', standardType('CSPSearchPath'), searchPath]);
}
