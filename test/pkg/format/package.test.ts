import { describe, expect, it } from 'vitest';
import {
  buildComponent,
  buildProductArchive,
  checkPackage,
  parseDistribution,
  parsePackageInfo,
  readPackage,
  writeBom,
  writeComponentPackage,
  writeDistribution,
  writePackageInfo,
  type PackageInfo,
} from '../../../scripts/pkg/format/index.js';
import { buildSample, SAMPLE_MTIME, SAMPLE_SCRIPTS, samplePayload } from './sample.js';

describe('product archive', () => {
  it('reads back as built: Distribution choices, PackageInfo, Bom and Payload agree, and checks clean', () => {
    const { pkg, arm } = buildSample();
    const read = readPackage(pkg);
    expect(read.kind).toBe('product');
    expect(read.problems).toEqual([]);
    expect(checkPackage(read)).toEqual([]);
    const d = read.distribution!;
    expect(d.title).toBe('Untether & <friends>');
    expect(d.minimumMacOS).toBe('11.0');
    expect(d.hostArchitectures).toEqual(['arm64', 'x86_64']);
    expect(d.customize).toBe('never');
    expect(d.enableLocalSystem).toBe(true);
    expect(d.outline).toEqual(['arm64', 'x86_64']);
    expect(d.choices.map((c) => [c.id, c.visible, c.selected, c.pkgRefs])).toEqual([
      ['arm64', 'false', "system.sysctl('hw.optional.arm64') == 1", ['io.untether.agent.arm64']],
      ['x86_64', 'false', "system.sysctl('hw.optional.arm64') != 1", ['io.untether.agent.x86_64']],
    ]);
    expect(d.pkgRefs).toEqual([
      { id: 'io.untether.agent.arm64', version: '1.2.3', installKBytes: arm.packageInfo.payload!.installKBytes, fileName: 'untether-arm64.pkg' },
      { id: 'io.untether.agent.x86_64', version: '1.2.3', installKBytes: 4, fileName: 'untether-x86_64.pkg' },
    ]);
    expect(d.installationCheck).toBe('supported()');
    expect(d.scripts[0]).toContain(">= 0 && true");
    const component = read.components.find((c) => c.fileName === 'untether-arm64.pkg')!;
    expect(component.packageInfo).toEqual(arm.packageInfo);
    expect(component.packageInfo?.scripts).toEqual({ preinstall: 'preinstall', postinstall: 'postinstall' });
    const payload = samplePayload(Buffer.from('arm64 runtime\n'));
    expect(component.payload!.map((e) => e.path).sort()).toEqual(payload.map((e) => e.path).sort());
    for (const expected of payload) {
      const got = component.payload!.find((e) => e.path === expected.path)!;
      expect([got.kind, got.mode, got.uid, got.gid, got.target]).toEqual([expected.kind, expected.mode, expected.uid, expected.gid, expected.target]);
      if (expected.data) expect(got.data?.equals(expected.data), expected.path).toBe(true);
      expect(got.mtime).toBe(SAMPLE_MTIME);
    }
    const byPath = (a: { path: string }, b: { path: string }): number => a.path.localeCompare(b.path);
    expect(component.bom!.slice().sort(byPath)).toEqual(arm.bomEntries.slice().sort(byPath));
    expect(component.scripts!.map((s) => [s.path, s.mode])).toEqual([['.', 0o755], ['./postinstall', 0o755], ['./preinstall', 0o755]]);
  });

  it('is deterministic: building twice gives identical bytes; another mtime gives other bytes', () => {
    expect(buildSample().pkg.equals(buildSample().pkg)).toBe(true);
    expect(buildSample(SAMPLE_MTIME + 60).pkg.equals(buildSample().pkg)).toBe(false);
  });

  it('refuses a package whose heap or TOC was tampered with, with a clear error', () => {
    const { pkg } = buildSample();
    const heapData = Buffer.from(pkg);
    heapData[heapData.length - 10]! ^= 0x01;
    expect(() => readPackage(heapData)).toThrow(/reading XAR: "untether-x86_64\.pkg\/PackageInfo": archived sha1 checksum does not match/);
    const toc = Buffer.from(pkg);
    toc[60]! ^= 0x01;
    expect(() => readPackage(toc)).toThrow(/reading XAR: (the TOC|TOC is)/);
  });

  it('reads a component package (no Distribution) the same way', () => {
    const component = buildComponent({ identifier: 'io.example.c', version: '1', entries: samplePayload(Buffer.from('x')), scripts: SAMPLE_SCRIPTS, mtime: SAMPLE_MTIME });
    const read = readPackage(writeComponentPackage(component, { mtime: SAMPLE_MTIME }));
    expect(read.kind).toBe('component');
    expect(read.distribution).toBeUndefined();
    expect(read.components.map((c) => c.fileName)).toEqual(['']);
    expect(checkPackage(read)).toEqual([]);
  });
});

describe('checkPackage', () => {
  const mtime = SAMPLE_MTIME;

  it('finds a Bom that disagrees with the Payload, foreign owners, bad scripts, and unresolved pkg-refs', () => {
    const good = buildComponent({ identifier: 'io.example.good', version: '1', entries: samplePayload(Buffer.from('x')), scripts: SAMPLE_SCRIPTS, mtime });
    const entries = samplePayload(Buffer.from('x')).map((e) => (e.path.endsWith('untether.mjs') ? { ...e, uid: 501, gid: 20 } : e));
    const bad = buildComponent({
      identifier: 'io.example.bad',
      version: '1',
      entries,
      scripts: [{ name: 'preinstall', data: Buffer.from('echo no shebang\n'), mode: 0o644 }, { name: 'postinstall', data: Buffer.from('#!/bin/sh\n') }],
      mtime,
    });
    // Swap in a Bom that lacks one path and has another mode for a second one.
    bad.files.Bom = writeBom(
      bad.bomEntries.filter((b) => !b.path.endsWith('/empty')).map((b) => (b.path.endsWith('/lib/node') ? { ...b, mode: 0o700, checksum: 1 } : b)),
    );
    const pkg = buildProductArchive({
      title: 'T',
      identifier: 'io.example',
      version: '1',
      minimumMacOS: '11.0',
      hostArchitectures: ['x86_64'],
      components: [
        { fileName: 'good.pkg', component: good, choice: { id: 'good', title: 'Good', selected: 'true' } },
        { fileName: 'bad.pkg', component: bad, choice: { id: 'bad', title: 'Bad', selected: 'true' } },
      ],
      mtime,
    });
    const problems = checkPackage(readPackage(pkg)).join('\n');
    expect(problems).toContain('component bad.pkg: Payload has "./Library/Application Support/Untether/empty", the Bom does not list it');
    expect(problems).toContain('component bad.pkg: "./Library/Application Support/Untether/lib/node" mode is 0700 in the Bom, 0755 in the Payload');
    expect(problems).toMatch(/"\.\/Library\/Application Support\/Untether\/lib\/node" Bom checksum 1 is not the cksum \d+/);
    expect(problems).toContain('component bad.pkg Payload: "./Library/Application Support/Untether/lib/untether.mjs" is owned 501:20, not root:wheel (0:0)');
    expect(problems).toContain('component bad.pkg Bom: "./Library/Application Support/Untether/lib/untether.mjs" is owned 501:20');
    expect(problems).toContain('component bad.pkg: preinstall mode 0644 is not executable');
    expect(problems).toContain('component bad.pkg: preinstall does not start with "#!"');
    expect(problems).toContain('hostArchitectures "x86_64" lacks arm64');
    expect(problems).not.toContain('good.pkg');
  });

  it('finds Distribution references to missing components and components outside the outline', () => {
    const c = buildComponent({ identifier: 'io.example.c', version: '1', entries: samplePayload(Buffer.from('x')), mtime });
    const read = readPackage(buildProductArchive({ title: 'T', identifier: 'io.example', version: '1', minimumMacOS: '11.0', hostArchitectures: ['arm64'], components: [{ fileName: 'c.pkg', component: c, choice: { id: 'c', title: 'C', selected: 'true' } }], mtime }));
    const d = read.distribution!;
    read.distribution = { ...d, outline: [], pkgRefs: [...d.pkgRefs, { id: 'io.example.gone', fileName: 'gone.pkg' }] };
    const problems = checkPackage(read);
    expect(problems).toContain('Distribution: pkg-ref "io.example.gone" refers to "#gone.pkg", which the archive does not contain');
    expect(problems).toContain('Distribution: pkg-ref "io.example.c" (c.pkg) is in no outlined choice');
  });
});

describe('PackageInfo and Distribution XML', () => {
  it('round-trips PackageInfo, including characters XML must escape', () => {
    const info: PackageInfo = {
      formatVersion: '2',
      identifier: 'io.example.a&b',
      version: '1.0 "beta" <2>',
      installLocation: '/',
      auth: 'root',
      relocatable: false,
      overwritePermissions: false,
      followSymLinks: false,
      postinstallAction: 'none',
      payload: { numberOfFiles: 3, installKBytes: 12 },
      scripts: { postinstall: 'postinstall' },
    };
    const xml = writePackageInfo(info);
    expect(xml).toContain('identifier="io.example.a&amp;b"');
    expect(xml).toContain('<postinstall file="./postinstall"/>');
    expect(parsePackageInfo(xml)).toEqual(info);
  });

  it('parses a productbuild-style PackageInfo and Distribution with extra elements, split pkg-refs and nested outline lines', () => {
    const info = parsePackageInfo(`<?xml version="1.0" encoding="utf-8" standalone="no"?>
<pkg-info overwrite-permissions="true" relocatable="false" identifier="us.zoom.pkg.videomeeting" postinstall-action="none" version="6.7.2.72191" format-version="2" generator-version="InstallCmds-861 (25A362)" install-location="/Applications" auth="root">
    <payload numberOfFiles="2279" installKBytes="240000"/>
    <bundle CFBundleShortVersionString="6.7.2" id="us.zoom.xos" path="./zoom.us.app"/>
    <bundle-version><bundle id="us.zoom.xos"/></bundle-version>
    <scripts><preinstall file="./preinstall"/><postinstall file="./postinstall"/></scripts>
    <strict-identifiers><bundle id="us.zoom.xos"/></strict-identifiers>
</pkg-info>`);
    expect(info).toMatchObject({ identifier: 'us.zoom.pkg.videomeeting', installLocation: '/Applications', overwritePermissions: true, payload: { numberOfFiles: 2279 }, scripts: { preinstall: 'preinstall' } });
    const d = parseDistribution(`<?xml version="1.0" encoding="utf-8"?>
<installer-gui-script minSpecVersion="1">
    <!-- a comment -->
    <title>Zoom</title>
    <options customize="never" require-scripts="false" hostArchitectures="x86_64,arm64"/>
    <options rootVolumeOnly="true"/>
    <script><![CDATA[function check() { return a < b && c; }]]></script>
    <choices-outline><line choice="default"><line choice="us.zoom.pkg.videomeeting"/></line></choices-outline>
    <choice id="default"/>
    <choice id="us.zoom.pkg.videomeeting" visible="false"><pkg-ref id="us.zoom.pkg.videomeeting"/></choice>
    <pkg-ref id="us.zoom.pkg.videomeeting" version="6.7.2" onConclusion="none">#zoomus%20app.pkg</pkg-ref>
    <pkg-ref id="us.zoom.pkg.videomeeting"><bundle-version><bundle id="us.zoom.xos"/></bundle-version></pkg-ref>
</installer-gui-script>`);
    expect(d.outline).toEqual(['default', 'us.zoom.pkg.videomeeting']);
    expect(d.hostArchitectures).toEqual(['x86_64', 'arm64']);
    expect(d.scripts).toEqual(['function check() { return a < b && c; }']);
    expect(d.pkgRefs).toEqual([{ id: 'us.zoom.pkg.videomeeting', version: '6.7.2', fileName: 'zoomus app.pkg' }]);
  });

  it('writes choices whose selected expression survives escaping, and refuses duplicate choice ids', () => {
    const choice = { id: 'a', title: 'A "quoted" & <b>', selected: "system.sysctl('hw.optional.arm64') == 1 && my.target.mountpoint != '<x>'", pkgRef: { id: 'io.a', version: '1', installKBytes: 1, fileName: 'a b.pkg' } };
    const xml = writeDistribution({ title: 'T', minimumMacOS: '12.0', hostArchitectures: ['arm64', 'x86_64'], choices: [choice] });
    expect(xml).toContain('#a%20b.pkg</pkg-ref>');
    const parsed = parseDistribution(xml);
    expect(parsed.choices[0]).toMatchObject({ title: choice.title, selected: choice.selected });
    expect(parsed.pkgRefs[0]?.fileName).toBe('a b.pkg');
    expect(() => writeDistribution({ title: 'T', minimumMacOS: '12.0', hostArchitectures: ['arm64'], choices: [choice, choice] })).toThrow(/choice id "a" appears twice/);
    expect(() => parseDistribution('<installer-gui-script><title>x &nbsp; y</title></installer-gui-script>')).toThrow(/unknown entity &nbsp;/);
  });
});
