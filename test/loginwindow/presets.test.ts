import { describe, expect, it } from 'vitest';
import { classifyLoginWindow, hasDemobilizeMechanism } from '../../agent/src/loginwindow/chain.js';
import { detectDrift, diffChains, diffChanges, renderDiff, satisfiesPreset, thirdPartyPlugins } from '../../agent/src/loginwindow/compare.js';
import { planLoginWindow } from '../../agent/src/loginwindow/apply.js';
import {
  ChainAnchorError,
  InvalidChainError,
  JAMF_CONNECT_DEMOBILIZE,
  JAMF_CONNECT_LOGIN_UI,
  LOGIN_WINDOW_PRESETS,
  presetChain,
  withoutJamfConnect,
} from '../../agent/src/loginwindow/presets.js';
import { parseAuthorizationRight } from '../../agent/src/system/security.js';
import { fixtureText } from '../system/fake-mac.js';

function defaultChain(version: 'macos-13' | 'macos-14'): string[] {
  return parseAuthorizationRight(fixtureText(`${version}/security-authorizationdb-read-system.login.console`)).mechanisms ?? [];
}

const VENTURA = defaultChain('macos-13');
const SONOMA = defaultChain('macos-14');
const versions = [
  ['Ventura', VENTURA],
  ['Sonoma', SONOMA],
] as const;

describe('login window presets on the captured default chains', () => {
  it('reads 18 mechanisms on Ventura and 17 on Sonoma (PSSOAuthPlugin is Ventura only)', () => {
    expect(VENTURA).toHaveLength(18);
    expect(SONOMA).toHaveLength(17);
    expect(VENTURA).toContain('PSSOAuthPlugin:login-auth');
  });

  it.each(versions)('apple is exactly the %s default', (_name, chain) => {
    expect(presetChain(chain, 'apple')).toEqual(chain);
  });

  it.each(versions)('demobilize puts DeMobilize right before builtin:login-begin and keeps Apple\'s UI on %s', (_name, chain) => {
    const result = presetChain(chain, 'demobilize');
    expect(result).toHaveLength(chain.length + 1);
    const at = result.indexOf(JAMF_CONNECT_DEMOBILIZE);
    expect(result[at + 1]).toBe('builtin:login-begin');
    expect(result[at - 1]).toBe('loginwindow:login');
    expect(result.filter((mechanism) => mechanism !== JAMF_CONNECT_DEMOBILIZE)).toEqual(chain);
    expect(classifyLoginWindow(result)).toBe('apple');
    expect(hasDemobilizeMechanism(result)).toBe(true);
  });

  it('demobilize keeps Apple\'s order: prelogin first, and PSSOAuthPlugin on Ventura (unlike authchanger -reset)', () => {
    expect(presetChain(VENTURA, 'demobilize').slice(0, 2)).toEqual(['builtin:prelogin', 'builtin:policy-banner']);
    expect(presetChain(VENTURA, 'demobilize')).toContain('PSSOAuthPlugin:login-auth');
  });

  it.each(versions)('jamf-connect replaces Apple\'s UI with Jamf Connect\'s and appends its end mechanisms after loginwindow:done on %s', (_name, chain) => {
    const result = presetChain(chain, 'jamf-connect');
    expect(result).not.toContain('loginwindow:login');
    expect(result.indexOf(JAMF_CONNECT_LOGIN_UI)).toBe(chain.indexOf('loginwindow:login'));
    expect(result.indexOf(JAMF_CONNECT_LOGIN_UI)).toBeLessThan(result.indexOf('builtin:login-begin'));
    expect(result.slice(result.indexOf('loginwindow:done') + 1)).toEqual([
      'JamfConnectLogin:EnableFDE,privileged',
      'JamfConnectLogin:SierraFixes,privileged',
      'JamfConnectLogin:KeychainAdd,privileged',
    ]);
    expect(classifyLoginWindow(result)).toBe('jamf-connect');
    expect(withoutJamfConnect(result)).toEqual(chain);
  });

  it('builds the same Sonoma jamf-connect chain as the reconstructed authchanger -print fixture', () => {
    const printed = fixtureText('macos-any/authchanger-print-jamfconnect');
    const mechanisms = printed
      .split('\n')
      .filter((line) => line.startsWith('      ') && line.includes(':'))
      .map((line) => line.trim())
      .slice(0, 23);
    expect(presetChain(SONOMA, 'jamf-connect')).toEqual(mechanisms);
  });

  it.each(LOGIN_WINDOW_PRESETS)('is idempotent: applying %s to its own result changes nothing', (preset) => {
    for (const [, chain] of versions) {
      const once = presetChain(chain, preset);
      expect(presetChain(once, preset)).toEqual(once);
    }
  });

  it('gives the same chain whichever preset was applied before', () => {
    for (const before of LOGIN_WINDOW_PRESETS) {
      for (const after of LOGIN_WINDOW_PRESETS) {
        expect(presetChain(presetChain(SONOMA, before), after)).toEqual(presetChain(SONOMA, after));
      }
    }
  });

  it('refuses with the anchor\'s name when builtin:login-begin is missing, instead of skipping the mechanism', () => {
    const broken = SONOMA.filter((mechanism) => mechanism !== 'builtin:login-begin');
    expect(() => presetChain(broken, 'demobilize')).toThrow(ChainAnchorError);
    expect(() => presetChain(broken, 'demobilize')).toThrow(/anchor builtin:login-begin is not in the macOS default chain/);
    expect(() => presetChain(broken, 'jamf-connect')).toThrow(/builtin:login-begin/);
    expect(presetChain(broken, 'apple')).toEqual(broken);
  });

  it('refuses when loginwindow:login or loginwindow:done is missing', () => {
    const noUi = SONOMA.filter((mechanism) => mechanism !== 'loginwindow:login');
    expect(() => presetChain(noUi, 'demobilize')).toThrow(/loginwindow:login/);
    expect(() => presetChain(noUi, 'jamf-connect')).toThrow(/loginwindow:login/);
    const noDone = SONOMA.filter((mechanism) => mechanism !== 'loginwindow:done');
    expect(() => presetChain(noDone, 'jamf-connect')).toThrow(/anchor loginwindow:done/);
    try {
      presetChain(noDone, 'jamf-connect');
    } catch (error) {
      expect(error).toMatchObject({ code: 'E_LOGINWINDOW_ANCHOR_MISSING', anchor: 'loginwindow:done', preset: 'jamf-connect' });
    }
  });

  it('refuses an empty or malformed base chain', () => {
    expect(() => presetChain([], 'apple')).toThrow(InvalidChainError);
    expect(() => presetChain(['builtin:prelogin', 'not a mechanism'], 'apple')).toThrow(/"not a mechanism"/);
  });
});

describe('diffChains', () => {
  it('shows an insertion as one added line', () => {
    const lines = diffChains(SONOMA, presetChain(SONOMA, 'demobilize'));
    expect(lines.filter((line) => line.change !== 'same')).toEqual([{ change: 'added', mechanism: JAMF_CONNECT_DEMOBILIZE }]);
    expect(diffChanges(lines)).toBe(true);
  });

  it('shows a replacement as removed and added lines in place', () => {
    const text = renderDiff(diffChains(SONOMA, presetChain(SONOMA, 'jamf-connect')));
    expect(text).toContain('- loginwindow:login\n');
    expect(text).toContain('+ JamfConnectLogin:LoginUI\n');
    expect(text.split('\n')[0]).toBe('  builtin:prelogin');
  });

  it('finds no change between equal chains, and a swap as a move', () => {
    expect(diffChanges(diffChains(SONOMA, SONOMA))).toBe(false);
    const swapped = ['builtin:policy-banner', 'builtin:prelogin', ...SONOMA.slice(2)];
    const changed = diffChains(SONOMA, swapped).filter((line) => line.change !== 'same');
    expect(changed).toHaveLength(2);
  });
});

describe('detectDrift', () => {
  it.each(versions)('is in sync when the chain is the preset\'s on %s', (_name, chain) => {
    for (const preset of LOGIN_WINDOW_PRESETS) expect(detectDrift(preset, presetChain(chain, preset), chain)).toBe('in-sync');
  });

  it('sees an OS update that put the default back as reset-by-os', () => {
    expect(detectDrift('demobilize', SONOMA, SONOMA)).toBe('reset-by-os');
    expect(detectDrift('jamf-connect', VENTURA, VENTURA)).toBe('reset-by-os');
  });

  it('sees an upgrade to a new default (Ventura chain, then the Sonoma default after the upgrade) as reset-by-os', () => {
    const beforeUpgrade = presetChain(VENTURA, 'demobilize');
    expect(detectDrift('demobilize', beforeUpgrade, VENTURA)).toBe('in-sync');
    expect(detectDrift('demobilize', SONOMA, SONOMA)).toBe('reset-by-os');
  });

  it('calls anything else changed-by-someone-else', () => {
    const xcreds = ['builtin:prelogin', 'builtin:policy-banner', 'XCredsLoginPlugin:LoginWindow', ...SONOMA.slice(3)];
    expect(detectDrift('demobilize', xcreds, SONOMA)).toBe('changed-by-someone-else');
    expect(detectDrift('apple', presetChain(SONOMA, 'demobilize'), SONOMA)).toBe('changed-by-someone-else');
    const authchangerReset = ['builtin:policy-banner', 'builtin:prelogin', ...SONOMA.slice(2)];
    expect(detectDrift('demobilize', authchangerReset, SONOMA)).toBe('changed-by-someone-else');
  });

  it('accepts any chain with Jamf Connect\'s login UI for jamf-connect, since authchanger decides the exact list', () => {
    const jamfsOwn = ['builtin:policy-banner', 'builtin:prelogin', JAMF_CONNECT_LOGIN_UI, ...SONOMA.slice(3)];
    expect(satisfiesPreset('jamf-connect', jamfsOwn, SONOMA)).toBe(true);
    expect(detectDrift('jamf-connect', jamfsOwn, SONOMA)).toBe('in-sync');
  });
});

describe('planLoginWindow', () => {
  it('writes demobilize and apple itself even when authchanger is installed', () => {
    expect(planLoginWindow('demobilize', SONOMA, SONOMA, true)).toMatchObject({ method: 'authorizationdb', changes: true, intendedIsExact: true });
    expect(planLoginWindow('apple', presetChain(SONOMA, 'demobilize'), SONOMA, true)).toMatchObject({ method: 'authorizationdb', changes: true });
  });

  it('lets authchanger write jamf-connect when installed, and writes the best-known list when not', () => {
    expect(planLoginWindow('jamf-connect', SONOMA, SONOMA, true)).toMatchObject({ method: 'authchanger', intendedIsExact: false, changes: true });
    expect(planLoginWindow('jamf-connect', SONOMA, SONOMA, false)).toMatchObject({ method: 'authorizationdb', intendedIsExact: true, changes: true });
  });

  it('plans no write when the chain already is the preset\'s', () => {
    const plan = planLoginWindow('demobilize', presetChain(VENTURA, 'demobilize'), VENTURA, false);
    expect(plan.changes).toBe(false);
    expect(diffChanges(plan.diff)).toBe(false);
  });

  it('lists the third-party plug-ins a preset loads, which must be installed', () => {
    expect(planLoginWindow('apple', SONOMA, SONOMA, false).requiredPlugins).toEqual([]);
    expect(planLoginWindow('demobilize', SONOMA, SONOMA, false).requiredPlugins).toEqual(['JamfConnectLogin']);
    expect(thirdPartyPlugins(['XCredsLoginPlugin:LoginWindow', ...VENTURA], VENTURA)).toEqual(['XCredsLoginPlugin']);
  });

  it('names the other products\' mechanisms a preset would remove', () => {
    const xcreds = presetChain(SONOMA, 'apple').map((mechanism) => (mechanism === 'loginwindow:login' ? 'XCredsLoginPlugin:LoginWindow' : mechanism));
    expect(planLoginWindow('demobilize', xcreds, SONOMA, false).removesForeign).toEqual(['XCredsLoginPlugin:LoginWindow']);
  });
});
