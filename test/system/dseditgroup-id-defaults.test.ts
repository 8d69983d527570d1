import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBoolDefault, readDefault, parseDefaultsBool } from '../../agent/src/system/defaults.js';
import { addMember, checkMember, parseCheckMember, removeMember } from '../../agent/src/system/dseditgroup.js';
import { idOf, parseId, uidOf } from '../../agent/src/system/id.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture, fixtureText } from './fake-mac.js';

describe('parseCheckMember', () => {
  it('reads yes and no lines', () => {
    expect(parseCheckMember(fixtureText('macos-any/dseditgroup-checkmember-yes'))).toBe('member');
    expect(parseCheckMember(fixtureText('macos-any/dseditgroup-checkmember-no'))).toBe('not-member');
    expect(() => parseCheckMember('maybe\n')).toThrow(UnexpectedOutputError);
  });
});

describe('parseId', () => {
  it('reads uid, gid and every group', () => {
    const entry = parseId(fixtureText('macos-any/id-user'));
    expect(entry).toMatchObject({ uid: 501, userName: 'kod', gid: 20, groupName: 'staff' });
    expect(entry.groups).toHaveLength(16);
    expect(entry.groups[4]).toEqual({ gid: 80, name: 'admin' });
    expect(entry.groups.at(-1)).toEqual({ gid: 400, name: 'com.apple.access_remote_ae' });
  });

  it('reads AD group names with spaces and gids that no longer resolve', () => {
    const raw = 'uid=1104562915(jdoe) gid=1522360086 groups=1522360086,12(everyone),1522360087(CORP\\domain users)\n';
    expect(parseId(raw)).toEqual({
      uid: 1104562915,
      userName: 'jdoe',
      gid: 1522360086,
      groupName: undefined,
      groups: [
        { gid: 1522360086, name: undefined },
        { gid: 12, name: 'everyone' },
        { gid: 1522360087, name: 'CORP\\domain users' },
      ],
    });
  });

  it('refuses anything else', () => {
    expect(() => parseId('')).toThrow(UnexpectedOutputError);
    expect(() => parseId('uid=x gid=1\n')).toThrow(UnexpectedOutputError);
    expect(() => parseId('uid=1(a) gid=1(b) groups=1(b),,2\n')).toThrow(/groups list/);
  });
});

describe('parseDefaultsBool', () => {
  it('reads 1/0 and refuses other values', () => {
    expect(parseDefaultsBool('1\n')).toBe(true);
    expect(parseDefaultsBool('0')).toBe(false);
    expect(() => parseDefaultsBool('(\n a\n)')).toThrow(UnexpectedOutputError);
  });
});

describe('dseditgroup, id and defaults tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('checks membership with exit 0 (yes) and 67 (no), and names unknown users and groups', async () => {
    mac.install('dseditgroup', [
      fixture('macos-any/dseditgroup-checkmember-yes'),
      fixture('macos-any/dseditgroup-checkmember-no'),
      { stderr: 'Unable to find the user record\n', exitCode: 64 },
      { stderr: 'Group not found.\n', exitCode: 64 },
    ]);
    await expect(checkMember('kod', 'admin')).resolves.toBe('member');
    await expect(checkMember('agent', 'admin')).resolves.toBe('not-member');
    await expect(checkMember('ghost', 'admin')).resolves.toBe('no-such-user');
    await expect(checkMember('kod', 'ghosts')).resolves.toBe('no-such-group');
    expect(mac.calls('dseditgroup')[0]!.args).toEqual(['-o', 'checkmember', '-m', 'kod', 'admin']);
  });

  it('refuses a yes answer with exit 67', async () => {
    mac.install('dseditgroup', { stdout: 'yes kod is a member of admin\n', exitCode: 67 });
    await expect(checkMember('kod', 'admin')).rejects.toMatchObject({ code: 'E_TOOL_OUTPUT' });
  });

  it('adds and removes members', async () => {
    mac.install('dseditgroup', {});
    await addMember('jdoe', 'staff');
    await removeMember('jdoe', 'admin');
    expect(mac.calls('dseditgroup').map((call) => call.args)).toEqual([
      ['-o', 'edit', '-a', 'jdoe', '-t', 'user', 'staff'],
      ['-o', 'edit', '-d', 'jdoe', '-t', 'user', 'admin'],
    ]);
  });

  it('looks up users with id and answers undefined for "no such user"', async () => {
    mac.install('id', [fixture('macos-any/id-user'), { stderr: 'id: ghost: no such user\n', exitCode: 1 }, { stdout: '501\n' }]);
    await expect(idOf('kod')).resolves.toMatchObject({ uid: 501 });
    await expect(idOf('ghost')).resolves.toBeUndefined();
    await expect(uidOf('kod')).resolves.toBe(501);
    expect(mac.calls('id').map((call) => call.args)).toEqual([['kod'], ['ghost'], ['-u', 'kod']]);
  });

  it('reads a preference, and an absent key as undefined rather than an error', async () => {
    mac.install('defaults', [{ stdout: '1\n' }, fixture('macos-any/defaults-read-absent-key'), { stdout: '1\n' }, { stderr: 'boom\n', exitCode: 2 }]);
    const domain = '/Library/Preferences/com.apple.loginwindow';
    await expect(readDefault(domain, 'DisableFDEAutoLogin')).resolves.toBe('1');
    await expect(readDefault(domain, 'GuestEnabled_NONEXISTENT')).resolves.toBeUndefined();
    await expect(readBoolDefault(domain, 'DisableFDEAutoLogin')).resolves.toBe(true);
    await expect(readDefault(domain, 'X')).rejects.toMatchObject({ code: 'E_TOOL_FAILED', exitCode: 2 });
    expect(mac.calls('defaults')[0]!.args).toEqual(['read', domain, 'DisableFDEAutoLogin']);
  });
});
