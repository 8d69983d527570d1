import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../scripts/pkg/runtime/bytes.js';
import { LC_CODE_SIGNATURE, parseMachO, requireImageFor } from '../../../scripts/pkg/runtime/macho.js';
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, buildElf, buildFatMachO, buildSignedMachO } from './macho-builder.js';
import { failure } from './runtime-error.js';

function codeOf(run: () => unknown): string {
  const error = failure(run);
  return `${error.code}: ${error.message}`;
}

describe('the Mach-O reader', () => {
  it('reads a thin arm64 executable: CPU, file type and where LC_CODE_SIGNATURE puts the signature', () => {
    const built = buildSignedMachO({ cpuType: CPU_TYPE_ARM64 });
    const file = parseMachO(bufferSource(built.bytes, 'arm64-node'));
    expect(file.kind).toBe('thin');
    expect(file.images).toHaveLength(1);
    const image = requireImageFor(file, CPU_TYPE_ARM64, 'arm64-node');
    expect(image.fileType).toBe(2);
    expect(image.loadCommands.map((command) => command.cmd)).toEqual([LC_CODE_SIGNATURE]);
    expect(image.codeSignature).toEqual({ dataOffset: built.signatureOffset, dataSize: built.bytes.length - built.signatureOffset });
  });

  it('reads a thin x86_64 executable and refuses it where arm64 is expected, naming both CPUs', () => {
    const file = parseMachO(bufferSource(buildSignedMachO({ cpuType: CPU_TYPE_X86_64 }).bytes, 'x64-node'));
    expect(requireImageFor(file, CPU_TYPE_X86_64, 'x64-node').cpuType).toBe(CPU_TYPE_X86_64);
    expect(codeOf(() => requireImageFor(file, CPU_TYPE_ARM64, 'x64-node'))).toBe('wrong-cpu: checking x64-node: a Mach-O for x86_64, not arm64');
  });

  it('reads a fat binary slice by slice, each addressed from its own start', () => {
    const arm = buildSignedMachO({ cpuType: CPU_TYPE_ARM64, seed: 1 });
    const x64 = buildSignedMachO({ cpuType: CPU_TYPE_X86_64, seed: 2, codeBytes: 5 * 4096 });
    const fat = buildFatMachO([
      { cpuType: CPU_TYPE_X86_64, bytes: x64.bytes },
      { cpuType: CPU_TYPE_ARM64, bytes: arm.bytes },
    ]);
    const file = parseMachO(bufferSource(fat, 'universal'));
    expect(file.kind).toBe('fat');
    expect(file.images.map((image) => image.cpuType)).toEqual([CPU_TYPE_X86_64, CPU_TYPE_ARM64]);
    const armImage = requireImageFor(file, CPU_TYPE_ARM64, 'universal');
    expect(armImage.fileOffset % 16384).toBe(0);
    expect(armImage.size).toBe(arm.bytes.length);
    expect(armImage.source.read(0, 16, 'head').equals(arm.bytes.subarray(0, 16))).toBe(true);
    expect(armImage.codeSignature?.dataOffset).toBe(arm.signatureOffset);
  });

  it('refuses a Linux ELF binary by name', () => {
    expect(codeOf(() => parseMachO(bufferSource(buildElf(), 'linux-node')))).toBe('not-macho: reading linux-node: an ELF binary (Linux or another Unix), not Mach-O');
  });

  it('refuses 32-bit, big-endian and non-binary files', () => {
    const thirtyTwo = Buffer.alloc(64);
    thirtyTwo.writeUInt32LE(0xfeedface, 0);
    expect(codeOf(() => parseMachO(bufferSource(thirtyTwo, 'i386')))).toMatch(/^not-macho: .*32-bit Mach-O/);
    const bigEndian = Buffer.alloc(64);
    bigEndian.writeUInt32BE(0xfeedfacf, 0);
    expect(codeOf(() => parseMachO(bufferSource(bigEndian, 'ppc64')))).toMatch(/^not-macho: .*big-endian/);
    expect(codeOf(() => parseMachO(bufferSource(Buffer.from('#!/bin/sh\nexec node "$@"\n'), 'launcher')))).toMatch(/^not-macho: .*script/);
    expect(codeOf(() => parseMachO(bufferSource(Buffer.from('hi'), 'tiny')))).toMatch(/^not-macho: .*only 2 bytes/);
  });

  it('refuses a Java class file that shares the fat magic', () => {
    const javaClass = Buffer.alloc(64);
    javaClass.writeUInt32BE(0xcafebabe, 0);
    javaClass.writeUInt32BE(0x00000034, 4); // minor 0, major 52
    expect(codeOf(() => parseMachO(bufferSource(javaClass, 'Main.class')))).toMatch(/^not-macho: .*52 architectures/);
  });

  it('refuses load commands that run past sizeofcmds and a signature pointing beyond the file', () => {
    const overrun = Buffer.from(buildSignedMachO().bytes);
    overrun.writeUInt32LE(24, 36); // LC_CODE_SIGNATURE cmdsize 24 > sizeofcmds 16
    expect(codeOf(() => parseMachO(bufferSource(overrun, 'overrun')))).toMatch(/^bad-macho: .*load command 0 \(0x1d\) has cmdsize 24/);
    const beyond = Buffer.from(buildSignedMachO().bytes);
    beyond.writeUInt32LE(beyond.length, 44); // datasize: the whole file again
    expect(codeOf(() => parseMachO(bufferSource(beyond, 'beyond')))).toMatch(/^bad-macho: .*LC_CODE_SIGNATURE points at bytes .* beyond the/);
  });

  it('refuses a fat header whose slice says another CPU than its own header', () => {
    const x64 = buildSignedMachO({ cpuType: CPU_TYPE_X86_64 });
    const fat = buildFatMachO([{ cpuType: CPU_TYPE_ARM64, bytes: x64.bytes }]);
    expect(codeOf(() => parseMachO(bufferSource(fat, 'liar')))).toMatch(/^bad-macho: .*claims arm64 but its header says x86_64/);
  });
});
