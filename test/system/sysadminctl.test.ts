import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSecureTokenStatus, secureTokenStatus } from '../../agent/src/system/sysadminctl.js';
import { FakeMac, fixture } from './fake-mac.js';

describe('parseSecureTokenStatus', () => {
  it('reads ENABLED and DISABLED from the NSLog line on stderr', () => {
    expect(parseSecureTokenStatus(fixture('macos-any/sysadminctl-secureTokenStatus-enabled').stderr)).toBe('enabled');
    expect(parseSecureTokenStatus(fixture('macos-any/sysadminctl-secureTokenStatus-disabled').stderr)).toBe('disabled');
  });

  it('ignores the RealName at the end of the line, whatever it says', () => {
    const line = '2025-01-01 10:00:00.000 sysadminctl[1:2] Secure token is ENABLED for user Disabled DISABLED Person\n';
    expect(parseSecureTokenStatus(line)).toBe('enabled');
  });

  it('answers unknown for an unknown user or unrelated text', () => {
    expect(parseSecureTokenStatus('2025-01-01 10:00:00.000 sysadminctl[1056:11522] Unknown user nosuchuser\n')).toBe('unknown');
    expect(parseSecureTokenStatus('')).toBe('unknown');
  });
});

describe('secureTokenStatus', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('runs sysadminctl -secureTokenStatus and reads stderr', async () => {
    mac.installFixture('sysadminctl', 'macos-any/sysadminctl-secureTokenStatus-enabled');
    await expect(secureTokenStatus('ec2-user')).resolves.toBe('enabled');
    expect(mac.calls('sysadminctl')[0]!.args).toEqual(['-secureTokenStatus', 'ec2-user']);
  });

  it('answers unknown for an unknown user even when sysadminctl exits non-zero', async () => {
    mac.install('sysadminctl', { stderr: '2025-01-01 10:00:00.000 sysadminctl[1056:11522] Unknown user nosuchuser\n', exitCode: 1 });
    await expect(secureTokenStatus('nosuchuser')).resolves.toBe('unknown');
  });

  it('throws when sysadminctl fails without saying anything known, or is missing', async () => {
    mac.install('sysadminctl', { stderr: 'crash\n', exitCode: 134 });
    await expect(secureTokenStatus('jdoe')).rejects.toMatchObject({ code: 'E_TOOL_FAILED' });
    mac.dispose();
    mac = FakeMac.create();
    await expect(secureTokenStatus('jdoe')).rejects.toMatchObject({ code: 'E_TOOL_MISSING' });
  });
});
