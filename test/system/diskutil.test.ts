import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listCryptoUsers, parseListCryptoUsers } from '../../agent/src/system/diskutil.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixtureText } from './fake-mac.js';

describe('parseListCryptoUsers', () => {
  it('reads four users, including the last one indented without the tree bar', () => {
    expect(parseListCryptoUsers(fixtureText('macos-10.15/diskutil-apfs-listCryptoUsers-4-users'))).toEqual([
      { uuid: 'FB756838-XXXX-XXXX-XXXX-40FB5E7D5D3F', type: 'Local Open Directory User' },
      { uuid: 'EBC6C064-XXXX-XXXX-XXXX-00306543ECAC', type: 'Personal Recovery User' },
      { uuid: 'C22BDCD3-XXXX-XXXX-XXXX-65D3332605C3', type: 'Local Open Directory User' },
      { uuid: '2457711A-XXXX-XXXX-XXXX-F48A571D5036', type: 'MDM Bootstrap Token External Key' },
    ]);
  });

  it('reads Big Sur Volume Owner lines', () => {
    const raw = [
      'Cryptographic users for disk3s5 (2 found)',
      '|',
      '+-- 9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
      '|   Type: Local Open Directory User',
      '|   Volume Owner: Yes',
      '|',
      '+-- EBC6C064-1111-2222-3333-00306543ECAC',
      '    Type: Personal Recovery User',
      '    Volume Owner: No',
      '',
    ].join('\n');
    expect(parseListCryptoUsers(raw)).toEqual([
      { uuid: '9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9', type: 'Local Open Directory User', volumeOwner: true },
      { uuid: 'EBC6C064-1111-2222-3333-00306543ECAC', type: 'Personal Recovery User', volumeOwner: false },
    ]);
  });

  it('reads "No cryptographic users" as an empty list', () => {
    expect(parseListCryptoUsers(fixtureText('macos-any/diskutil-apfs-listCryptoUsers-none'))).toEqual([]);
  });

  it('refuses a count that does not match the entries, and unknown text', () => {
    const raw = fixtureText('macos-10.15/diskutil-apfs-listCryptoUsers-4-users').replace('(4 found)', '(5 found)');
    expect(() => parseListCryptoUsers(raw)).toThrow(/5 users but 4/);
    expect(() => parseListCryptoUsers('Could not find disk: /\n')).toThrow(UnexpectedOutputError);
  });
});

describe('listCryptoUsers', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('runs diskutil apfs listCryptoUsers on the boot volume', async () => {
    mac.installFixture('diskutil', 'macos-10.15/diskutil-apfs-listCryptoUsers-4-users');
    await expect(listCryptoUsers()).resolves.toHaveLength(4);
    expect(mac.calls('diskutil')[0]!.args).toEqual(['apfs', 'listCryptoUsers', '/']);
  });
});
