// The simulated Mac's model of a disabled account (account-lock-and-psso.md A): every way of disabling it makes
// dscl -authonly fail and logins refused; pwpolicy's three verbs; and `launchctl bootout user/<uid>` ending the
// user's sessions. The agent's lock verification is only as real as this.
import { describe, expect, it } from 'vitest';
import { LoginRefusedError, seededPassword } from './src/index.js';
import { NOBODY, isRoot, tempMac } from './support.js';

describe('disabled accounts on the simulated Mac', () => {
  it('fails authonly with eDSAuthAccountDisabled for a DisabledUser value in any form, and refuses logins', async () => {
    for (const value of [';DisabledUser;', 'DisabledUser']) {
      const mac = tempMac({ scenario: 'local-only' });
      expect((await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).exitCode).toBe(0);
      expect((await mac.run('dscl', ['-raw', '.', '-append', '/Users/alex', 'dsAttrTypeStandard:AuthenticationAuthority', value])).exitCode).toBe(0);
      expect(await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).toMatchObject({
        stdout: '',
        stderr: 'Authentication for node /Local/Default failed. (-14167, eDSAuthAccountDisabled)\n<dscl_cmd> DS Error: -14167 (eDSAuthAccountDisabled)\n',
        exitCode: 87,
      });
      // A wrong password still reads as a wrong password.
      expect((await mac.run('dscl', ['.', '-authonly', 'alex', 'wrong'])).stderr).toMatch(/eDSAuthFailed/);
      expect(mac.loginRefusal('alex')).toMatch(/disabled/);
      expect(() => mac.openLogin('alex')).toThrow(LoginRefusedError);
      expect((await mac.run('dscl', ['-raw', '.', '-delete', '/Users/alex', 'dsAttrTypeStandard:AuthenticationAuthority', value])).exitCode).toBe(0);
      expect((await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).exitCode).toBe(0);
      expect(mac.loginRefusal('alex')).toBeUndefined();
    }
  }, 60_000);

  it('models pwpolicy -disableuser/-enableuser as membership of com.apple.access_disabled, with or without the dash', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    expect(await mac.pwpolicy(['-u', 'alex', '-authentication-allowed'])).toMatchObject({ stdout: 'Policy allows user alex to authenticate\n', exitCode: 0 });
    expect(await mac.pwpolicy(['-u', 'alex', 'disableuser'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect((mac.readGroup('com.apple.access_disabled')?.users ?? []).map(String)).toEqual(['alex']);
    expect(await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'alex', 'com.apple.access_disabled'])).toMatchObject({ stdout: 'yes alex is a member of com.apple.access_disabled\n', exitCode: 0 });
    expect((await mac.pwpolicy(['-u', 'alex', '-authentication-allowed'])).stdout).toBe('User alex is not allowed to authenticate: account is disabled\n');
    expect((await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).exitCode).toBe(87);
    expect(() => mac.login('alex')).toThrow(LoginRefusedError);
    expect((await mac.pwpolicy(['-u', 'alex', '-enableuser'])).exitCode).toBe(0);
    expect(mac.readGroup('com.apple.access_disabled')?.users).toBeUndefined();
    expect((await mac.run('dscl', ['.', '-authonly', 'alex', seededPassword('alex')])).exitCode).toBe(0);
    expect(await mac.pwpolicy(['-u', 'ghost', '-authentication-allowed'])).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('ghost') });
    expect(mac.writeCalls().map((call) => call.args.at(-1))).toEqual(['disableuser', '-enableuser']);
  }, 60_000);

  it('ends every session of a user with launchctl bootout user/<uid>', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    mac.openLogin('alex', { host: '10.0.0.5' });
    mac.runUserProcesses('alex', 3);
    mac.openLogin('localadmin');
    const uid = String(mac.readUser('alex')?.uid?.[0]);
    expect(await mac.run('launchctl', ['bootout', `user/${uid}`])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    const state = mac.readState();
    expect(state.console).toMatchObject({ mode: 'loginwindow', user: null });
    expect(state.logins).toEqual([{ user: 'localadmin', line: 'ttys001', host: null }]);
    expect(state.userProcesses).toEqual([]);
    expect((await mac.run('ps', ['-axo', 'uid='])).stdout.split('\n').map((line) => line.trim())).not.toContain(uid);
    expect(await mac.run('launchctl', ['bootout', `user/${uid}`])).toMatchObject({ stderr: 'Boot-out failed: 3: No such process\n', exitCode: 3 });
    if (isRoot) expect((await mac.run('launchctl', ['bootout', 'user/501'], NOBODY)).exitCode).toBe(1);
    expect(mac.readState().logins).toHaveLength(1);
  }, 60_000);
});
