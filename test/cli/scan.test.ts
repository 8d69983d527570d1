import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MacInventory } from '../../agent/src/inventory/model.js';
import { simulatedMac, untether } from '../helpers/sim.js';

async function scanJson(mac: ReturnType<typeof simulatedMac>, uid?: number): Promise<MacInventory> {
  const run = await untether(mac, ['scan', '--json'], uid === undefined ? {} : { uid });
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout) as MacInventory;
}

describe('untether scan on simulated Macs', () => {
  it('reports every seeded account, the binding, FileVault, the console user and profiles of an AD-bound Mac', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const inventory = await scanJson(mac);
    const user = (name: string) => inventory.users.find((candidate) => candidate.name === name)!;
    expect(inventory.summary).toMatchObject({ mobile: 4, local: 1 });
    expect(inventory.binding).toEqual({ bound: true, domain: 'corp.example.com', forest: 'corp.example.com', computerAccount: 'MAC-0001$' });
    expect(inventory.fileVault).toEqual({ state: 'on', conversion: 'none', autoLogin: false });
    expect(inventory.consoleUser).toMatchObject({ loggedIn: true, name: 'jdoe' });
    expect(inventory.macOS).toEqual({ productName: 'macOS', productVersion: '14.6.1', buildVersion: '23G93' });
    expect(inventory.loginWindow).toMatchObject({ kind: 'apple', isOsDefault: true, demobilizeMechanism: false });
    expect(user('jdoe')).toMatchObject({ kind: 'mobile', uid: 1104562915, loggedIn: true, secureToken: 'enabled', fileVault: true });
    expect(user('zobrien')).toMatchObject({ kind: 'mobile', admin: true, realName: "Zoë O'Brien", mobile: { originalNodeName: '/Active Directory/CORP/All Domains' } });
    expect(user('mchen')).toMatchObject({ kind: 'mobile', secureToken: 'disabled', fileVault: false });
    expect(user('psmith').profiles).toEqual(['com.example.user.wifi']);
    expect(user('localadmin')).toMatchObject({ kind: 'local', uid: 501, admin: true, hidden: true, secureToken: 'enabled' });
    expect(user('root').kind).toBe('system');
    expect(inventory.warnings).toEqual([]);
  });

  it('reports FileVault automatic login on, the fact that stops login-window demobilization', async () => {
    const inventory = await scanJson(simulatedMac({ scenario: 'ad-bound-fv-autologin' }));
    expect(inventory.fileVault.autoLogin).toBe(true);
  });

  it('reports a Mac with local accounts only as not bound and without mobile accounts', async () => {
    const inventory = await scanJson(simulatedMac({ scenario: 'local-only' }));
    expect(inventory.binding).toEqual({ bound: false });
    expect(inventory.summary.mobile).toBe(0);
    expect(inventory.users.filter((user) => user.kind === 'local').map((user) => user.name)).toEqual(['alex', 'localadmin']);
  });

  it('prints a readable table with the Mac summary and one row per account', async () => {
    const run = await untether(simulatedMac({ scenario: 'ad-bound' }), ['scan']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Mac:          macOS 14.6.1 (23G93), bound to corp.example.com as MAC-0001$');
    expect(run.stdout).toMatch(/^zobrien +mobile +1853244162 +yes +yes +yes +- +OriginalNodeName \/Active Directory\/CORP\/All Domains, LocalCachedUser$/m);
    expect(run.stdout).toContain('4 mobile, 1 local');
  });

  it('spawns the same number of tool processes for 5 and for 200 users', async () => {
    const counts: number[] = [];
    for (const mobileUsers of [5, 200]) {
      const mac = simulatedMac({ scenario: 'fleet', mobileUsers });
      mac.clearCalls();
      const inventory = await scanJson(mac);
      expect(inventory.summary.mobile).toBe(mobileUsers);
      counts.push(mac.calls().length);
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeLessThanOrEqual(17); // 14 reads + scutil, who and ps for every session of every user
  });

  it('degrades to unknowns with a warning when a tool is missing, instead of failing the scan', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    rmSync(mac.toolPath('fdesetup'));
    const run = await untether(mac, ['scan', '--json']);
    expect(run.exitCode).toBe(0);
    const inventory = JSON.parse(run.stdout) as MacInventory;
    expect(inventory.fileVault.state).toBe('unknown');
    expect(inventory.warnings.some((warning) => warning.startsWith('reading FileVault status: running fdesetup status: missing tool'))).toBe(true);
    expect(inventory.summary.mobile).toBe(4);
  });

  it('works as a normal user, saying which facts need root', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const run = await untether(mac, ['scan', '--json'], { uid: 65534 });
    expect(run.exitCode).toBe(0);
    const inventory = JSON.parse(run.stdout) as MacInventory;
    expect(inventory.summary.mobile).toBe(4);
    expect(inventory.warnings.some((warning) => warning.startsWith('listing FileVault users'))).toBe(true);
  });

  it('fails with one clear line when the user directory cannot be read at all', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    rmSync(mac.toolPath('dscl'));
    const run = await untether(mac, ['scan']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe('untether scan: running dscl -plist . -readall /Users: missing tool: /usr/bin/dscl is not installed or not executable\n');
  });
});

describe('untether ea on simulated Macs', () => {
  it('prints Jamf extension attributes exactly, with names that contain spaces kept whole', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const expectations: Record<string, string> = {
      'mobile-accounts': '<result>jdoe, mchen, psmith, zobrien</result>\n',
      'mobile-account-count': '<result>4</result>\n',
      'ad-binding': '<result>corp.example.com</result>\n',
      'migration-stage': '<result>bound-with-mobile-accounts</result>\n',
      'accounts-without-securetoken': '<result>mchen</result>\n',
      'mobile-accounts-with-user-profiles': '<result>psmith</result>\n',
    };
    for (const [name, expected] of Object.entries(expectations)) {
      const run = await untether(mac, ['ea', name]);
      expect({ name, stdout: run.stdout, exitCode: run.exitCode }).toEqual({ name, stdout: expected, exitCode: 0 });
    }
  });
});
