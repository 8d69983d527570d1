// The inspect CLI as an admin runs it: the built dist/scripts/pkg/inspect.js in a child process.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComponent, buildProductArchive } from '../../../scripts/pkg/format/index.js';
import { buildSample, SAMPLE_MTIME, samplePayload } from './sample.js';

const INSPECT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'scripts', 'pkg', 'inspect.js');

async function inspect(...args: string[]) {
  return execa(process.execPath, [INSPECT, ...args], { reject: false, timeout: 60_000 });
}

describe('npm run pkg:inspect', () => {
  let work: string;
  let good: string;
  let problematic: string;
  let damaged: string;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'untether-inspect-'));
    good = path.join(work, 'good.pkg');
    writeFileSync(good, buildSample().pkg);
    const owned = buildComponent({ identifier: 'io.example.owned', version: '2', entries: samplePayload(Buffer.from('x')).map((e) => ({ ...e, gid: 80 })), mtime: SAMPLE_MTIME });
    problematic = path.join(work, 'problematic.pkg');
    writeFileSync(problematic, buildProductArchive({ title: 'P', identifier: 'io.example', version: '2', minimumMacOS: '11.0', hostArchitectures: ['arm64'], components: [{ fileName: 'owned.pkg', component: owned, choice: { id: 'owned', title: 'Owned', selected: 'true' } }], mtime: SAMPLE_MTIME }));
    const bytes = buildSample().pkg;
    bytes[bytes.length - 5]! ^= 0xff;
    damaged = path.join(work, 'damaged.pkg');
    writeFileSync(damaged, bytes);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints the TOC, the choices, PackageInfo and the Bom in lsbom columns, and exits 0 on a clean package', async () => {
    const result = await inspect(good);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}untether-arm64\.pkg\/Payload\s+file\s+application\/octet-stream\s+\d+\s+\d+\s+0644\s+0:0$/m);
    expect(result.stdout).toContain("arm64: title \"Apple silicon\"  visible false  selected system.sysctl('hw.optional.arm64') == 1  pkg-refs io.untether.agent.arm64");
    expect(result.stdout).toContain('io.untether.agent.x86_64: version 1.2.3  installKBytes 4  #untether-x86_64.pkg');
    expect(result.stdout).toContain('identifier io.untether.agent.arm64  version 1.2.3  install-location /  auth root');
    expect(result.stdout).toContain('    .\t40755\t0/0\n');
    expect(result.stdout).toContain('    ./Library/Application Support/Untether/lib/node\t100755\t0/0\t14\t2399764287\n');
    expect(result.stdout).toContain('    ./Library/Application Support/Untether/empty\t100600\t0/0\t0\t4294967295\n');
    expect(result.stdout).toContain('    ./Library/Application Support/Untether/current\t120755\t0/0\t8\t196176503\tlib/node\n');
    expect(result.stdout).toContain('    ./preinstall\t100755\t0/0\t17 bytes\t#!/bin/sh');
    expect(result.stdout.trimEnd().endsWith('Check: clean')).toBe(true);
  });

  it('gives the same as JSON with --json', async () => {
    const result = await inspect(good, '--json');
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as { kind: string; clean: boolean; components: { fileName: string; bom: { lsbom: string }[] }[] };
    expect(json.kind).toBe('product');
    expect(json.clean).toBe(true);
    expect(json.components[0]?.bom.map((b) => b.lsbom)).toContain('./Library/Application Support/Untether/lib/node\t100755\t0/0\t14\t2399764287');
  });

  it('exits 1 and lists the problems of a package that is not root:wheel, and of a damaged one', async () => {
    const result = await inspect(problematic);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/Check: \d+ problems/);
    expect(result.stdout).toContain('is owned 0:80, not root:wheel (0:0)');
    const broken = await inspect(damaged);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toMatch(/damaged\.pkg: refused: reading XAR: .*checksum does not match/);
  });

  it('exits 2 with help on bad usage, and 0 with --help', async () => {
    const none = await inspect();
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('no package file given');
    expect(none.stderr).toContain('Usage: npm run pkg:inspect -- FILE.pkg [--json]');
    expect((await inspect(good, '--frobnicate')).exitCode).toBe(2);
    expect((await inspect(path.join(work, 'missing.pkg'))).exitCode).toBe(2);
    const help = await inspect('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Exit status: 0 when the package checks clean');
  });
});
