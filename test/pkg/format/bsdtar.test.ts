// An independent reader: Debian's bsdtar (libarchive-tools) lists and extracts our XAR and our gzip cpio
// payloads. CI installs it (.ci/run); a local run without it skips with a message, CI fails.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../../scripts/pkg/format/index.js';
import { buildSample, samplePayload, SAMPLE_MTIME, type Sample } from './sample.js';

const BSDTAR = '/usr/bin/bsdtar';
const available = existsSync(BSDTAR);
if (!available && process.env.CI !== undefined) throw new Error(`${BSDTAR} is required in CI: install the libarchive-tools package`);
if (!available) console.warn(`skipping the bsdtar cross-check: ${BSDTAR} is missing (apt-get install libarchive-tools)`);

function bsdtar(args: string[], cwd?: string): string {
  return execFileSync(BSDTAR, args, { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
}

describe.skipIf(!available)('bsdtar reads what we write', () => {
  let work: string;
  let sample: Sample;
  let pkgFile: string;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'untether-pkgfmt-'));
    sample = buildSample();
    pkgFile = path.join(work, 'sample.pkg');
    writeFileSync(pkgFile, sample.pkg);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lists the XAR with our names, modes and root:wheel owners, and extracts the same bytes our reader returns', () => {
    const listing = bsdtar(['-tvf', pkgFile]).trim().split('\n');
    const read = readPackage(sample.pkg);
    expect(listing).toHaveLength(read.toc.length);
    for (const entry of read.toc) {
      const line = listing.find((l) => l.endsWith(` ${entry.path}`));
      expect(line, entry.path).toBeDefined();
      expect(line).toMatch(entry.type === 'directory' ? /^drwxr-xr-x\s+\d+\s+root\s+wheel\s/ : /^-rw-r--r--\s+\d+\s+root\s+wheel\s/);
    }
    const out = path.join(work, 'xar');
    execFileSync('mkdir', ['-p', out]);
    bsdtar(['-xf', pkgFile], out);
    for (const [name, data] of read.xar.files) expect(readFileSync(path.join(out, name)).equals(data), name).toBe(true);
    expect(readFileSync(path.join(out, 'untether-arm64.pkg', 'Payload')).equals(sample.arm.files.Payload)).toBe(true);
  });

  it('lists and extracts the gzip cpio Payload and Scripts with our names, modes, owners, link targets and bytes', () => {
    const payloadFile = path.join(work, 'Payload');
    writeFileSync(payloadFile, sample.arm.files.Payload);
    const expected = samplePayload(Buffer.from('arm64 runtime\n'));
    const listing = bsdtar(['-tvf', payloadFile, '--numeric-owner']).trim().split('\n');
    expect(listing.map((l) => l.replace(/^.*? \w{3} +\d+ +[\d:]+ /, '').replace(/ -> .*$/, '')).sort()).toEqual(expected.map((e) => e.path).sort());
    for (const line of listing) expect(line).toMatch(/^\S+\s+\d+\s+0\s+0\s/);
    const out = path.join(work, 'payload');
    execFileSync('mkdir', ['-p', out]);
    // As root bsdtar would restore owners; -p keeps modes whatever the umask.
    bsdtar(['-xpf', payloadFile], out);
    for (const entry of expected) {
      const onDisk = path.join(out, entry.path);
      const stat = lstatSync(onDisk);
      if (entry.kind === 'symlink') {
        expect(stat.isSymbolicLink(), entry.path).toBe(true);
        expect(readlinkSync(onDisk)).toBe(entry.target);
        continue;
      }
      expect(stat.mode & 0o7777, entry.path).toBe(entry.mode);
      expect(stat.isDirectory(), entry.path).toBe(entry.kind === 'directory');
      if (entry.kind === 'file') {
        expect(readFileSync(onDisk).equals(entry.data!), entry.path).toBe(true);
        expect(Math.round(stat.mtimeMs / 1000)).toBe(SAMPLE_MTIME);
      }
      if (process.getuid?.() === 0) expect([stat.uid, stat.gid], entry.path).toEqual([0, 0]);
    }
    const scriptsFile = path.join(work, 'Scripts');
    writeFileSync(scriptsFile, sample.arm.files.Scripts!);
    expect(bsdtar(['-tvf', scriptsFile, '--numeric-owner'])).toMatch(/^-rwxr-xr-x\s+\d+\s+0\s+0\s+\d+ .* \.\/preinstall$/m);
  });
});
