// `untether loginwindow` against simulated Macs: every preset on Ventura and Sonoma, with authchanger
// installed and not, reset back to exactly the OS default, drift after an OS update, and the failures.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { presetChain, type LoginWindowPreset } from '../../agent/src/loginwindow/presets.js';
import { LAYOUT, toXmlPlist, type PlistDict, type SimulatedMac } from '../macsim/src/index.js';
import { simulatedMac as createMac, untether } from '../helpers/sim.js';

const DATA_DIR = '/Library/Application Support/Untether/loginwindow';
const JAMF_CONNECT_BUNDLE = '/Library/Security/SecurityAgentPlugins/JamfConnectLogin.bundle';

/** A simulated Mac with Jamf Connect's authorization plug-in installed (unless told otherwise). */
function simulatedMac(options: Parameters<typeof createMac>[0] & { jamfConnectPlugin?: boolean }): SimulatedMac {
  const { jamfConnectPlugin = true, ...rest } = options;
  const mac = createMac(rest);
  if (jamfConnectPlugin) mkdirSync(mac.path(JAMF_CONNECT_BUNDLE), { recursive: true });
  return mac;
}
const NOBODY = 65534;

function backups(mac: SimulatedMac): string[] {
  try {
    return readdirSync(mac.path(DATA_DIR)).filter((name) => name.startsWith('backup-'));
  } catch {
    return [];
  }
}

function desired(mac: SimulatedMac): { preset: string; method: string; chain: string[] } {
  return JSON.parse(readFileSync(mac.path(`${DATA_DIR}/desired.json`), 'utf8')) as { preset: string; method: string; chain: string[] };
}

/** Write the login right as an OS update does: the default chain back, other keys kept. */
async function resetByOsUpdate(mac: SimulatedMac): Promise<void> {
  const right: PlistDict = { ...mac.readAuthRight('system.login.console')!, mechanisms: [...mac.defaultLoginMechanisms()] };
  delete right.created;
  delete right.modified;
  const run = await mac.run('security', ['authorizationdb', 'write', 'system.login.console'], { input: toXmlPlist(right) });
  expect(run.exitCode).toBe(0);
}

async function printJson(mac: SimulatedMac, uid?: number): Promise<{ kind: string; isOsDefault: boolean; drift: { state: string; preset?: string }; desired: { preset: string } | null; mechanisms: string[] }> {
  const run = await untether(mac, ['loginwindow', 'print', '--json'], uid === undefined ? {} : { uid });
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout) as never;
}

const MATRIX = [
  { name: 'Ventura', os: '13.6.7', authchanger: false },
  { name: 'Ventura', os: '13.6.7', authchanger: true },
  { name: 'Sonoma', os: '14.6.1', authchanger: false },
  { name: 'Sonoma', os: '14.6.1', authchanger: true },
] as const;

describe.each(MATRIX)('untether loginwindow on $name, authchanger installed: $authchanger', ({ os, authchanger }) => {
  it('prints the default chain as Apple\'s, the macOS default, not managed', async () => {
    const mac = simulatedMac({ scenario: 'local-only', os, authchanger });
    const status = await printJson(mac);
    expect(status).toMatchObject({ kind: 'apple', isOsDefault: true, drift: { state: 'not-managed' }, desired: null });
    expect(status.mechanisms).toEqual(mac.defaultLoginMechanisms());
    const text = await untether(mac, ['loginwindow', 'print']);
    expect(text.stdout).toContain("Shows:           Apple's login window");
    expect(text.stdout).toContain(`Mechanisms (${mac.defaultLoginMechanisms().length}):`);
  });

  it.each(['demobilize', 'apple'] as const)('applies %s by editing the right itself, then reset gives back exactly the OS default', async (preset: LoginWindowPreset) => {
    const mac = simulatedMac({ scenario: 'local-only', os, authchanger });
    const osDefault = [...mac.defaultLoginMechanisms()];
    const before = mac.readAuthRight('system.login.console')!;
    const run = await untether(mac, ['loginwindow', 'apply', preset, '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(mac.loginMechanisms()).toEqual(presetChain(osDefault, preset));
    expect(mac.writeCalls('authchanger')).toEqual([]);
    const after = mac.readAuthRight('system.login.console')!;
    for (const key of ['class', 'comment', 'shared', 'tries', 'version', 'created']) expect({ key, value: after[key] }).toEqual({ key, value: before[key] });
    if (preset === 'apple') {
      expect(run.stdout).toContain('already in place');
      expect(mac.writeCalls('security')).toEqual([]);
      return;
    }
    expect(desired(mac)).toMatchObject({ preset, method: 'authorizationdb' });
    expect(backups(mac)).toHaveLength(1);
    expect(statSync(mac.path(`${DATA_DIR}/${backups(mac)[0]}`)).mode & 0o777).toBe(0o600);
    expect((await printJson(mac)).drift).toEqual({ state: 'in-sync', preset });

    mac.clearCalls();
    const again = await untether(mac, ['loginwindow', 'apply', preset, '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already in place');
    expect(mac.writeCalls()).toEqual([]);

    const reset = await untether(mac, ['loginwindow', 'reset', '--yes']);
    expect(reset.exitCode).toBe(0);
    expect(mac.loginMechanisms()).toEqual(osDefault);
    expect((await printJson(mac)).isOsDefault).toBe(true);
  });

  it('applies jamf-connect with one authchanger -reset -JamfConnect when installed, else with the best-known list', async () => {
    const mac = simulatedMac({ scenario: 'local-only', os, authchanger });
    const osDefault = [...mac.defaultLoginMechanisms()];
    mac.clearCalls();
    const run = await untether(mac, ['loginwindow', 'apply', 'jamf-connect', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(mac.loginMechanisms()).toContain('JamfConnectLogin:LoginUI');
    if (authchanger) {
      expect(mac.writeCalls().map((call) => [call.tool, call.args])).toEqual([['authchanger', ['-reset', '-JamfConnect']]]);
      expect(desired(mac).method).toBe('authchanger');
    } else {
      expect(mac.loginMechanisms()).toEqual(presetChain(osDefault, 'jamf-connect'));
      expect(mac.writeCalls().map((call) => call.tool)).toEqual(['security']);
      expect(desired(mac).method).toBe('authorizationdb');
    }
    expect((await printJson(mac)).kind).toBe('jamf-connect');
    const reset = await untether(mac, ['loginwindow', 'reset', '--yes']);
    expect(reset.exitCode).toBe(0);
    expect(mac.loginMechanisms()).toEqual(osDefault);
  });

  it('detects an OS update that put the default chain back, and applies the preset again', async () => {
    const mac = simulatedMac({ scenario: 'local-only', os, authchanger });
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes'])).exitCode).toBe(0);
    await resetByOsUpdate(mac);
    const status = await printJson(mac);
    expect(status.drift).toEqual({ state: 'reset-by-os', preset: 'demobilize' });
    expect((await untether(mac, ['loginwindow', 'print'])).stdout).toContain('reset to the macOS default (an OS update does this)');
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes'])).exitCode).toBe(0);
    expect((await printJson(mac)).drift.state).toBe('in-sync');
  });
});

describe('untether loginwindow safety', () => {
  it('shows a chain changed by someone else (authchanger -reset swaps prelogin and policy-banner)', async () => {
    const mac = simulatedMac({ scenario: 'local-only', authchanger: true });
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes'])).exitCode).toBe(0);
    expect((await mac.run('authchanger', ['-reset'])).exitCode).toBe(0);
    const status = await printJson(mac);
    expect(status.drift).toEqual({ state: 'changed-by-someone-else', preset: 'demobilize' });
    expect(status.isOsDefault).toBe(false);
  });

  it('prints as any user and refuses to apply or reset without root, changing nothing', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    expect((await printJson(mac, NOBODY)).kind).toBe('apple');
    mac.clearCalls();
    for (const args of [['loginwindow', 'apply', 'demobilize', '--yes'], ['loginwindow', 'reset', '--yes']]) {
      const run = await untether(mac, args, { uid: NOBODY });
      expect(run.exitCode).toBe(5);
      expect(run.stderr).toMatch(/must run as root/);
    }
    expect(mac.writeCalls()).toEqual([]);
    const dry = await untether(mac, ['loginwindow', 'apply', 'demobilize', '--dry-run'], { uid: NOBODY });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('+ JamfConnectLogin:DeMobilize,privileged');
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes'])).exitCode).toBe(0);
    const status = await printJson(mac, NOBODY);
    expect(status.drift.state).toBe('unknown');
    expect(status.desired).toBeNull();
  });

  it('dry run prints the diff and writes nothing', async () => {
    const mac = simulatedMac({ scenario: 'local-only', os: '13.6.7' });
    mac.clearCalls();
    const run = await untether(mac, ['loginwindow', 'apply', 'jamf-connect', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('- loginwindow:login');
    expect(run.stdout).toContain('+ JamfConnectLogin:LoginUI');
    expect(run.stdout).toContain('  PSSOAuthPlugin:login-auth');
    expect(mac.writeCalls()).toEqual([]);
    expect(backups(mac)).toEqual([]);
    const json = JSON.parse((await untether(mac, ['loginwindow', 'apply', 'demobilize', '--dry-run', '--json'])).stdout) as { plan: { changes: boolean; intended: string[] } };
    expect(json.plan.changes).toBe(true);
  });

  it('needs --yes without a terminal, and rejects an unknown preset', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    expect((await untether(mac, ['loginwindow', 'apply', 'demobilize'])).exitCode).toBe(2);
    const unknown = await untether(mac, ['loginwindow', 'apply', 'xcreds', '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown preset "xcreds"; known: apple, demobilize, jamf-connect');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('puts the previous chain back when the write fails', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const before = mac.loginMechanisms();
    mac.injectFault({ tool: 'security', write: 1, mode: 'fail' });
    const run = await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/applying login window preset "demobilize": .*the previous chain was restored from the backup/);
    expect(mac.loginMechanisms()).toEqual(before);
    expect(() => desired(mac)).toThrow();
  });

  it('refuses a preset whose plug-in is not installed, and print flags a chain that loads a missing one', async () => {
    const mac = simulatedMac({ scenario: 'local-only', authchanger: true, jamfConnectPlugin: false });
    mac.clearCalls();
    for (const preset of ['demobilize', 'jamf-connect']) {
      const run = await untether(mac, ['loginwindow', 'apply', preset, '--yes']);
      expect(run.exitCode).toBe(4);
      expect(run.stderr).toContain(`${JAMF_CONNECT_BUNDLE} is not installed; a chain that loads it would stop every login`);
    }
    expect(mac.writeCalls()).toEqual([]);
    const dry = await untether(mac, ['loginwindow', 'apply', 'demobilize', '--dry-run']);
    expect(dry.stdout).toContain('Refused when run for real: JamfConnectLogin.bundle is not installed');
    expect((await untether(mac, ['loginwindow', 'apply', 'apple', '--yes'])).exitCode).toBe(0);
    expect((await mac.run('authchanger', ['-reset', '-JamfConnect'])).exitCode).toBe(0);
    expect((await untether(mac, ['loginwindow', 'print'])).stdout).toContain('MISSING JamfConnectLogin: logins fail');
    const reset = await untether(mac, ['loginwindow', 'reset', '--yes']);
    expect(reset.exitCode).toBe(0);
    expect(mac.loginMechanisms()).toEqual(mac.defaultLoginMechanisms());
  });

  it('refuses with the anchor\'s name when the macOS default lacks it, writing nothing', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const file = mac.path(`/${LAYOUT.authDefaults}`);
    const defaults = mac.readPlist(`/${LAYOUT.authDefaults}`) as PlistDict;
    const rights = defaults.rights as PlistDict;
    const login = rights['system.login.console'] as PlistDict;
    login.mechanisms = (login.mechanisms as string[]).filter((mechanism) => mechanism !== 'builtin:login-begin');
    writeFileSync(file, toXmlPlist(defaults));
    mac.clearCalls();
    const run = await untether(mac, ['loginwindow', 'apply', 'demobilize', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/the anchor builtin:login-begin is not in the macOS default chain/);
    expect(mac.writeCalls()).toEqual([]);
  });
});
