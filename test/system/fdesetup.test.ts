import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isActive, listUsers, parseFdesetupList, parseFdesetupStatus, status } from '../../agent/src/system/fdesetup.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture, fixtureText } from './fake-mac.js';

describe('parseFdesetupStatus', () => {
  it.each([
    ['macos-10.15/fdesetup-status-on', { on: true, encryptionInProgress: false, decryptionInProgress: false }],
    ['macos-any/fdesetup-status-off', { on: false, encryptionInProgress: false, decryptionInProgress: false }],
    ['macos-any/fdesetup-status-off-deferred', { on: false, deferredFor: 'jdoe' }],
    ['macos-any/fdesetup-status-on-encrypting', { on: true, encryptionInProgress: true, progress: 'percent completed = 42.17' }],
    ['macos-any/fdesetup-status-on-encryption-pending', { on: true, encryptionInProgress: true, progress: 'Pending' }],
    ['macos-any/fdesetup-status-off-decrypting', { on: false, decryptionInProgress: true, progress: 'Percent completed = 63' }],
  ])('reads %s line by line', (name, expected) => {
    const parsed = parseFdesetupStatus(fixtureText(name));
    expect(parsed).toMatchObject(expected);
    expect(parsed.lines.length).toBeGreaterThan(0);
  });

  it('keeps unknown extra lines without changing the answer', () => {
    expect(parseFdesetupStatus('FileVault is On.\nSomething new in macOS 27.\n')).toMatchObject({
      on: true,
      lines: ['FileVault is On.', 'Something new in macOS 27.'],
    });
  });

  it('refuses output whose first line is not the On/Off line', () => {
    expect(() => parseFdesetupStatus('')).toThrow(UnexpectedOutputError);
    expect(() => parseFdesetupStatus('FileVault est activé.\n')).toThrow(/FileVault is On/);
  });
});

describe('parseFdesetupList', () => {
  it('reads name,UUID lines', () => {
    expect(parseFdesetupList(fixtureText('macos-any/fdesetup-list'))).toEqual([
      { name: 'fvuser', uuid: '85F41F44-22B3-6CB7-85A1-BCC2EA2B887A' },
    ]);
    expect(parseFdesetupList('')).toEqual([]);
  });

  it('refuses a line without a UUID', () => {
    expect(() => parseFdesetupList('fvuser\n')).toThrow(UnexpectedOutputError);
    expect(() => parseFdesetupList('fvuser,not-a-uuid\n')).toThrow(/name,UUID/);
  });
});

describe('fdesetup tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('reads status with fdesetup status', async () => {
    mac.installFixture('fdesetup', 'macos-10.15/fdesetup-status-on');
    await expect(status()).resolves.toMatchObject({ on: true });
    expect(mac.calls('fdesetup')[0]!.args).toEqual(['status']);
  });

  it('treats isactive false with exit 1 as an answer, not a failure', async () => {
    mac.install('fdesetup', [fixture('macos-any/fdesetup-isactive-true'), fixture('macos-any/fdesetup-isactive-false')]);
    await expect(isActive()).resolves.toBe(true);
    await expect(isActive()).resolves.toBe(false);
  });

  it('refuses an isactive answer that disagrees with its exit code, and fails on other exit codes', async () => {
    mac.install('fdesetup', [{ stdout: 'true\n', exitCode: 1 }, { stderr: 'Error\n', exitCode: 12 }]);
    await expect(isActive()).rejects.toMatchObject({ code: 'E_TOOL_OUTPUT' });
    await expect(isActive()).rejects.toMatchObject({ code: 'E_TOOL_FAILED', exitCode: 12 });
  });

  it('lists FileVault users', async () => {
    mac.installFixture('fdesetup', 'macos-any/fdesetup-list');
    await expect(listUsers()).resolves.toHaveLength(1);
  });
});
