// A small two-architecture product archive built with the format writers, shared by the format tests.
import { buildComponent, buildProductArchive, type Component, type PayloadEntry } from '../../../scripts/pkg/format/index.js';

/** 2026-12-02T00:00:00Z, standing in for SOURCE_DATE_EPOCH. */
export const SAMPLE_MTIME = 1_796_169_600;

/** A payload with directories, files (one empty, one non-ASCII name), and a symlink. */
export function samplePayload(runtimeBytes: Buffer): PayloadEntry[] {
  const root = { uid: 0, gid: 0 };
  return [
    { path: '.', kind: 'directory', mode: 0o755, ...root },
    { path: './Library', kind: 'directory', mode: 0o755, ...root },
    { path: './Library/Application Support', kind: 'directory', mode: 0o755, ...root },
    { path: './Library/Application Support/Untether', kind: 'directory', mode: 0o755, ...root },
    { path: './Library/Application Support/Untether/lib', kind: 'directory', mode: 0o700, ...root },
    { path: './Library/Application Support/Untether/lib/node', kind: 'file', mode: 0o755, data: runtimeBytes, ...root },
    { path: './Library/Application Support/Untether/lib/untether.mjs', kind: 'file', mode: 0o644, data: Buffer.from('console.log("hi");\n'), ...root },
    { path: './Library/Application Support/Untether/empty', kind: 'file', mode: 0o600, data: Buffer.alloc(0), ...root },
    { path: './Library/Application Support/Untether/Überprüfung – ünïcödé.txt', kind: 'file', mode: 0o644, data: Buffer.from('ß\n'), ...root },
    { path: './Library/Application Support/Untether/current', kind: 'symlink', mode: 0o755, target: 'lib/node', ...root },
  ];
}

export const SAMPLE_SCRIPTS = [
  { name: 'preinstall', data: Buffer.from('#!/bin/sh\nexit 0\n') },
  { name: 'postinstall', data: Buffer.from('#!/bin/sh\n[ "$3" = / ] || exit 0\nexit 0\n') },
];

export interface Sample {
  arm: Component;
  intel: Component;
  pkg: Buffer;
}

/** Builds the sample product archive (two components, one per architecture). */
export function buildSample(mtime = SAMPLE_MTIME): Sample {
  const arm = buildComponent({ identifier: 'io.untether.agent.arm64', version: '1.2.3', entries: samplePayload(Buffer.from('arm64 runtime\n')), scripts: SAMPLE_SCRIPTS, mtime });
  const intel = buildComponent({ identifier: 'io.untether.agent.x86_64', version: '1.2.3', entries: samplePayload(Buffer.from('x86_64 runtime, a bit longer\n')), scripts: SAMPLE_SCRIPTS, mtime });
  const pkg = buildProductArchive({
    title: 'Untether & <friends>',
    identifier: 'io.untether.agent',
    version: '1.2.3',
    minimumMacOS: '11.0',
    hostArchitectures: ['arm64', 'x86_64'],
    components: [
      { fileName: 'untether-arm64.pkg', component: arm, choice: { id: 'arm64', title: 'Apple silicon', selected: "system.sysctl('hw.optional.arm64') == 1" } },
      { fileName: 'untether-x86_64.pkg', component: intel, choice: { id: 'x86_64', title: 'Intel', selected: "system.sysctl('hw.optional.arm64') != 1" } },
    ],
    installationCheck: { call: 'supported()', script: "function supported() { return system.compareVersions(system.version.ProductVersion, '11.0') >= 0 && true; }" },
    mtime,
  });
  return { arm, intel, pkg };
}
