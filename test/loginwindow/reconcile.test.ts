// The daemon's login window check, in-process against a simulated Mac: re-apply after an OS update reset,
// leave a chain another product changed alone.
import { mkdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { reconcileLoginWindow } from '../../agent/src/loginwindow/apply.js';
import { presetChain } from '../../agent/src/loginwindow/presets.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import { toXmlPlist, type PlistDict } from '../macsim/src/index.js';

afterEach(() => setSystemRoot(undefined));

describe('reconcileLoginWindow', () => {
  it('applies the desired preset again after an OS update reset the chain, and only then', async () => {
    const mac = simulatedMac({ scenario: 'local-only', os: '13.6.7', authchanger: true });
    mkdirSync(mac.path('/Library/Security/SecurityAgentPlugins/JamfConnectLogin.bundle'), { recursive: true });
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes'])).exitCode).toBe(0);
    setSystemRoot(mac.root);
    expect(await reconcileLoginWindow({ now: new Date() })).toEqual({ action: 'none', drift: { state: 'in-sync', preset: 'demobilize' } });

    const right: PlistDict = { ...mac.readAuthRight('system.login.console')!, mechanisms: [...mac.defaultLoginMechanisms()] };
    expect((await mac.run('security', ['authorizationdb', 'write', 'system.login.console'], { input: toXmlPlist(right) })).exitCode).toBe(0);
    const outcome = await reconcileLoginWindow({ now: new Date() });
    expect(outcome).toMatchObject({ action: 'reapplied', preset: 'demobilize', outcome: { result: 'applied' } });
    expect(mac.loginMechanisms()).toEqual(presetChain(mac.defaultLoginMechanisms(), 'demobilize'));

    expect((await mac.run('authchanger', ['-reset', '-JamfConnect'])).exitCode).toBe(0);
    mac.clearCalls();
    expect(await reconcileLoginWindow({ now: new Date() })).toEqual({ action: 'none', drift: { state: 'changed-by-someone-else', preset: 'demobilize' } });
    expect(mac.writeCalls()).toEqual([]);
  });

  it('does nothing on a Mac whose login window Untether never managed', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    setSystemRoot(mac.root);
    expect(await reconcileLoginWindow({ now: new Date() })).toEqual({ action: 'none', drift: { state: 'not-managed' } });
  });
});
