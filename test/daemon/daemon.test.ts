import { describe, expect, it } from 'vitest';
import { daemonState, startDaemon, waitForState, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac } from '../helpers/sim.js';

const FULL_MIGRATION = {
  inventory: { enabled: true },
  demobilize: { enabled: true, when: 'login', allUsers: true },
  unbind: { enabled: true },
  loginWindow: { enabled: true, preset: 'jamf-connect' },
};

describe('untether daemon on a simulated Mac', () => {
  it('takes a bound Mac through demobilize, unbind and the login window, waiting for a logout, and stops cleanly on SIGTERM', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.installJamfConnect();
    writeManagedConfig(mac, FULL_MIGRATION);
    const daemon = startDaemon(mac);
    try {
      const waiting = await waitForState(mac, (state) => state.stage === 'demobilize' && state.waitingFor === 'login-window');
      expect(waiting.views.find((view) => view.stage === 'unbind')).toMatchObject({ status: 'waiting' });
      expect(mac.readUser('zobrien')?.original_node_name).toBeDefined();

      mac.logout();
      const done = await waitForState(mac, (state) => state.stage === 'done');
      expect(done.lastResult).toMatchObject({ demobilize: { outcome: 'succeeded' }, unbind: { outcome: 'succeeded' }, loginwindow: { outcome: 'succeeded' } });
      for (const name of ['jdoe', 'zobrien', 'mchen', 'psmith']) expect(mac.readUser(name)?.original_node_name).toBeUndefined();
      expect(mac.readState().adBinding).toBeNull();
      expect(mac.loginMechanisms()).toContain('JamfConnectLogin:LoginUI');

      // At the next login, the converted user is told in their own session; a user nothing happened to is not.
      mac.login('zobrien');
      const started = Date.now();
      while (!mac.notices().some((notice) => notice.user === 'zobrien') && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 200));
      const notice = mac.notices().find((candidate) => candidate.user === 'zobrien');
      expect(notice?.tool).toBe('jamfHelper');
      expect(notice?.text).toMatch(/password/i);
      mac.login('localadmin');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(mac.notices().some((candidate) => candidate.user === 'localadmin')).toBe(false);
    } finally {
      daemon.kill('SIGTERM');
    }
    const exit = await daemon;
    expect(exit.exitCode).toBe(0);
  });

  it('converts the other accounts while a user is logged in, and that user right after the logout (schedule window)', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const always = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' };
    writeManagedConfig(mac, { demobilize: { enabled: true, when: 'schedule', allUsers: true }, unbind: { enabled: true }, schedule: { windows: [always] } });
    const daemon = startDaemon(mac);
    try {
      const waiting = await waitForState(mac, (state) => state.waitingFor === 'user-logout');
      expect(waiting.lastResult.demobilize?.outcome).toBe('succeeded');
      for (const name of ['zobrien', 'mchen', 'psmith']) expect(mac.readUser(name)?.original_node_name).toBeUndefined();
      expect(mac.readUser('jdoe')?.original_node_name).toBeDefined();
      // jdoe logs out: the console change wakes the daemon at once (no timer), inside the window.
      mac.logout();
      const done = await waitForState(mac, (state) => state.stage === 'done');
      expect(done.lastResult.unbind?.outcome).toBe('succeeded');
      expect(mac.readUser('jdoe')?.original_node_name).toBeUndefined();
    } finally {
      daemon.kill('SIGTERM');
    }
    expect((await daemon).exitCode).toBe(0);
  });

  it('names an invalid key, reports it in status, and does nothing destructive', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    writeManagedConfig(mac, { inventory: { enabled: true }, demobilize: { enabled: true, allUsers: true }, unbind: { enabled: 'yes' } });
    const daemon = startDaemon(mac);
    try {
      const state = await waitForState(mac, (candidate) => candidate.configProblems.length > 0);
      expect(state.configProblems.join('\n')).toMatch(/demobilize\.when \(managed\)/);
      expect(state.configProblems.join('\n')).toMatch(/unbind\.enabled \(managed\)/);
      expect(state.views.find((view) => view.stage === 'demobilize')?.status).toBe('off');
      expect(mac.writeCalls()).toEqual([]);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect((await daemon).exitCode).toBe(0);
  });

  it('recovers a conversion it was killed in the middle of, at its next start, and goes on', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    writeManagedConfig(mac, { demobilize: { enabled: true, when: 'login', users: ['zobrien'] } });
    mac.injectFault({ tool: 'dscl', write: 5, mode: 'kill-caller' });
    const crashed = await startDaemon(mac);
    expect(crashed.signal).toBe('SIGKILL');
    const daemon = startDaemon(mac);
    try {
      const state = await waitForState(mac, (candidate) => candidate.stage === 'done');
      expect(state.lastResult.demobilize?.outcome).toBe('succeeded');
      expect(mac.readUser('zobrien')?.original_node_name).toBeUndefined();
    } finally {
      daemon.kill('SIGTERM');
    }
    expect((await daemon).exitCode).toBe(0);
    expect(daemonState(mac)?.stage).toBe('done');
  });
});
