import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleUser, decideConsoleUser, parseScutilConsoleUser, parseStatOwner } from '../../agent/src/system/consoleuser.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixtureText } from './fake-mac.js';

describe('parseScutilConsoleUser', () => {
  it('reads the top-level Name and UID, not the nested session keys', () => {
    expect(parseScutilConsoleUser(fixtureText('macos-any/scutil-ConsoleUser-user'))).toEqual({ name: 'erikberglund', uid: 501 });
  });

  it('reads the login window shape', () => {
    expect(parseScutilConsoleUser(fixtureText('macos-any/scutil-ConsoleUser-loginwindow'))).toEqual({ name: 'loginwindow', uid: 0 });
  });

  it('reads a dictionary without a Name key', () => {
    expect(parseScutilConsoleUser(fixtureText('macos-any/scutil-ConsoleUser-no-name'))).toEqual({ name: undefined, uid: undefined });
  });

  it('reads an empty Name and "No such key"', () => {
    expect(parseScutilConsoleUser('<dictionary> {\n  Name : \n  UID : 0\n}\n')).toEqual({ name: '', uid: 0 });
    expect(parseScutilConsoleUser('  No such key\n')).toEqual({ name: undefined, uid: undefined });
  });

  it('refuses output that is not a dictionary', () => {
    expect(() => parseScutilConsoleUser('something else\n')).toThrow(UnexpectedOutputError);
  });
});

describe('parseStatOwner', () => {
  it('reads one name', () => {
    expect(parseStatOwner(fixtureText('macos-any/stat-console-root'))).toBe('root');
    expect(() => parseStatOwner('')).toThrow(UnexpectedOutputError);
    expect(() => parseStatOwner('a\nb\n')).toThrow(UnexpectedOutputError);
  });
});

describe('decideConsoleUser', () => {
  it.each([
    [{ name: 'loginwindow', uid: 0 }, 'root', { kind: 'none', reason: 'loginwindow' }],
    [{ name: undefined, uid: undefined }, 'root', { kind: 'none', reason: 'no-name' }],
    [{ name: '', uid: 0 }, 'root', { kind: 'none', reason: 'no-name' }],
    [{ name: 'root', uid: 0 }, 'root', { kind: 'none', reason: 'root' }],
    [{ name: '_mbsetupuser', uid: 248 }, '_mbsetupuser', { kind: 'none', reason: 'setup-user' }],
    [{ name: 'jdoe', uid: 1104562915 }, 'jdoe', { kind: 'user', name: 'jdoe', uid: 1104562915 }],
    [{ name: 'nathan', uid: 502 }, 'nathan.beranger', { kind: 'user', name: 'nathan.beranger', uid: 502 }],
  ] as const)('decides %j with stat owner %s', (scutil, owner, expected) => {
    expect(decideConsoleUser(scutil, owner)).toEqual(expected);
  });

  it('refuses a named user without a UID', () => {
    expect(() => decideConsoleUser({ name: 'jdoe', uid: undefined }, 'jdoe')).toThrow(/no UID/);
  });
});

describe('consoleUser', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('asks scutil on stdin and stat for /dev/console', async () => {
    mac.installFixture('scutil', 'macos-any/scutil-ConsoleUser-user');
    mac.installFixture('stat', 'macos-any/stat-console-user');
    await expect(consoleUser()).resolves.toEqual({ kind: 'user', name: 'erikberglund', uid: 501 });
    expect(mac.calls('scutil')).toEqual([{ args: [], stdin: 'show State:/Users/ConsoleUser\n' }]);
    expect(mac.calls('stat')[0]!.args).toEqual(['-f%Su', '/dev/console']);
  });

  it('answers nobody at the login window', async () => {
    mac.installFixture('scutil', 'macos-any/scutil-ConsoleUser-loginwindow');
    mac.installFixture('stat', 'macos-any/stat-console-root');
    await expect(consoleUser()).resolves.toEqual({ kind: 'none', reason: 'loginwindow' });
  });
});
