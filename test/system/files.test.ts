import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SystemFileError,
  accountFileExists,
  accountFilePath,
  ensurePrivateDirectory,
  readAccountFile,
  readPlistFile,
  removeAccountFile,
  writeFileAtomic,
} from '../../agent/src/system/files.js';
import { FakeMac, fixtureText } from './fake-mac.js';

describe('files', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
    mkdirSync(mac.path('/Users/jdoe'), { recursive: true });
  });
  afterEach(() => mac.dispose());

  it('finds, reads and removes ~/.account under the system root', async () => {
    writeFileSync(mac.path('/Users/jdoe/.account'), 'cached');
    expect(accountFilePath('/Users/jdoe')).toBe('/Users/jdoe/.account');
    await expect(accountFileExists('/Users/jdoe')).resolves.toBe(true);
    await expect(readAccountFile('/Users/jdoe', null)).resolves.toEqual(Buffer.from('cached'));
    await expect(removeAccountFile('/Users/jdoe', null)).resolves.toBe(true);
    await expect(accountFileExists('/Users/jdoe')).resolves.toBe(false);
    await expect(removeAccountFile('/Users/jdoe', null)).resolves.toBe(false);
    await expect(readAccountFile('/Users/jdoe', null)).resolves.toBeUndefined();
  });

  it('never follows a ~/.account symlink: reading refuses it, removing removes only the link', async () => {
    writeFileSync(mac.path('/secret'), 'root only');
    symlinkSync(mac.path('/secret'), mac.path('/Users/jdoe/.account'));
    await expect(readAccountFile('/Users/jdoe', null)).rejects.toMatchObject({ code: 'E_FILE_UNEXPECTED_TYPE' });
    await expect(removeAccountFile('/Users/jdoe', null)).resolves.toBe(true);
    expect(readFileSync(mac.path('/secret'), 'utf8')).toBe('root only');
  });

  it('refuses a relative or climbing home path', () => {
    expect(() => accountFilePath('Users/jdoe')).toThrow(TypeError);
    expect(() => accountFilePath('/Users/../etc')).toThrow(TypeError);
  });

  it('reads an XML plist file, answers undefined for a missing one', async () => {
    mkdirSync(mac.path('/Library/Preferences'), { recursive: true });
    writeFileSync(mac.path('/Library/Preferences/x.plist'), fixtureText('macos-14/security-authorizationdb-read-system.login.console'));
    await expect(readPlistFile('/Library/Preferences/x.plist')).resolves.toMatchObject({ class: 'evaluate-mechanisms' });
    await expect(readPlistFile('/Library/Preferences/missing.plist')).resolves.toBeUndefined();
  });

  it('gives typed errors for a truncated binary plist and a malformed XML one', async () => {
    mkdirSync(mac.path('/var/db'), { recursive: true });
    writeFileSync(mac.path('/var/db/jdoe.plist'), Buffer.concat([Buffer.from('bplist00'), Buffer.from([0xd1, 0x01, 0x02])]));
    writeFileSync(mac.path('/var/db/bad.plist'), '<plist><dict><key>a</key></plist>');
    const binary = await readPlistFile('/var/db/jdoe.plist').catch((caught: unknown) => caught);
    expect(binary).toBeInstanceOf(SystemFileError);
    expect(binary).toMatchObject({ code: 'E_FILE_BAD_PLIST', path: '/var/db/jdoe.plist' });
    await expect(readPlistFile('/var/db/bad.plist')).rejects.toMatchObject({ code: 'E_FILE_BAD_PLIST' });
  });

  it('writes atomically: 0600 file in a 0700 directory, old content replaced, no temporary left', async () => {
    const dir = '/Library/Application Support/Untether/journal';
    await ensurePrivateDirectory(dir);
    expect(statSync(mac.path(dir)).mode & 0o777).toBe(0o700);
    await writeFileAtomic(`${dir}/run.json`, '{"v":1}');
    await writeFileAtomic(`${dir}/run.json`, '{"v":2}');
    expect(readFileSync(mac.path(`${dir}/run.json`), 'utf8')).toBe('{"v":2}');
    expect(statSync(mac.path(`${dir}/run.json`)).mode & 0o777).toBe(0o600);
    expect(readdirSync(mac.path(dir))).toEqual(['run.json']);
  });

  it('reports a failed write with the Mac path and cleans up', async () => {
    const error = await writeFileAtomic('/nonexistent/dir/file', 'x').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_FILE_IO', path: '/nonexistent/dir/file' });
    expect((error as Error).message).toBe('writing file atomically: /nonexistent/dir/file: ENOENT');
    expect(path.isAbsolute(mac.root)).toBe(true);
  });
});
