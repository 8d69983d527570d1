// Builds small synthetic Mach-O files with an embedded code signature whose page hashes it computes itself, so the
// Mach-O and code-signature readers can be tested on a few KB instead of a 147 MB runtime. The layout follows
// what codesign writes (see scripts/pkg/runtime/codesign.ts for the field list): a 64-bit little-endian header,
// LC_CODE_SIGNATURE, code up to the signature, then a SuperBlob with CodeDirectory(s), an empty requirements
// blob and a CMS wrapper (fake bytes: the CMS is reported, never verified).
import { createHash } from 'node:crypto';
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64 } from '../../../scripts/pkg/runtime/pins.js';

export { CPU_TYPE_ARM64, CPU_TYPE_X86_64 };

export interface SignedMachOOptions {
  cpuType?: number;
  fileType?: number;
  /** Bytes before the signature (header and load commands included); a multiple of 16. */
  codeBytes?: number;
  pageSizeLog2?: number;
  identifier?: string;
  /** null: a CodeDirectory without a team ID. */
  teamId?: string | null;
  /** CodeDirectories to write: slot 0 first, then alternates 0x1000, ... (hash types 1 sha1, 2 sha256). */
  hashTypes?: number[];
  adhoc?: boolean;
  /** Bytes appended after the signature (outside any page hash). */
  trailingBytes?: number;
  /** Seed of the pseudo-random code bytes, so two builds can differ. */
  seed?: number;
}

export interface BuiltMachO {
  bytes: Buffer;
  codeLimit: number;
  pageSize: number;
  signatureOffset: number;
  /** CDHash of each CodeDirectory written, hex (first 20 bytes). */
  cdHashes: string[];
}

const HASH = { 1: { digest: 'sha1', size: 20 }, 2: { digest: 'sha256', size: 32 } } as Record<number, { digest: string; size: number }>;

function be32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function blob(magic: number, payload: Buffer): Buffer {
  return Buffer.concat([be32(magic), be32(8 + payload.length), payload]);
}

function codeDirectory(code: Buffer, options: { hashType: number; pageSizeLog2: number; identifier: string; teamId: string | null; adhoc: boolean; requirements: Buffer }): Buffer {
  const { digest, size } = HASH[options.hashType]!;
  const pageSize = 2 ** options.pageSizeLog2;
  const nCodeSlots = Math.ceil(code.length / pageSize);
  const nSpecialSlots = 2;
  const headerSize = 88; // version 0x20400
  const ident = Buffer.from(`${options.identifier}\0`, 'utf8');
  const team = options.teamId === null ? Buffer.alloc(0) : Buffer.from(`${options.teamId}\0`, 'utf8');
  const identOffset = headerSize;
  const teamOffset = options.teamId === null ? 0 : identOffset + ident.length;
  const hashOffset = identOffset + ident.length + team.length + nSpecialSlots * size;
  const length = hashOffset + nCodeSlots * size;
  const cd = Buffer.alloc(length);
  cd.writeUInt32BE(0xfade0c02, 0);
  cd.writeUInt32BE(length, 4);
  cd.writeUInt32BE(0x20400, 8);
  cd.writeUInt32BE((options.adhoc ? 0x2 : 0) | 0x10000, 12);
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(identOffset, 20);
  cd.writeUInt32BE(nSpecialSlots, 24);
  cd.writeUInt32BE(nCodeSlots, 28);
  cd.writeUInt32BE(code.length, 32);
  cd.writeUInt8(size, 36);
  cd.writeUInt8(options.hashType, 37);
  cd.writeUInt8(0, 38);
  cd.writeUInt8(options.pageSizeLog2, 39);
  cd.writeUInt32BE(teamOffset, 48);
  cd.writeBigUInt64BE(0n, 64); // execSegBase
  cd.writeBigUInt64BE(BigInt(pageSize), 72); // execSegLimit
  cd.writeBigUInt64BE(1n, 80); // CS_EXECSEG_MAIN_BINARY
  ident.copy(cd, identOffset);
  team.copy(cd, identOffset + ident.length);
  // special slot -2: the requirements blob; -1 (Info.plist) stays zero
  createHash(digest).update(options.requirements).digest().copy(cd, hashOffset - 2 * size);
  for (let page = 0; page < nCodeSlots; page++) {
    const piece = code.subarray(page * pageSize, Math.min(code.length, (page + 1) * pageSize));
    createHash(digest).update(piece).digest().copy(cd, hashOffset + page * size);
  }
  return cd;
}

/** A thin 64-bit Mach-O executable with a valid embedded signature. */
export function buildSignedMachO(options: SignedMachOOptions = {}): BuiltMachO {
  const pageSizeLog2 = options.pageSizeLog2 ?? 12;
  const pageSize = 2 ** pageSizeLog2;
  const codeBytes = options.codeBytes ?? 3 * pageSize + 1008; // the last page is partial
  if (codeBytes % 16 !== 0 || codeBytes < 64) throw new Error('codeBytes must be a multiple of 16, at least 64');
  const code = Buffer.alloc(codeBytes);
  let state = (options.seed ?? 1) >>> 0 || 1;
  for (let at = 48; at < codeBytes; at++) {
    state = (state * 1103515245 + 12345) >>> 0;
    code[at] = state >>> 24;
  }
  const requirements = blob(0xfade0c01, be32(0)); // an empty requirement set
  const hashTypes = options.hashTypes ?? [2];
  // The LC_CODE_SIGNATURE is inside the hashed code, so its fields are written before hashing.
  const directories = (signatureSize: number): Buffer[] => {
    code.writeUInt32LE(0xfeedfacf, 0);
    code.writeUInt32LE(options.cpuType ?? CPU_TYPE_ARM64, 4);
    code.writeUInt32LE(0, 8);
    code.writeUInt32LE(options.fileType ?? 2, 12);
    code.writeUInt32LE(1, 16); // ncmds
    code.writeUInt32LE(16, 20); // sizeofcmds
    code.writeUInt32LE(0x00200085, 24);
    code.writeUInt32LE(0, 28);
    code.writeUInt32LE(0x1d, 32);
    code.writeUInt32LE(16, 36);
    code.writeUInt32LE(codeBytes, 40);
    code.writeUInt32LE(signatureSize, 44);
    return hashTypes.map((hashType) =>
      codeDirectory(code, { hashType, pageSizeLog2, identifier: options.identifier ?? 'node', teamId: options.teamId === undefined ? 'HX7739G8FX' : options.teamId, adhoc: options.adhoc ?? false, requirements }),
    );
  };
  const cms = blob(0xfade0b01, options.adhoc ? Buffer.alloc(0) : Buffer.from('not a real CMS signature, only its presence is reported'));
  const superBlob = (cds: Buffer[]): Buffer => {
    const entries: [number, Buffer][] = cds.map((cd, index) => [index === 0 ? 0 : 0x1000 + index - 1, cd]);
    entries.splice(1, 0, [2, requirements]);
    entries.push([0x10000, cms]);
    const indexSize = 12 + entries.length * 8;
    let offset = indexSize;
    const index: Buffer[] = [];
    for (const [slot, body] of entries) {
      index.push(be32(slot), be32(offset));
      offset += body.length;
    }
    return Buffer.concat([be32(0xfade0cc0), be32(offset), be32(entries.length), ...index, ...entries.map(([, body]) => body)]);
  };
  // The signature's size is in the hashed header, so size it first with a provisional pass, then pad to 16.
  const provisional = superBlob(directories(0)).length;
  const signatureSize = Math.ceil(provisional / 16) * 16;
  const cds = directories(signatureSize);
  const signature = superBlob(cds);
  const padded = Buffer.concat([signature, Buffer.alloc(signatureSize - signature.length)]);
  const bytes = Buffer.concat([code, padded, Buffer.alloc(options.trailingBytes ?? 0, 0x5a)]);
  const cdHashes = cds.map((cd, index) => createHash(HASH[hashTypes[index]!]!.digest).update(cd).digest().subarray(0, 20).toString('hex'));
  return { bytes, codeLimit: codeBytes, pageSize, signatureOffset: codeBytes, cdHashes };
}

/** A universal binary holding the given thin images (each at a 16 KiB boundary, as lipo aligns arm64). */
export function buildFatMachO(images: { cpuType: number; bytes: Buffer }[]): Buffer {
  const align = 14;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8 + images.length * 20);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(images.length, 4);
  let offset = 2 ** align;
  images.forEach((image, index) => {
    const at = 8 + index * 20;
    header.writeUInt32BE(image.cpuType, at);
    header.writeUInt32BE(0, at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(image.bytes.length, at + 12);
    header.writeUInt32BE(align, at + 16);
    offset = Math.ceil((offset + image.bytes.length) / 2 ** align) * 2 ** align;
  });
  let position = header.length;
  parts.push(header);
  images.forEach((image, index) => {
    const start = header.readUInt32BE(8 + index * 20 + 8);
    parts.push(Buffer.alloc(start - position), image.bytes);
    position = start + image.bytes.length;
  });
  return Buffer.concat(parts);
}

/** The first bytes of a 64-bit little-endian ELF executable (what a Linux node binary starts with). */
export function buildElf(): Buffer {
  const elf = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf, 0);
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // EM_X86_64
  return elf;
}
