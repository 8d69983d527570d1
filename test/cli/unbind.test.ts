import { describe, expect, it } from 'vitest';
import { simulatedMac, untether } from '../helpers/sim.js';

describe('untether unbind on a simulated Mac', () => {
  it('refuses while a mobile account remains, naming them, and changes nothing', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const run = await untether(mac, ['unbind', '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toContain('4 mobile account(s) remain (jdoe, mchen, psmith, zobrien); demobilize them first');
    expect(mac.readState().adBinding).not.toBeNull();
    expect(mac.writeCalls()).toEqual([]);
  });

  it('after demobilization, removes the binding and the AD search paths, verified, with a dry run first', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    expect((await untether(mac, ['demobilize', '--all', '--yes'])).exitCode).toBe(0);
    mac.clearCalls();
    const dry = await untether(mac, ['unbind', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('would remove the binding to corp.example.com (dsconfigad -remove -force; no AD credentials needed)');
    expect(mac.writeCalls()).toEqual([]);

    const run = await untether(mac, ['unbind', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Unbound and verified');
    expect((await mac.run('dsconfigad', ['-show'])).stdout).toBe('');
    const search = await mac.run('dscl', ['/Search', '-read', '/', 'CSPSearchPath']);
    expect(search.stdout).not.toContain('Active Directory');
    const remove = mac.writeCalls('dsconfigad')[0]!;
    expect(remove.args).toEqual(['-remove', '-force', '-u', 'untether', '-p', 'untether']);

    const again = await untether(mac, ['unbind', '--yes']);
    expect(again.stdout).toContain('Not bound to Active Directory and no AD search path left; nothing to do.');
  });
});
