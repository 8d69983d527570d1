import { buildBinary, parseBinary } from 'plist';
import { describe, expect, it } from 'vitest';
import { BinaryPlistError, parseBinaryPlist } from '../../agent/src/system/plist-binary.js';
import type { PlistValue } from '../../agent/src/system/plist.js';

/**
 * Assemble a bplist00 file from raw object encodings (test-only, so malformed files can be made on purpose):
 * header, the objects in order, an offset table, then the trailer.
 */
function assemble(objects: number[][], options: { top?: number; refSize?: number; offsetSize?: number; numObjects?: number } = {}): Uint8Array {
  const offsetSize = options.offsetSize ?? 1;
  const header = [...Buffer.from('bplist00')];
  const body: number[] = [];
  const offsets: number[] = [];
  for (const object of objects) {
    offsets.push(header.length + body.length);
    body.push(...object);
  }
  const tableOffset = header.length + body.length;
  const table: number[] = [];
  for (const offset of offsets) {
    for (let byte = offsetSize - 1; byte >= 0; byte -= 1) table.push((offset >> (8 * byte)) & 0xff);
  }
  const u64 = (value: number) => {
    const out = Buffer.alloc(8);
    out.writeBigUInt64BE(BigInt(value));
    return [...out];
  };
  const trailer = [0, 0, 0, 0, 0, 0, offsetSize, options.refSize ?? 1, ...u64(options.numObjects ?? objects.length), ...u64(options.top ?? 0), ...u64(tableOffset)];
  return Uint8Array.from([...header, ...body, ...table, ...trailer]);
}

const ascii = (text: string) => [0x50 | text.length, ...Buffer.from(text, 'latin1')];

describe('parseBinaryPlist', () => {
  it('reads what an independent writer (the plist package) produces, value for value', () => {
    const value: PlistValue = {
      enabled: true,
      disabled: false,
      name: 'io.untether.agent',
      unicode: 'Zoë ✓ 😀 日本',
      count: 42,
      negative: -5,
      large: 2 ** 40,
      ratio: 1.5,
      when: new Date('2026-11-24T12:00:00Z'),
      blob: Uint8Array.from([0, 1, 2, 255]),
      list: ['a', 'b', { nested: [1, 2, 3] }],
      empty: {},
      none: [],
    };
    const bytes = buildBinary(value);
    expect(parseBinaryPlist(bytes)).toEqual(parseBinary(bytes));
    expect(parseBinaryPlist(bytes)).toEqual(value);
  });

  it('reads extended counts, two-byte references and offsets (more than 255 objects, strings longer than 14)', () => {
    const value = { long: 'x'.repeat(300), items: Array.from({ length: 400 }, (_, index) => `item-${index}`) };
    const bytes = buildBinary(value);
    expect(parseBinaryPlist(bytes)).toEqual(value);
  });

  it('reads integers of every width with their signs: 1/2/4 bytes unsigned, 8 signed, 16 with a zero high half', () => {
    const cases: Array<[number[], number]> = [
      [[0x10, 0xff], 255],
      [[0x11, 0xff, 0xff], 65535],
      [[0x12, 0xff, 0xff, 0xff, 0xff], 4294967295],
      [[0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], -2],
      [[0x14, ...Array(8).fill(0), 0, 0, 0, 0, 0, 0, 0x01, 0x00], 256],
    ];
    for (const [object, expected] of cases) expect(parseBinaryPlist(assemble([object]))).toBe(expected);
  });

  it('refuses integers it cannot represent exactly instead of rounding them', () => {
    expect(() => parseBinaryPlist(assemble([[0x13, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]]))).toThrow(/cannot be represented exactly/);
    expect(() => parseBinaryPlist(assemble([[0x14, 0, 0, 0, 0, 0, 0, 0, 1, ...Array(8).fill(0)]]))).toThrow(/128-bit/);
  });

  it('reads a real of 4 bytes and a date relative to 2001-01-01', () => {
    expect(parseBinaryPlist(assemble([[0x22, 0x3f, 0xc0, 0x00, 0x00]]))).toBe(1.5);
    expect(parseBinaryPlist(assemble([[0x33, 0, 0, 0, 0, 0, 0, 0, 0]]))).toEqual(new Date('2001-01-01T00:00:00Z'));
  });

  it('keeps a "__proto__" key as an own data property and leaves the prototype alone', () => {
    // { "__proto__": { "polluted": true } }
    const bytes = assemble([[0xd1, 1, 2], ascii('__proto__'), [0xd1, 3, 4], ascii('polluted'), [0x09]]);
    const value = parseBinaryPlist(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('refuses a reference cycle instead of recursing until the stack overflows', () => {
    // An array that contains itself.
    expect(() => parseBinaryPlist(assemble([[0xa1, 0]]))).toThrow(/reference cycle/);
  });

  it('caps the values a shared-reference bomb would expand to, and fails fast', () => {
    // Object i is an array holding object i+1 twice: 2^40 values if expanded naively.
    const levels = 40;
    const objects = Array.from({ length: levels }, (_, index) => [0xa2, index + 1, index + 1]);
    objects.push([0x09]);
    const started = performance.now();
    expect(() => parseBinaryPlist(assemble(objects))).toThrow(/more than 200000 values/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('caps nesting depth', () => {
    const objects = Array.from({ length: 100 }, (_, index) => [0xa1, index + 1]);
    objects.push([0x08]);
    expect(() => parseBinaryPlist(assemble(objects))).toThrow(/nested deeper than 64/);
  });

  it.each([
    ['a short file', Uint8Array.from(Buffer.from('bplist00')), /too short/],
    ['a wrong header', Uint8Array.from([...Buffer.from('bplist01'), ...Array(33).fill(0)]), /header/],
    ['an offset size of 0', assemble([[0x09]], { offsetSize: 1 }).map((byte, index, all) => (index === all.length - 26 ? 0 : byte)), /offset size 0/],
    ['a top object past the end', assemble([[0x09]], { top: 3 }), /top object 3/],
    ['an object count larger than the table', assemble([[0x09]], { numObjects: 50 }), /offset table does not fit/],
    ['a reference past the object count', assemble([[0xa1, 7]]), /reference 7/],
    ['a string running past the objects', assemble([[0x5e, 0x41]]), /run past the object area/],
    ['a non-string key', assemble([[0xd1, 1, 1], [0x10, 1]]), /key 0 is not a string/],
    ['a duplicate key', assemble([[0xd2, 1, 1, 2, 2], ascii('k'), [0x09]]), /duplicate key "k"/],
    ['a UID (keyed archive)', assemble([[0x80, 1]]), /type 0x8/],
    ['a set', assemble([[0xc0]]), /type 0xc/],
    ['a null marker', assemble([[0x00]]), /marker 0x00/],
  ])('refuses %s with a BinaryPlistError', (_name, bytes, message) => {
    let caught: unknown;
    try {
      parseBinaryPlist(bytes);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BinaryPlistError);
    expect((caught as Error).message).toMatch(message);
  });

  it('never throws anything but BinaryPlistError on corrupted input (fuzzed from a valid file)', () => {
    const valid = buildBinary({ server: { url: 'https://untether.example.com', pins: ['a', 'b'] }, demobilize: { enabled: true, users: ['jdoe'] } });
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 2000; round += 1) {
      const bytes = Uint8Array.from(valid);
      const flips = 1 + Math.floor(random() * 4);
      for (let flip = 0; flip < flips; flip += 1) bytes[8 + Math.floor(random() * (bytes.length - 8))] = Math.floor(random() * 256);
      try {
        parseBinaryPlist(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(BinaryPlistError);
      }
    }
  });
});
