// The directory record model and the pure parser for `dscl -plist` output. A record is its name plus
// every attribute under its FULL type name, exactly as `dscl -plist` prints it, so nothing depends on
// dscl's text-mode prefix stripping and a standard attribute can never be mistaken for a native one.
import { UnexpectedOutputError } from './output.js';
import { isPlistDict, parseXmlPlist, type PlistValue } from './plist.js';

/** Prefix of standard attribute types (stripped by text-mode dscl, kept by -plist and -raw). */
export const STANDARD_PREFIX = 'dsAttrTypeStandard:';
/** Prefix of native attribute types (always kept by dscl). */
export const NATIVE_PREFIX = 'dsAttrTypeNative:';

/** A full attribute type name, e.g. "dsAttrTypeStandard:UniqueID" or "dsAttrTypeNative:cached_groups". */
export type AttributeType = `${typeof STANDARD_PREFIX}${string}` | `${typeof NATIVE_PREFIX}${string}`;

/** One directory record: its RecordName and all its attributes keyed by full type name (values as dscl gives them). */
export interface DirectoryRecord {
  recordName: string;
  attributes: Readonly<Record<string, readonly string[]>>;
}

/** A record in a -readall listing that could not be read faithfully; reported, never half-parsed. */
export interface UnreadableRecord {
  /** Position in dscl's output (0-based). */
  index: number;
  recordName: string | undefined;
  reason: string;
}

/** What `dscl -plist . -readall` gave: the records, and those that could not be understood. */
export interface RecordListing {
  records: DirectoryRecord[];
  unreadable: UnreadableRecord[];
}

/** The full type name for a standard attribute's short name ("UniqueID" → "dsAttrTypeStandard:UniqueID"). */
export function standardType(name: string): AttributeType {
  return `${STANDARD_PREFIX}${name}`;
}

/** The full type name for a native attribute's short name ("cached_groups" → "dsAttrTypeNative:cached_groups"). */
export function nativeType(name: string): AttributeType {
  return `${NATIVE_PREFIX}${name}`;
}

/** Whether a string is a full attribute type name (carries one of the two prefixes). */
export function isAttributeType(name: string): name is AttributeType {
  return (name.startsWith(STANDARD_PREFIX) || name.startsWith(NATIVE_PREFIX)) && !/\s/.test(name);
}

/** The values of an attribute by full type name; undefined when the record does not have it. */
export function attributeValues(record: DirectoryRecord, type: AttributeType): readonly string[] | undefined {
  return Object.hasOwn(record.attributes, type) ? record.attributes[type] : undefined;
}

/** The values of a standard attribute by short name, e.g. standardAttribute(record, 'UniqueID'). */
export function standardAttribute(record: DirectoryRecord, name: string): readonly string[] | undefined {
  return attributeValues(record, standardType(name));
}

/** The values of a native attribute by short name, e.g. nativeAttribute(record, 'cached_groups'). */
export function nativeAttribute(record: DirectoryRecord, name: string): readonly string[] | undefined {
  return attributeValues(record, nativeType(name));
}

function describe(value: PlistValue): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'data';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'dictionary' : typeof value;
}

/** Turn one plist dict into a record, or say exactly which attribute does not fit the model. */
function toRecord(value: PlistValue): DirectoryRecord | { recordName: string | undefined; reason: string } {
  if (!isPlistDict(value)) return { recordName: undefined, reason: `expected a dictionary, got ${describe(value)}` };
  const names = value[standardType('RecordName')];
  const recordName = Array.isArray(names) && typeof names[0] === 'string' ? names[0] : undefined;
  const attributes: Record<string, readonly string[]> = {};
  for (const [type, values] of Object.entries(value)) {
    if (!Array.isArray(values)) {
      return { recordName, reason: `attribute ${type} is a ${describe(values)}, not an array of strings` };
    }
    const strings: string[] = [];
    for (const item of values) {
      if (typeof item !== 'string') {
        return { recordName, reason: `attribute ${type} holds a ${describe(item)} value, not a string` };
      }
      strings.push(item);
    }
    Object.defineProperty(attributes, type, { value: Object.freeze(strings), enumerable: true });
  }
  if (recordName === undefined || recordName === '') {
    return { recordName: undefined, reason: `no ${standardType('RecordName')} value` };
  }
  return { recordName, attributes: Object.freeze(attributes) };
}

function isRecord(value: ReturnType<typeof toRecord>): value is DirectoryRecord {
  return 'attributes' in value;
}

// Sample (`dscl -plist . -readall /Users`, shape per the puppet spec fixture; macOS 10.x to 26):
//   <?xml version="1.0" encoding="UTF-8"?> … <plist version="1.0">
//   <array>
//   	<dict>
//   		<key>dsAttrTypeNative:_writers_passwd</key>
//   		<array>
//   			<string>_amavisd</string>
//   		</array>
//   		<key>dsAttrTypeStandard:RecordName</key>
//   		<array>
//   			<string>_amavisd</string>
//   			<string>amavisd</string>
//   		</array>
//   …
// Edge cases: missing attributes are simply absent; an empty attribute is `<array/>`; binary attributes
// are hex strings ("62706c69 73743030 …"); XML plists inside values are entity-escaped strings; a
// non-string value in an array (seen when an on-disk record is hand-edited) makes that record unreadable.
/** Parse `dscl -plist . -readall <path>` output: a top-level array of record dictionaries. */
export function parseDsclPlistRecords(raw: string): RecordListing {
  const value = parseXmlPlist(raw);
  if (!Array.isArray(value)) {
    throw new UnexpectedOutputError(`expected a top-level array of records, got a ${describe(value)}`);
  }
  const listing: RecordListing = { records: [], unreadable: [] };
  value.forEach((item, index) => {
    const parsed = toRecord(item);
    if (isRecord(parsed)) listing.records.push(parsed);
    else listing.unreadable.push({ index, recordName: parsed.recordName, reason: parsed.reason });
  });
  return listing;
}

/** Parse `dscl -plist . -read <path>` output: one record dictionary. */
export function parseDsclPlistRecord(raw: string): DirectoryRecord {
  const parsed = toRecord(parseXmlPlist(raw));
  if (!isRecord(parsed)) {
    const who = parsed.recordName === undefined ? 'record' : `record "${parsed.recordName}"`;
    throw new UnexpectedOutputError(`${who}: ${parsed.reason}`);
  }
  return parsed;
}

/** Parse `dscl -plist <node> -read <path> <attrs…>` output into attribute values only (no RecordName required). */
export function parseDsclPlistAttributes(raw: string): Readonly<Record<string, readonly string[]>> {
  const value = parseXmlPlist(raw);
  if (!isPlistDict(value)) throw new UnexpectedOutputError(`expected a dictionary, got a ${describe(value)}`);
  const attributes: Record<string, readonly string[]> = {};
  for (const [type, values] of Object.entries(value)) {
    if (!Array.isArray(values) || values.some((item) => typeof item !== 'string')) {
      throw new UnexpectedOutputError(`attribute ${type} is not an array of strings`);
    }
    Object.defineProperty(attributes, type, { value: Object.freeze([...(values as string[])]), enumerable: true });
  }
  return Object.freeze(attributes);
}
