// Embedded code signature reader and page verifier. Apple silicon refuses to run a binary whose pages do not
// hash to its CodeDirectory, so we check the same thing before shipping: every code page, the special slots of
// blobs carried in the signature, the identifier and the team ID. Verifying the CMS signature (the certificate
// chain up to Apple) is out of scope: we report whether a CMS blob is present, and the pinned sha256/npm
// integrity is what ties the bytes to the Node.js release (docs/decisions/2026-12-02-macos-node-runtime.md).
//
// Layouts (all big-endian; Apple's xnu osfmk/kern/cs_blobs.h, described not copied):
//   SuperBlob:     magic 0xfade0cc0, length, count, then count × { type, offset } (offset from the SuperBlob)
//   Blob:          magic, length, payload
//   CodeDirectory: magic 0xfade0c02, length, version, flags, hashOffset, identOffset, nSpecialSlots,
//                  nCodeSlots, codeLimit, hashSize (u8), hashType (u8), platform (u8), pageSize (u8, log2),
//                  spare2; >= 0x20100 scatterOffset; >= 0x20200 teamOffset; >= 0x20300 spare3, codeLimit64;
//                  >= 0x20400 execSegBase, execSegLimit, execSegFlags (u64); >= 0x20500 runtime, preEncryptOffset
//   Hash slots:    code slot i at hashOffset + i × hashSize; special slot -n at hashOffset - n × hashSize.
import { createHash } from 'node:crypto';
import type { ByteSource } from './bytes.js';
import { RuntimeError } from './errors.js';
import type { MachOImage } from './macho.js';

export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_REQUIREMENTS = 0xfade0c01;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_REQUIREMENTS = 2;
export const CSSLOT_ENTITLEMENTS = 5;
export const CSSLOT_DER_ENTITLEMENTS = 7;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
const ALTERNATE_CODEDIRECTORY_LIMIT = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;
export const CS_ADHOC = 0x2;
export const CS_RUNTIME = 0x10000;
/** Special slots whose blob travels inside the SuperBlob, so its hash can be checked here (1, 3, 4 and 6
 *  describe things outside a bare executable: Info.plist, resources, application data). */
const EMBEDDED_SPECIAL_SLOTS = [CSSLOT_REQUIREMENTS, CSSLOT_ENTITLEMENTS, CSSLOT_DER_ENTITLEMENTS];
const MAX_BLOBS = 64;
const CODEDIRECTORY_MIN_SIZE = 44;

/** Hash types Apple defines (cs_blobs.h CS_HASHTYPE_*), with the digest node computes and the slot width. */
const HASH_TYPES: Record<number, { name: string; digest: string; size: number; preference: number }> = {
  1: { name: 'sha1', digest: 'sha1', size: 20, preference: 1 },
  2: { name: 'sha256', digest: 'sha256', size: 32, preference: 4 },
  3: { name: 'sha256-truncated', digest: 'sha256', size: 20, preference: 2 },
  4: { name: 'sha384', digest: 'sha384', size: 48, preference: 3 },
};

export interface BlobEntry {
  slot: number;
  magic: number;
  offset: number;
  length: number;
}

export interface CodeDirectoryFacts {
  /** SuperBlob slot: 0 or an alternate 0x1000+. */
  slot: number;
  version: number;
  flags: number;
  hashType: number;
  hashTypeName: string;
  hashSize: number;
  pageSize: number;
  codeLimit: number;
  nCodeSlots: number;
  nSpecialSlots: number;
  identifier: string;
  teamId: string | undefined;
  execSegBase: number | undefined;
  execSegLimit: number | undefined;
  execSegFlags: number | undefined;
  /** The CDHash: this CodeDirectory hashed with its own hash type, first 20 bytes, hex. */
  cdHash: string;
}

export interface CodeSignatureFacts {
  blobs: BlobEntry[];
  codeDirectories: CodeDirectoryFacts[];
  /** The CodeDirectory macOS uses: sha256 when there is one. */
  inUse: CodeDirectoryFacts;
  identifier: string;
  teamId: string | undefined;
  adhoc: boolean;
  hardenedRuntime: boolean;
  /** The CMS signature blob (slot 0x10000): present with a non-empty body for a Developer ID signature. */
  cms: { present: boolean; bytes: number };
  /** Keys of the XML entitlements blob (slot 5), in order: what the hardened runtime relaxes for this binary. */
  entitlementKeys: string[];
}

export interface VerifiedCodeSignature extends CodeSignatureFacts {
  /** Code pages checked, summed over the CodeDirectories. */
  verifiedPages: number;
  /** Special slots whose blob hash was checked (of the CodeDirectory in use). */
  verifiedSpecialSlots: number[];
}

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

function readCString(blob: Buffer, offset: number, what: string, where: string): string {
  if (offset <= 0 || offset >= blob.length) throw new RuntimeError('bad-signature', `reading ${where}: ${what} offset ${offset} is outside the ${blob.length}-byte CodeDirectory`);
  const end = blob.indexOf(0, offset);
  if (end < 0) throw new RuntimeError('bad-signature', `reading ${where}: ${what} at ${offset} is not NUL-terminated within the CodeDirectory`);
  return blob.toString('utf8', offset, end);
}

function parseCodeDirectory(blob: Buffer, slot: number, where: string): CodeDirectoryFacts & { hashOffset: number; blob: Buffer } {
  const name = `${where} CodeDirectory (slot ${hex(slot)})`;
  if (blob.length < CODEDIRECTORY_MIN_SIZE) throw new RuntimeError('bad-signature', `reading ${name}: ${blob.length} bytes, shorter than a CodeDirectory header`);
  const version = blob.readUInt32BE(8);
  if (version < 0x20001 || version >= 0x30000) throw new RuntimeError('bad-signature', `reading ${name}: version ${hex(version)} is not a 2.x CodeDirectory`);
  const headerSize = version >= 0x20500 ? 96 : version >= 0x20400 ? 88 : version >= 0x20300 ? 64 : version >= 0x20200 ? 52 : version >= 0x20100 ? 48 : 44;
  if (blob.length < headerSize) throw new RuntimeError('bad-signature', `reading ${name}: ${blob.length} bytes, shorter than the ${headerSize}-byte header of version ${hex(version)}`);
  const flags = blob.readUInt32BE(12);
  const hashOffset = blob.readUInt32BE(16);
  const identOffset = blob.readUInt32BE(20);
  const nSpecialSlots = blob.readUInt32BE(24);
  const nCodeSlots = blob.readUInt32BE(28);
  let codeLimit = blob.readUInt32BE(32);
  const hashSize = blob.readUInt8(36);
  const hashType = blob.readUInt8(37);
  const pageSizeLog2 = blob.readUInt8(39);
  const known = HASH_TYPES[hashType];
  if (!known) throw new RuntimeError('bad-signature', `reading ${name}: hash type ${hashType} is not one Apple defines (1 sha1, 2 sha256, 3 sha256-truncated, 4 sha384)`);
  if (hashSize !== known.size) throw new RuntimeError('bad-signature', `reading ${name}: hash size ${hashSize} for ${known.name} (${known.size} expected)`);
  if (version >= 0x20100 && blob.readUInt32BE(44) !== 0) throw new RuntimeError('bad-signature', `reading ${name}: scatter vectors are not supported`);
  const teamOffset = version >= 0x20200 ? blob.readUInt32BE(48) : 0;
  if (version >= 0x20300) {
    const codeLimit64 = blob.readBigUInt64BE(56);
    if (codeLimit64 !== 0n) {
      if (codeLimit64 > BigInt(Number.MAX_SAFE_INTEGER)) throw new RuntimeError('bad-signature', `reading ${name}: codeLimit64 ${codeLimit64} is too large`);
      codeLimit = Number(codeLimit64);
    }
  }
  if (pageSizeLog2 !== 0 && (pageSizeLog2 < 9 || pageSizeLog2 > 20)) throw new RuntimeError('bad-signature', `reading ${name}: page size 2^${pageSizeLog2} is implausible`);
  const pageSize = pageSizeLog2 === 0 ? Math.max(codeLimit, 1) : 2 ** pageSizeLog2;
  const expectedSlots = Math.ceil(codeLimit / pageSize);
  if (nCodeSlots !== expectedSlots) throw new RuntimeError('bad-signature', `reading ${name}: ${nCodeSlots} code slots for a code limit of ${codeLimit} bytes in ${pageSize}-byte pages (${expectedSlots} expected)`);
  if (hashOffset < headerSize + nSpecialSlots * hashSize || hashOffset + nCodeSlots * hashSize > blob.length) {
    throw new RuntimeError('bad-signature', `reading ${name}: hash slots (${nSpecialSlots} special, ${nCodeSlots} code, at ${hashOffset}) fall outside the ${blob.length}-byte CodeDirectory`);
  }
  const identifier = readCString(blob, identOffset, 'the identifier', name);
  const teamId = teamOffset === 0 ? undefined : readCString(blob, teamOffset, 'the team ID', name);
  const hasExecSeg = version >= 0x20400;
  const digest = createHash(known.digest).update(blob).digest();
  return {
    slot,
    version,
    flags,
    hashType,
    hashTypeName: known.name,
    hashSize,
    pageSize,
    codeLimit,
    nCodeSlots,
    nSpecialSlots,
    identifier,
    teamId,
    execSegBase: hasExecSeg ? Number(blob.readBigUInt64BE(64)) : undefined,
    execSegLimit: hasExecSeg ? Number(blob.readBigUInt64BE(72)) : undefined,
    execSegFlags: hasExecSeg ? Number(blob.readBigUInt64BE(80)) : undefined,
    cdHash: digest.subarray(0, 20).toString('hex'),
    hashOffset,
    blob,
  };
}

interface ParsedSignature {
  facts: CodeSignatureFacts;
  /** Per CodeDirectory: its parsed header plus its raw bytes, for slot lookups. */
  directories: (CodeDirectoryFacts & { hashOffset: number; blob: Buffer })[];
  blobBytes: Map<number, Buffer>;
}

/** The <key> names of an XML entitlements blob, for reporting (never for a decision, so no full plist parse). */
function entitlementKeys(blob: Buffer | undefined): string[] {
  if (!blob || blob.length <= 8) return [];
  return [...blob.toString('utf8', 8).matchAll(/<key>([^<]*)<\/key>/g)].map((match) => match[1]!);
}

function parseSignature(image: MachOImage): ParsedSignature {
  const where = image.source.name;
  const place = image.codeSignature;
  if (!place || place.dataSize === 0) throw new RuntimeError('unsigned', `checking the signature of ${where}: no LC_CODE_SIGNATURE (the binary is unsigned)`);
  const superBlob = image.source.read(place.dataOffset, place.dataSize, 'the code signature');
  if (superBlob.length < 12 || superBlob.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE) {
    throw new RuntimeError('bad-signature', `reading the signature of ${where}: magic ${hex(superBlob.length >= 4 ? superBlob.readUInt32BE(0) : 0)} is not an embedded-signature SuperBlob (0xfade0cc0)`);
  }
  const length = superBlob.readUInt32BE(4);
  const count = superBlob.readUInt32BE(8);
  if (length > superBlob.length || length < 12) throw new RuntimeError('bad-signature', `reading the signature of ${where}: SuperBlob length ${length} does not fit the ${superBlob.length}-byte LC_CODE_SIGNATURE area`);
  if (count > MAX_BLOBS || 12 + count * 8 > length) throw new RuntimeError('bad-signature', `reading the signature of ${where}: ${count} index entries do not fit the SuperBlob`);
  const blobs: BlobEntry[] = [];
  const blobBytes = new Map<number, Buffer>();
  for (let index = 0; index < count; index++) {
    const slot = superBlob.readUInt32BE(12 + index * 8);
    const offset = superBlob.readUInt32BE(16 + index * 8);
    if (offset < 12 + count * 8 || offset + 8 > length) throw new RuntimeError('bad-signature', `reading the signature of ${where}: blob for slot ${hex(slot)} at ${offset} is outside the SuperBlob`);
    const magic = superBlob.readUInt32BE(offset);
    const blobLength = superBlob.readUInt32BE(offset + 4);
    if (blobLength < 8 || offset + blobLength > length) throw new RuntimeError('bad-signature', `reading the signature of ${where}: blob for slot ${hex(slot)} (${blobLength} bytes at ${offset}) overruns the SuperBlob`);
    if (blobBytes.has(slot)) throw new RuntimeError('bad-signature', `reading the signature of ${where}: two blobs for slot ${hex(slot)}`);
    blobs.push({ slot, magic, offset, length: blobLength });
    blobBytes.set(slot, superBlob.subarray(offset, offset + blobLength));
  }

  const directories: ParsedSignature['directories'] = [];
  for (const entry of blobs) {
    const isDirectorySlot = entry.slot === CSSLOT_CODEDIRECTORY || (entry.slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && entry.slot < CSSLOT_ALTERNATE_CODEDIRECTORIES + ALTERNATE_CODEDIRECTORY_LIMIT);
    if (!isDirectorySlot) continue;
    if (entry.magic !== CSMAGIC_CODEDIRECTORY) throw new RuntimeError('bad-signature', `reading the signature of ${where}: slot ${hex(entry.slot)} holds magic ${hex(entry.magic)}, not a CodeDirectory`);
    directories.push(parseCodeDirectory(blobBytes.get(entry.slot)!, entry.slot, where));
  }
  if (directories.length === 0) throw new RuntimeError('unsigned', `checking the signature of ${where}: the SuperBlob has no CodeDirectory`);
  const first = directories[0]!;
  for (const other of directories.slice(1)) {
    if (other.identifier !== first.identifier || other.teamId !== first.teamId) {
      throw new RuntimeError('bad-signature', `reading the signature of ${where}: CodeDirectories disagree on identifier/team (${first.identifier}/${first.teamId ?? '-'} vs ${other.identifier}/${other.teamId ?? '-'})`);
    }
  }
  const inUse = directories.reduce((best, candidate) => (HASH_TYPES[candidate.hashType]!.preference > HASH_TYPES[best.hashType]!.preference ? candidate : best));
  const cmsBlob = blobBytes.get(CSSLOT_SIGNATURESLOT);
  if (cmsBlob && cmsBlob.readUInt32BE(0) !== CSMAGIC_BLOBWRAPPER) throw new RuntimeError('bad-signature', `reading the signature of ${where}: slot 0x10000 holds magic ${hex(cmsBlob.readUInt32BE(0))}, not a CMS blob wrapper`);
  const cmsBytes = cmsBlob ? cmsBlob.length - 8 : 0;
  const strip = ({ hashOffset: _h, blob: _b, ...facts }: ParsedSignature['directories'][number]): CodeDirectoryFacts => facts;
  return {
    facts: {
      blobs,
      codeDirectories: directories.map(strip),
      inUse: strip(inUse),
      identifier: inUse.identifier,
      teamId: inUse.teamId,
      adhoc: (inUse.flags & CS_ADHOC) !== 0,
      hardenedRuntime: (inUse.flags & CS_RUNTIME) !== 0,
      cms: { present: cmsBytes > 0, bytes: cmsBytes },
      entitlementKeys: entitlementKeys(blobBytes.get(CSSLOT_ENTITLEMENTS)),
    },
    directories,
    blobBytes,
  };
}

/** Read the signature's structure and facts without hashing pages (cheap; for inspection). */
export function readCodeSignature(image: MachOImage): CodeSignatureFacts {
  return parseSignature(image).facts;
}

function slotHash(directory: ParsedSignature['directories'][number], slot: number): Buffer {
  const at = directory.hashOffset + slot * directory.hashSize;
  return directory.blob.subarray(at, at + directory.hashSize);
}

function verifyPages(source: ByteSource, directory: ParsedSignature['directories'][number], chunkPages: number): number {
  const digest = HASH_TYPES[directory.hashType]!.digest;
  const { pageSize, codeLimit, nCodeSlots } = directory;
  for (let first = 0; first < nCodeSlots; first += chunkPages) {
    const start = first * pageSize;
    const end = Math.min(codeLimit, (first + chunkPages) * pageSize);
    const chunk = source.read(start, end - start, 'code pages');
    for (let page = first; page < Math.min(nCodeSlots, first + chunkPages); page++) {
      const from = page * pageSize;
      const to = Math.min(codeLimit, from + pageSize);
      const actual = createHash(digest).update(chunk.subarray(from - start, to - start)).digest().subarray(0, directory.hashSize);
      const expected = slotHash(directory, page);
      if (!actual.equals(expected)) {
        throw new RuntimeError(
          'page-mismatch',
          `verifying the code signature of ${source.name}: page ${page} (bytes ${from}..${to}) hashes to ${actual.toString('hex')} but the ${directory.hashTypeName} CodeDirectory says ${expected.toString('hex')}: the binary was modified after signing`,
        );
      }
    }
  }
  return nCodeSlots;
}

/**
 * Check that the signature covers the whole image and that every code page, and every special slot whose blob is
 * embedded, matches each CodeDirectory. Throws page-mismatch naming the first bad page.
 */
export function verifyCodeSignature(image: MachOImage, options: { chunkPages?: number } = {}): VerifiedCodeSignature {
  const parsed = parseSignature(image);
  const where = image.source.name;
  const place = image.codeSignature!;
  if (place.dataOffset + place.dataSize !== image.size) {
    throw new RuntimeError('bad-signature', `verifying the signature of ${where}: ${image.size - place.dataOffset - place.dataSize} bytes follow the signature, which no page hash covers`);
  }
  const chunkPages = options.chunkPages ?? 256;
  let verifiedPages = 0;
  let verifiedSpecialSlots: number[] = [];
  for (const directory of parsed.directories) {
    if (directory.codeLimit !== place.dataOffset) {
      throw new RuntimeError('bad-signature', `verifying the signature of ${where}: the ${directory.hashTypeName} CodeDirectory covers ${directory.codeLimit} bytes but the signature starts at ${place.dataOffset}`);
    }
    verifiedPages += verifyPages(image.source, directory, chunkPages);
    const checked: number[] = [];
    for (const special of EMBEDDED_SPECIAL_SLOTS) {
      const expected = special <= directory.nSpecialSlots ? slotHash(directory, -special) : undefined;
      const blob = parsed.blobBytes.get(special);
      const empty = !expected || expected.every((byte) => byte === 0);
      if (!blob) {
        if (!empty) throw new RuntimeError('bad-signature', `verifying the signature of ${where}: special slot -${special} has a hash but the blob is missing`);
        continue;
      }
      if (!expected) throw new RuntimeError('bad-signature', `verifying the signature of ${where}: blob for slot ${special} is not covered by the ${directory.hashTypeName} CodeDirectory`);
      const actual = createHash(HASH_TYPES[directory.hashType]!.digest).update(blob).digest().subarray(0, directory.hashSize);
      if (!actual.equals(expected)) {
        throw new RuntimeError('page-mismatch', `verifying the code signature of ${where}: the blob in special slot -${special} hashes to ${actual.toString('hex')} but the CodeDirectory says ${expected.toString('hex')}`);
      }
      checked.push(special);
    }
    if (directory.slot === parsed.facts.inUse.slot) verifiedSpecialSlots = checked;
  }
  return { ...parsed.facts, verifiedPages, verifiedSpecialSlots };
}

/** Refuse a signature that is ad-hoc, has no CMS blob, or is not by the expected identifier and team. */
export function requireSigner(facts: CodeSignatureFacts, expected: { identifier: string; teamId: string }, name: string): void {
  if (facts.adhoc || !facts.cms.present) {
    throw new RuntimeError('wrong-signer', `checking the signer of ${name}: ad-hoc signed (no Developer ID signature), expected team ${expected.teamId}`);
  }
  if (facts.teamId !== expected.teamId) {
    throw new RuntimeError('wrong-signer', `checking the signer of ${name}: team ID ${facts.teamId ?? '(none)'}, expected ${expected.teamId}`);
  }
  if (facts.identifier !== expected.identifier) {
    throw new RuntimeError('wrong-signer', `checking the signer of ${name}: identifier ${JSON.stringify(facts.identifier)}, expected ${JSON.stringify(expected.identifier)}`);
  }
}
