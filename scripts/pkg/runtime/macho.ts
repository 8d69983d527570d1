// Mach-O reader: just enough to know what a file is before we ship it. Thin 64-bit little-endian images
// (MH_MAGIC_64, what arm64 and x86_64 macOS run) and fat/universal wrappers (FAT_MAGIC, FAT_MAGIC_64, big-endian)
// are read; everything else (ELF, 32-bit, big-endian images, scripts) is refused with what it looks like instead.
//
// Layouts (<mach-o/loader.h>, <mach-o/fat.h>):
//   mach_header_64: magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags, reserved (8 × u32, LE)
//   load_command:   cmd, cmdsize (u32, LE), cmdsize a multiple of 8 for 64-bit images
//   linkedit_data_command (LC_CODE_SIGNATURE 0x1D): cmd, cmdsize, dataoff, datasize
//   build_version_command (LC_BUILD_VERSION 0x32): cmd, cmdsize, platform, minos, sdk, ntools (versions xxxx.yy.zz
//   in nibbles); version_min_command (LC_VERSION_MIN_MACOSX 0x24): cmd, cmdsize, version, sdk
//   fat_header: magic, nfat_arch (BE); fat_arch: cputype, cpusubtype, offset, size, align (BE u32);
//   fat_arch_64: cputype, cpusubtype, offset (u64), size (u64), align, reserved
import { subSource, type ByteSource } from './bytes.js';
import { RuntimeError } from './errors.js';
import { cpuTypeName } from './pins.js';

export const MH_MAGIC_64 = 0xfeedfacf;
const MH_MAGIC = 0xfeedface;
const MH_CIGAM = 0xcefaedfe;
const MH_CIGAM_64 = 0xcffaedfe;
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;
export const LC_CODE_SIGNATURE = 0x1d;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
const PLATFORM_MACOS = 1;
export const MH_EXECUTE = 2;
const MACH_HEADER_64_SIZE = 32;
/** Real universal binaries carry 2-4 slices; a larger count is a Java class file or garbage, not a fat header. */
const MAX_FAT_ARCHES = 16;
/** Bounds the work a hostile header can ask for (node has 21). */
const MAX_LOAD_COMMANDS = 4096;

export interface LoadCommand {
  cmd: number;
  cmdsize: number;
  /** Offset of the command within its image. */
  offset: number;
}

/** One 64-bit Mach-O image: the whole file when thin, one slice when fat. Offsets are relative to the image. */
export interface MachOImage {
  /** Where the image starts in the file (0 when thin). */
  fileOffset: number;
  size: number;
  cpuType: number;
  cpuSubtype: number;
  fileType: number;
  flags: number;
  loadCommands: LoadCommand[];
  /** LC_CODE_SIGNATURE's linkedit_data, if present: the embedded signature's place in the image. */
  codeSignature?: { dataOffset: number; dataSize: number };
  /** The oldest macOS the image runs on ("13.5.0"), from LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX. */
  minimumMacOS?: string;
  /** The image's bytes, addressed from 0. */
  source: ByteSource;
}

export interface MachOFile {
  kind: 'thin' | 'fat';
  images: MachOImage[];
}

function describeNonMachO(head: Buffer): string {
  if (head.length >= 4 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'an ELF binary (Linux or another Unix), not Mach-O';
  if (head.length >= 2 && head.toString('latin1', 0, 2) === '#!') return 'a script (#!), not Mach-O';
  if (head.length >= 2 && head.toString('latin1', 0, 2) === 'MZ') return 'a Windows PE binary, not Mach-O';
  if (head.length < 4) return `only ${head.length} bytes long, not Mach-O`;
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  if (le === MH_MAGIC) return 'a 32-bit Mach-O image, which macOS on arm64/x86_64 does not run';
  if (be === MH_CIGAM || be === MH_CIGAM_64 || le === MH_CIGAM || le === MH_CIGAM_64) return 'a big-endian Mach-O image (PowerPC era)';
  return `magic 0x${be.toString(16).padStart(8, '0')} is not a Mach-O or fat magic`;
}

function versionText(packed: number): string {
  return `${packed >>> 16}.${(packed >>> 8) & 0xff}.${packed & 0xff}`;
}

function readImage(source: ByteSource, fileOffset: number): MachOImage {
  // Look at the magic before insisting on a whole header, so a short script is named as a script.
  const head = source.read(0, Math.min(source.size, MACH_HEADER_64_SIZE), 'the mach_header_64');
  if (head.length < 4 || head.readUInt32LE(0) !== MH_MAGIC_64) throw new RuntimeError('not-macho', `reading ${source.name}: ${describeNonMachO(head)}`);
  const header = source.read(0, MACH_HEADER_64_SIZE, 'the mach_header_64');
  const cpuType = header.readUInt32LE(4);
  const cpuSubtype = header.readUInt32LE(8);
  const fileType = header.readUInt32LE(12);
  const ncmds = header.readUInt32LE(16);
  const sizeofcmds = header.readUInt32LE(20);
  const flags = header.readUInt32LE(24);
  if (ncmds > MAX_LOAD_COMMANDS) throw new RuntimeError('bad-macho', `reading ${source.name}: ${ncmds} load commands (at most ${MAX_LOAD_COMMANDS} are read)`);
  const commands = source.read(MACH_HEADER_64_SIZE, sizeofcmds, 'the load commands');
  const loadCommands: LoadCommand[] = [];
  let codeSignature: MachOImage['codeSignature'];
  let minimumMacOS: string | undefined;
  let at = 0;
  for (let index = 0; index < ncmds; index++) {
    if (at + 8 > sizeofcmds) throw new RuntimeError('bad-macho', `reading ${source.name}: load command ${index} starts beyond sizeofcmds ${sizeofcmds}`);
    const cmd = commands.readUInt32LE(at);
    const cmdsize = commands.readUInt32LE(at + 4);
    if (cmdsize < 8 || cmdsize % 8 !== 0 || at + cmdsize > sizeofcmds) {
      throw new RuntimeError('bad-macho', `reading ${source.name}: load command ${index} (0x${cmd.toString(16)}) has cmdsize ${cmdsize}, not a multiple of 8 within sizeofcmds ${sizeofcmds}`);
    }
    loadCommands.push({ cmd, cmdsize, offset: MACH_HEADER_64_SIZE + at });
    if (cmd === LC_CODE_SIGNATURE) {
      if (codeSignature) throw new RuntimeError('bad-macho', `reading ${source.name}: more than one LC_CODE_SIGNATURE`);
      if (cmdsize < 16) throw new RuntimeError('bad-macho', `reading ${source.name}: LC_CODE_SIGNATURE has cmdsize ${cmdsize} (16 expected)`);
      const dataOffset = commands.readUInt32LE(at + 8);
      const dataSize = commands.readUInt32LE(at + 12);
      if (dataOffset + dataSize > source.size) {
        throw new RuntimeError('bad-macho', `reading ${source.name}: LC_CODE_SIGNATURE points at bytes ${dataOffset}..${dataOffset + dataSize}, beyond the ${source.size}-byte image`);
      }
      codeSignature = { dataOffset, dataSize };
    }
    if (cmd === LC_BUILD_VERSION && cmdsize >= 24 && commands.readUInt32LE(at + 8) === PLATFORM_MACOS) minimumMacOS = versionText(commands.readUInt32LE(at + 12));
    if (cmd === LC_VERSION_MIN_MACOSX && cmdsize >= 16) minimumMacOS ??= versionText(commands.readUInt32LE(at + 8));
    at += cmdsize;
  }
  return { fileOffset, size: source.size, cpuType, cpuSubtype, fileType, flags, loadCommands, ...(codeSignature ? { codeSignature } : {}), ...(minimumMacOS ? { minimumMacOS } : {}), source };
}

/** Parse a thin 64-bit or fat Mach-O; throws not-macho for anything else (an ELF is named as such). */
export function parseMachO(source: ByteSource): MachOFile {
  const head = source.read(0, Math.min(source.size, 8), 'the magic');
  if (head.length < 8) throw new RuntimeError('not-macho', `reading ${source.name}: ${describeNonMachO(head)}`);
  const beMagic = head.readUInt32BE(0);
  if (beMagic !== FAT_MAGIC && beMagic !== FAT_MAGIC_64) return { kind: 'thin', images: [readImage(source, 0)] };

  const wide = beMagic === FAT_MAGIC_64;
  const count = head.readUInt32BE(4);
  if (count === 0 || count > MAX_FAT_ARCHES) {
    throw new RuntimeError('not-macho', `reading ${source.name}: fat magic with ${count} architectures (1..${MAX_FAT_ARCHES} expected; a Java class file shares this magic)`);
  }
  const entrySize = wide ? 32 : 20;
  const table = source.read(8, count * entrySize, 'the fat_arch table');
  const images: MachOImage[] = [];
  for (let index = 0; index < count; index++) {
    const at = index * entrySize;
    const cpuType = table.readUInt32BE(at);
    const offset = wide ? Number(table.readBigUInt64BE(at + 8)) : table.readUInt32BE(at + 8);
    const size = wide ? Number(table.readBigUInt64BE(at + 16)) : table.readUInt32BE(at + 12);
    if (offset < 8 + count * entrySize) throw new RuntimeError('bad-macho', `reading ${source.name}: fat slice ${index} at offset ${offset} overlaps the fat header`);
    const slice = subSource(source, offset, size, `${source.name} (slice ${index}, ${cpuTypeName(cpuType)})`);
    const image = readImage(slice, offset);
    if (image.cpuType !== cpuType) {
      throw new RuntimeError('bad-macho', `reading ${source.name}: fat slice ${index} claims ${cpuTypeName(cpuType)} but its header says ${cpuTypeName(image.cpuType)}`);
    }
    images.push(image);
  }
  for (let a = 0; a < images.length; a++) {
    for (let b = a + 1; b < images.length; b++) {
      const x = images[a]!;
      const y = images[b]!;
      if (x.fileOffset < y.fileOffset + y.size && y.fileOffset < x.fileOffset + x.size) {
        throw new RuntimeError('bad-macho', `reading ${source.name}: fat slices ${a} and ${b} overlap`);
      }
      if (x.cpuType === y.cpuType) throw new RuntimeError('bad-macho', `reading ${source.name}: two fat slices for ${cpuTypeName(x.cpuType)}`);
    }
  }
  return { kind: 'fat', images };
}

/** The image for `cpuType`, or wrong-cpu naming what the file holds instead. */
export function requireImageFor(file: MachOFile, cpuType: number, name: string): MachOImage {
  const image = file.images.find((candidate) => candidate.cpuType === cpuType);
  if (!image) {
    const held = file.images.map((candidate) => cpuTypeName(candidate.cpuType)).join(', ');
    throw new RuntimeError('wrong-cpu', `checking ${name}: a Mach-O for ${held}, not ${cpuTypeName(cpuType)}`);
  }
  return image;
}
