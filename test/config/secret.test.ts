import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnrollmentSecret } from '../../agent/src/config/secret.js';
import { clearSecretValues, redactString } from '../../agent/src/log/redact.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';

const FILE = '/Library/Application Support/Untether/enrollment-secret';
let root: string;

function secretFile(content: string, mode = 0o600): string {
  const file = path.join(root, FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'untether-secret-'));
  setSystemRoot(root);
});

afterEach(() => {
  setSystemRoot(undefined);
  clearSecretValues();
  rmSync(root, { recursive: true, force: true });
});

const isRoot = process.geteuid?.() === 0;

describe('readEnrollmentSecret', () => {
  it('prefers the inline value and registers it for redaction', () => {
    expect(readEnrollmentSecret({ enrollmentSecret: 'inline-secret-1', enrollmentSecretFile: FILE, spkiPins: [] })).toEqual({ kind: 'found', secret: 'inline-secret-1', source: 'profile' });
    expect(redactString('x inline-secret-1 y')).toBe('x [REDACTED] y');
  });

  it('says none when neither is configured', () => {
    expect(readEnrollmentSecret({ spkiPins: [] })).toEqual({ kind: 'none' });
  });

  it.runIf(isRoot)('reads a root-only file, trimmed, and registers it', () => {
    secretFile('file-secret-22\n');
    expect(readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] })).toEqual({ kind: 'found', secret: 'file-secret-22', source: 'file' });
    expect(redactString('file-secret-22')).toBe('[REDACTED]');
  });

  it.runIf(isRoot)('refuses a file others can read, one not owned by root, a symlink, an empty one, and a missing one, without the secret in the reason', () => {
    const file = secretFile('file-secret-33', 0o644);
    const refused = readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] });
    expect(refused).toMatchObject({ kind: 'refused', reason: expect.stringContaining('mode 644') });
    expect(JSON.stringify(refused)).not.toContain('file-secret-33');
    chmodSync(file, 0o600);
    chownSync(file, 501, 20);
    expect(readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('uid 501') });
    rmSync(file);
    symlinkSync('/etc/hostname', file);
    expect(readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('ELOOP') });
    rmSync(file);
    secretFile('  \n');
    expect(readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('empty') });
    rmSync(file);
    expect(readEnrollmentSecret({ enrollmentSecretFile: FILE, spkiPins: [] })).toMatchObject({ kind: 'refused', reason: expect.stringContaining('ENOENT') });
  });
});
