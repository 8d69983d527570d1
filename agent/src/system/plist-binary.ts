// Binary property lists ("bplist00"), as cfprefsd and ManagedClient may write preference files such as
// /Library/Managed Preferences/<domain>.plist. Our own reader rather than the `plist` package's parseBinary:
// that one has no bounds checks, follows reference cycles until the stack overflows, expands a shared
// reference as often as it is referenced (a 1 KB file can take minutes), assigns a "__proto__" key through
// the prototype setter, and rounds integers beyond 2^53 silently (see
// docs/decisions/2026-11-24-configuration.md). This reader checks every offset against the file, refuses
// cycles, caps depth and the number of values it produces, and never guesses: anything it does not model
// is an error naming the object and why.
//
// Layout (Apple's CFBinaryPList.c comment; CoreFoundation writes version 00):
//   "bplist00" | objects ... | offset table | 32-byte trailer
//   trailer: 6 unused bytes, offsetIntSize (1 B), objectRefSize (1 B), numObjects (8 B), topObject (8 B),
//            offsetTableOffset (8 B), all big-endian.
//   object marker: high nibble = type, low nibble = size or "0xF: a following int object holds the size".
import type { PlistValue } from './plist.js';

/** A binary property list that is malformed or uses a feature the agent does not read. */
export class BinaryPlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinaryPlistError';
  }
}

/** Limits that keep a hostile or corrupt file from exhausting the daemon. */
export interface BinaryPlistLimits {
  /** Nesting depth of arrays and dictionaries. */
  maxDepth: number;
  /** Values produced in total, counting a shared object once per reference. */
  maxValues: number;
}

/** Preference files are a few kilobytes; these bounds are far above any real one. */
export const DEFAULT_BINARY_PLIST_LIMITS: BinaryPlistLimits = { maxDepth: 64, maxValues: 200_000 };

const HEADER = 'bplist00';
const TRAILER_SIZE = 32;
/** Seconds between 1970-01-01 and 2001-01-01, the epoch of plist dates. */
const CF_EPOCH_OFFSET_SECONDS = 978_307_200;

interface Trailer {
  offsetIntSize: number;
  objectRefSize: number;
  numObjects: number;
  topObject: number;
  offsetTableOffset: number;
}

/** Parse a bplist00 file into the same values the XML parser gives (dict, array, string, number, boolean, Date, data). */
export function parseBinaryPlist(bytes: Uint8Array, limits: BinaryPlistLimits = DEFAULT_BINARY_PLIST_LIMITS): PlistValue {
  return new Reader(bytes, limits).read();
}

class Reader {
  private readonly view: DataView;
  private readonly trailer: Trailer;
  /** End of the object area (start of the offset table): no object may extend past it. */
  private readonly objectsEnd: number;
  private produced = 0;
  /** Objects on the path from the top object to the one being read: a repeat is a cycle. */
  private readonly path = new Set<number>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: BinaryPlistLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < HEADER.length + 1 + TRAILER_SIZE) {
      throw new BinaryPlistError(`file of ${bytes.byteLength} bytes is too short for a binary plist`);
    }
    if (Buffer.from(bytes.subarray(0, HEADER.length)).toString('latin1') !== HEADER) {
      throw new BinaryPlistError('missing "bplist00" header');
    }
    this.trailer = this.readTrailer();
    this.objectsEnd = this.trailer.offsetTableOffset;
  }

  read(): PlistValue {
    return this.readObject(this.trailer.topObject, 0);
  }

  private readTrailer(): Trailer {
    const start = this.bytes.byteLength - TRAILER_SIZE;
    const offsetIntSize = this.view.getUint8(start + 6);
    const objectRefSize = this.view.getUint8(start + 7);
    const numObjects = this.uint64(start + 8, 'object count');
    const topObject = this.uint64(start + 16, 'top object');
    const offsetTableOffset = this.uint64(start + 24, 'offset table offset');
    if (offsetIntSize < 1 || offsetIntSize > 8) throw new BinaryPlistError(`trailer: offset size ${offsetIntSize} is not 1 to 8`);
    if (objectRefSize < 1 || objectRefSize > 8) throw new BinaryPlistError(`trailer: reference size ${objectRefSize} is not 1 to 8`);
    if (numObjects < 1) throw new BinaryPlistError('trailer: no objects');
    if (topObject >= numObjects) throw new BinaryPlistError(`trailer: top object ${topObject} is not below the object count ${numObjects}`);
    if (offsetTableOffset < HEADER.length + 1 || offsetTableOffset + numObjects * offsetIntSize > start) {
      throw new BinaryPlistError('trailer: the offset table does not fit between the objects and the trailer');
    }
    return { offsetIntSize, objectRefSize, numObjects, topObject, offsetTableOffset };
  }

  /** An unsigned big-endian integer of 1 to 8 bytes that must be an exact JavaScript number. */
  private uintN(offset: number, size: number, what: string): number {
    let value = 0n;
    for (let index = 0; index < size; index += 1) value = (value << 8n) | BigInt(this.view.getUint8(offset + index));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new BinaryPlistError(`${what}: ${value} is too large`);
    return Number(value);
  }

  private uint64(offset: number, what: string): number {
    return this.uintN(offset, 8, `trailer: ${what}`);
  }

  /** Where object `index` starts, from the offset table. */
  private offsetOf(index: number): number {
    const { offsetTableOffset, offsetIntSize } = this.trailer;
    const offset = this.uintN(offsetTableOffset + index * offsetIntSize, offsetIntSize, `offset of object ${index}`);
    if (offset < HEADER.length || offset >= this.objectsEnd) {
      throw new BinaryPlistError(`object ${index}: offset ${offset} is outside the object area`);
    }
    return offset;
  }

  /** Fail unless `length` bytes from `offset` lie inside the object area. */
  private need(index: number, offset: number, length: number): void {
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > this.objectsEnd) {
      throw new BinaryPlistError(`object ${index}: ${length} bytes at ${offset} run past the object area`);
    }
  }

  /** The count that follows a marker: the low nibble, or an int object when the nibble is 0xF. */
  private readCount(index: number, offset: number, nibble: number): { count: number; next: number } {
    if (nibble !== 0x0f) return { count: nibble, next: offset };
    this.need(index, offset, 1);
    const marker = this.view.getUint8(offset);
    if (marker >> 4 !== 0x1) throw new BinaryPlistError(`object ${index}: size marker 0x${marker.toString(16)} is not an integer`);
    const size = 1 << (marker & 0x0f);
    if (size > 8) throw new BinaryPlistError(`object ${index}: size integer of ${size} bytes`);
    this.need(index, offset + 1, size);
    return { count: this.uintN(offset + 1, size, `object ${index}: size`), next: offset + 1 + size };
  }

  private readRef(index: number, offset: number): number {
    const ref = this.uintN(offset, this.trailer.objectRefSize, `object ${index}: reference`);
    if (ref >= this.trailer.numObjects) throw new BinaryPlistError(`object ${index}: reference ${ref} is not below the object count`);
    return ref;
  }

  private readObject(index: number, depth: number): PlistValue {
    this.produced += 1;
    if (this.produced > this.limits.maxValues) throw new BinaryPlistError(`more than ${this.limits.maxValues} values (shared references expanded)`);
    const offset = this.offsetOf(index);
    const marker = this.view.getUint8(offset);
    const type = marker >> 4;
    const nibble = marker & 0x0f;
    const body = offset + 1;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        // 0x00 (null) is only in the format description; CoreFoundation never writes it and XML has no null.
        throw new BinaryPlistError(`object ${index}: marker 0x${marker.toString(16).padStart(2, '0')} is not a value the agent reads`);
      case 0x1:
        return this.readInteger(index, body, nibble);
      case 0x2: {
        const size = 1 << nibble;
        if (size !== 4 && size !== 8) throw new BinaryPlistError(`object ${index}: real of ${size} bytes`);
        this.need(index, body, size);
        return size === 4 ? this.view.getFloat32(body) : this.view.getFloat64(body);
      }
      case 0x3: {
        if (marker !== 0x33) throw new BinaryPlistError(`object ${index}: date marker 0x${marker.toString(16)}`);
        this.need(index, body, 8);
        const date = new Date((this.view.getFloat64(body) + CF_EPOCH_OFFSET_SECONDS) * 1000);
        if (Number.isNaN(date.getTime())) throw new BinaryPlistError(`object ${index}: date out of range`);
        return date;
      }
      case 0x4: {
        const { count, next } = this.readCount(index, body, nibble);
        this.need(index, next, count);
        return Uint8Array.from(this.bytes.subarray(next, next + count));
      }
      case 0x5: {
        const { count, next } = this.readCount(index, body, nibble);
        this.need(index, next, count);
        return Buffer.from(this.bytes.subarray(next, next + count)).toString('latin1');
      }
      case 0x6: {
        const { count, next } = this.readCount(index, body, nibble);
        this.need(index, next, count * 2);
        // UTF-16 big-endian: swap each pair and decode as little-endian; surrogate pairs survive unchanged.
        const swapped = Buffer.from(this.bytes.subarray(next, next + count * 2));
        swapped.swap16();
        return swapped.toString('utf16le');
      }
      case 0xa:
        return this.readArray(index, body, nibble, depth);
      case 0xd:
        return this.readDict(index, body, nibble, depth);
      default:
        // 0x8 UID (keyed archives), 0xC set, 0x7 UTF-8 string (bplist15+): never in a preference file.
        throw new BinaryPlistError(`object ${index}: type 0x${type.toString(16)} is not a value the agent reads`);
    }
  }

  private readInteger(index: number, body: number, nibble: number): number {
    const size = 1 << nibble;
    this.need(index, body, size);
    if (size <= 4) return this.uintN(body, size, `object ${index}: integer`); // 1, 2 and 4 byte integers are unsigned
    if (size === 8) {
      const value = this.view.getBigInt64(body);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new BinaryPlistError(`object ${index}: integer ${value} cannot be represented exactly`);
      }
      return Number(value);
    }
    if (size === 16) {
      // CoreFoundation writes 16 bytes only for unsigned values above INT64_MAX: the high half is zero.
      const high = this.view.getBigUint64(body);
      const low = this.view.getBigUint64(body + 8);
      if (high !== 0n || low > BigInt(Number.MAX_SAFE_INTEGER)) throw new BinaryPlistError(`object ${index}: 128-bit integer cannot be represented exactly`);
      return Number(low);
    }
    throw new BinaryPlistError(`object ${index}: integer of ${size} bytes`);
  }

  private enter(index: number, depth: number): void {
    if (depth >= this.limits.maxDepth) throw new BinaryPlistError(`object ${index}: nested deeper than ${this.limits.maxDepth}`);
    if (this.path.has(index)) throw new BinaryPlistError(`object ${index}: contains itself (reference cycle)`);
    this.path.add(index);
  }

  private readArray(index: number, body: number, nibble: number, depth: number): PlistValue[] {
    const { count, next } = this.readCount(index, body, nibble);
    this.need(index, next, count * this.trailer.objectRefSize);
    this.enter(index, depth);
    const items: PlistValue[] = [];
    for (let item = 0; item < count; item += 1) {
      items.push(this.readObject(this.readRef(index, next + item * this.trailer.objectRefSize), depth + 1));
    }
    this.path.delete(index);
    return items;
  }

  private readDict(index: number, body: number, nibble: number, depth: number): { [key: string]: PlistValue } {
    const { count, next } = this.readCount(index, body, nibble);
    const refSize = this.trailer.objectRefSize;
    this.need(index, next, count * 2 * refSize);
    this.enter(index, depth);
    const dict: { [key: string]: PlistValue } = {};
    for (let entry = 0; entry < count; entry += 1) {
      const key = this.readObject(this.readRef(index, next + entry * refSize), depth + 1);
      if (typeof key !== 'string') throw new BinaryPlistError(`object ${index}: dictionary key ${entry} is not a string`);
      if (Object.prototype.hasOwnProperty.call(dict, key)) throw new BinaryPlistError(`object ${index}: duplicate key "${key}"`);
      const value = this.readObject(this.readRef(index, next + (count + entry) * refSize), depth + 1);
      // defineProperty, not assignment: a "__proto__" key must stay data, never reach the prototype setter.
      Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
    }
    this.path.delete(index);
    return dict;
  }
}
