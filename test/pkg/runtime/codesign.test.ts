import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../scripts/pkg/runtime/bytes.js';
import { readCodeSignature, requireSigner, verifyCodeSignature } from '../../../scripts/pkg/runtime/codesign.js';
import { parseMachO, type MachOImage } from '../../../scripts/pkg/runtime/macho.js';
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, buildFatMachO, buildSignedMachO } from './macho-builder.js';
import { failure } from './runtime-error.js';

const NODE_SIGNER = { identifier: 'node', teamId: 'HX7739G8FX' };

function image(bytes: Buffer, name = 'node'): MachOImage {
  return parseMachO(bufferSource(bytes, name)).images[0]!;
}


describe('the code signature verifier', () => {
  it('accepts an intact binary and reads its identifier, team ID, CMS presence and CDHash', () => {
    const built = buildSignedMachO();
    const facts = verifyCodeSignature(image(built.bytes), { chunkPages: 2 });
    expect(facts.identifier).toBe('node');
    expect(facts.teamId).toBe('HX7739G8FX');
    expect(facts.adhoc).toBe(false);
    expect(facts.hardenedRuntime).toBe(true);
    expect(facts.cms.present).toBe(true);
    expect(facts.inUse).toMatchObject({ slot: 0, hashTypeName: 'sha256', pageSize: 4096, codeLimit: built.codeLimit, nCodeSlots: 4 });
    expect(facts.inUse.cdHash).toBe(built.cdHashes[0]);
    expect(facts.verifiedPages).toBe(4);
    expect(facts.verifiedSpecialSlots).toEqual([2]);
    expect(facts.blobs.map((blob) => blob.slot)).toEqual([0, 2, 0x10000]);
    expect(facts.entitlementKeys).toEqual([]);
    expect(() => requireSigner(facts, NODE_SIGNER, 'node')).not.toThrow();
  });

  it('refuses a binary with one byte changed in a page, naming that page', () => {
    const built = buildSignedMachO();
    const tampered = Buffer.from(built.bytes);
    tampered[2 * 4096 + 100]! ^= 0x01;
    const error = failure(() => verifyCodeSignature(image(tampered), { chunkPages: 3 }));
    expect(error.code).toBe('page-mismatch');
    expect(error.message).toMatch(/page 2 \(bytes 8192\.\.12288\) hashes to [0-9a-f]{64} but the sha256 CodeDirectory says [0-9a-f]{64}: the binary was modified after signing/);
  });

  it('hashes the last page only up to the code limit, and catches a change there', () => {
    const built = buildSignedMachO();
    expect(built.codeLimit % 4096).not.toBe(0);
    const tampered = Buffer.from(built.bytes);
    tampered[built.codeLimit - 1]! ^= 0xff;
    expect(failure(() => verifyCodeSignature(image(tampered))).message).toMatch(/page 3 \(bytes 12288\.\.13296\)/);
  });

  it('catches a change to a load command (the header is page 0 too)', () => {
    const tampered = Buffer.from(buildSignedMachO().bytes);
    tampered.writeUInt32LE(0x00200084, 24); // mach header flags
    expect(failure(() => verifyCodeSignature(image(tampered))).message).toMatch(/page 0 /);
  });

  it('refuses a requirements blob that no longer matches its special slot', () => {
    const built = buildSignedMachO();
    const tampered = Buffer.from(built.bytes);
    const signature = tampered.subarray(built.signatureOffset);
    const requirementsOffset = signature.readUInt32BE(12 + 8 + 4); // second index entry
    signature.writeUInt32BE(1, requirementsOffset + 8); // one requirement instead of none
    const error = failure(() => verifyCodeSignature(image(tampered)));
    expect(error.code).toBe('page-mismatch');
    expect(error.message).toMatch(/special slot -2/);
  });

  it('refuses a signer other than the Node.js Foundation: another team, another identifier, ad-hoc', () => {
    const otherTeam = verifyCodeSignature(image(buildSignedMachO({ teamId: 'ABCDE12345' }).bytes));
    expect(failure(() => requireSigner(otherTeam, NODE_SIGNER, 'node'))).toMatchObject({ code: 'wrong-signer', message: 'checking the signer of node: team ID ABCDE12345, expected HX7739G8FX' });
    const noTeam = verifyCodeSignature(image(buildSignedMachO({ teamId: null }).bytes));
    expect(failure(() => requireSigner(noTeam, NODE_SIGNER, 'node')).message).toMatch(/team ID \(none\)/);
    const otherIdentifier = verifyCodeSignature(image(buildSignedMachO({ identifier: 'evil' }).bytes));
    expect(failure(() => requireSigner(otherIdentifier, NODE_SIGNER, 'node')).message).toMatch(/identifier "evil", expected "node"/);
    const adhoc = verifyCodeSignature(image(buildSignedMachO({ adhoc: true }).bytes));
    expect(adhoc.cms).toEqual({ present: false, bytes: 0 });
    expect(failure(() => requireSigner(adhoc, NODE_SIGNER, 'node')).message).toMatch(/ad-hoc signed/);
  });

  it('uses the sha256 CodeDirectory when a sha1 one sits in slot 0, and verifies both', () => {
    const built = buildSignedMachO({ hashTypes: [1, 2] });
    const facts = verifyCodeSignature(image(built.bytes));
    expect(facts.codeDirectories.map((cd) => [cd.slot, cd.hashTypeName])).toEqual([
      [0, 'sha1'],
      [0x1000, 'sha256'],
    ]);
    expect(facts.inUse.slot).toBe(0x1000);
    expect(facts.inUse.cdHash).toBe(built.cdHashes[1]);
    expect(facts.verifiedPages).toBe(8);
    const tampered = Buffer.from(built.bytes);
    tampered[4096 + 5]! ^= 0x80;
    expect(failure(() => verifyCodeSignature(image(tampered))).message).toMatch(/page 1 .*sha1 CodeDirectory/);
  });

  it('refuses an unsigned binary and bytes appended after the signature', () => {
    const unsigned = Buffer.from(buildSignedMachO().bytes);
    unsigned.writeUInt32LE(0, 44); // LC_CODE_SIGNATURE datasize 0
    expect(failure(() => verifyCodeSignature(image(unsigned))).code).toBe('unsigned');
    const appended = buildSignedMachO({ trailingBytes: 4096 });
    expect(failure(() => verifyCodeSignature(image(appended.bytes))).message).toMatch(/4096 bytes follow the signature, which no page hash covers/);
  });

  it('refuses a SuperBlob whose index points outside it', () => {
    const built = buildSignedMachO();
    const broken = Buffer.from(built.bytes);
    broken.writeUInt32BE(0x7fffffff, built.signatureOffset + 16); // first blob offset
    expect(failure(() => readCodeSignature(image(broken)))).toMatchObject({ code: 'bad-signature' });
  });

  it('verifies every slice of a fat binary from the slice start', () => {
    const arm = buildSignedMachO({ cpuType: CPU_TYPE_ARM64, seed: 7 });
    const x64 = buildSignedMachO({ cpuType: CPU_TYPE_X86_64, seed: 8, pageSizeLog2: 14, codeBytes: 40_000 });
    const fat = buildFatMachO([
      { cpuType: CPU_TYPE_ARM64, bytes: arm.bytes },
      { cpuType: CPU_TYPE_X86_64, bytes: x64.bytes },
    ]);
    const file = parseMachO(bufferSource(fat, 'universal'));
    const [armFacts, x64Facts] = file.images.map((slice) => verifyCodeSignature(slice));
    expect(armFacts!.inUse.cdHash).toBe(arm.cdHashes[0]);
    expect(x64Facts!.inUse).toMatchObject({ pageSize: 16384, nCodeSlots: 3, cdHash: x64.cdHashes[0] });
    const tampered = Buffer.from(fat);
    tampered[file.images[1]!.fileOffset + 20_000]! ^= 1;
    const x64Slice = parseMachO(bufferSource(tampered, 'universal')).images[1]!;
    expect(failure(() => verifyCodeSignature(x64Slice)).message).toMatch(/slice 1, x86_64.*page 1 \(bytes 16384\.\.32768\)/);
  });

  it('computes the CDHash as the CodeDirectory hashed with its own hash type', () => {
    const built = buildSignedMachO();
    const facts = readCodeSignature(image(built.bytes));
    const cdEntry = facts.blobs.find((blob) => blob.slot === 0)!;
    const cd = built.bytes.subarray(built.signatureOffset + cdEntry.offset, built.signatureOffset + cdEntry.offset + cdEntry.length);
    expect(facts.inUse.cdHash).toBe(createHash('sha256').update(cd).digest('hex').slice(0, 40));
  });
});
