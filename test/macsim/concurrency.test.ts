// Two or more fakes at once: writes serialise under the simulator lock, readers never see a torn file.
import { describe, expect, it } from 'vitest';
import { isPlistDict, parseXmlPlist } from './src/index.js';
import { tempMac } from './support.js';

describe('concurrent fakes', () => {
  it('loses no update when many writers append to the same attribute', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const values = Array.from({ length: 12 }, (_unused, index) => `GROUP-${index}`);
    const results = await Promise.all(values.map((value) => mac.run('dscl', ['.', '-append', '/Users/jdoe', 'cached_groups', value])));
    expect(results.every((result) => result.exitCode === 0)).toBe(true);
    const stored = mac.readUser('jdoe')?.cached_groups ?? [];
    for (const value of values) expect(stored).toContain(value);
    expect(stored).toHaveLength(2 + values.length);
  });

  it('lets readers parse every record while writers rewrite it, and keeps state and auth DB writes apart', async () => {
    const mac = tempMac({ scenario: 'ad-bound', authchanger: true });
    const writers = Array.from({ length: 6 }, (_unused, index) => mac.run('dscl', ['.', '-create', '/Users/zobrien', 'JobTitle', `title ${index}`]));
    const readers = Array.from({ length: 6 }, () => mac.run('dscl', ['-plist', '.', '-read', '/Users/zobrien']));
    const others = [
      mac.run('authchanger', ['-reset', '-JamfConnect']),
      mac.run('dscl', ['/Search', '-delete', '/', 'CSPSearchPath', '/Active Directory/CORP/All Domains']),
      mac.run('dseditgroup', ['-o', 'edit', '-a', 'jdoe', '-t', 'user', 'staff']),
      mac.run('dsconfigad', ['-remove', '-force', '-u', 'none', '-p', 'none']),
    ];
    const [written, read, other] = await Promise.all([Promise.all(writers), Promise.all(readers), Promise.all(others)]);
    expect(written.map((result) => result.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const result of read) {
      expect(result.exitCode).toBe(0);
      expect(isPlistDict(parseXmlPlist(result.stdout))).toBe(true);
    }
    expect(other.map((result) => result.exitCode)).toEqual([0, 0, 0, 0]);
    const state = mac.readState();
    expect(state.adBinding).toBeNull();
    expect(state.searchPolicy.search.cspSearchPath).toEqual(['/Local/Default', '/BSD/local']);
    expect(mac.loginMechanisms()).toContain('JamfConnectLogin:LoginUI');
    expect(mac.readGroup('staff')?.users).toContain('jdoe');
    expect(mac.readUserTyped('zobrien')?.['dsAttrTypeNative:JobTitle']?.[0]).toMatch(/^title \d$/);
  });
});
