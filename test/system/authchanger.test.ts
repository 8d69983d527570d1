import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInstalled, parseAuthchangerPrint, printChain, run } from '../../agent/src/system/authchanger.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture, fixtureText } from './fake-mac.js';

describe('parseAuthchangerPrint', () => {
  it('reads each Entry block with its lists and scalar keys', () => {
    const entries = parseAuthchangerPrint(fixtureText('macos-any/authchanger-print-jamfconnect'));
    expect(entries.map((entry) => entry.right)).toEqual([
      'system.login.console',
      'system.services.systemconfiguration.network',
      'system.preferences.network',
    ]);
    const console = entries[0]!;
    expect(console.mechanisms).toContain('JamfConnectLogin:LoginUI');
    expect(console.mechanisms).toHaveLength(23);
    expect(console.properties).toEqual({
      class: 'evaluate-mechanisms',
      tries: '10000',
      shared: '1',
      version: '11',
      comment: 'Login mechanism based rule.  Not for general use, yet.',
    });
    expect(entries[1]!.rule).toEqual(['is-root', 'entitled', 'authenticate-admin-nonshared']);
  });

  it('refuses lines outside an entry or with an unknown layout', () => {
    expect(() => parseAuthchangerPrint('   tries : 1\n')).toThrow(UnexpectedOutputError);
    expect(() => parseAuthchangerPrint('Entry: x\n\tweird\n')).toThrow(/unknown layout/);
  });
});

describe('authchanger tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('says whether authchanger is installed', async () => {
    await expect(isInstalled()).resolves.toBe(false);
    mac.install('authchanger', {});
    await expect(isInstalled()).resolves.toBe(true);
  });

  it('prints the chain with -print', async () => {
    mac.installFixture('authchanger', 'macos-any/authchanger-print-jamfconnect');
    await expect(printChain()).resolves.toHaveLength(3);
    expect(mac.calls('authchanger')[0]!.args).toEqual(['-print']);
  });

  it('runs only the known presets with their exact arguments', async () => {
    mac.install('authchanger', {});
    await run({ kind: 'reset' });
    await run({ kind: 'reset-jamfconnect' });
    await run({ kind: 'reset-preauth', mechanisms: ['JamfConnectLogin:DeMobilize,privileged'] });
    expect(mac.calls('authchanger').map((call) => call.args)).toEqual([
      ['-reset'],
      ['-reset', '-JamfConnect'],
      ['-reset', '-preAuth', 'JamfConnectLogin:DeMobilize,privileged'],
    ]);
  });

  it('refuses a malformed mechanism name', async () => {
    mac.install('authchanger', {});
    await expect(run({ kind: 'reset-preauth', mechanisms: ['not a mechanism'] })).rejects.toThrow(TypeError);
    expect(mac.calls('authchanger')).toEqual([]);
  });

  it('answers not-root when authchanger refuses to write without root', async () => {
    mac.install('authchanger', fixture('macos-any/authchanger-reset-not-root'));
    await expect(run({ kind: 'reset' })).resolves.toEqual({ kind: 'not-root' });
  });

  it('throws for any other failure', async () => {
    mac.install('authchanger', { stderr: 'boom\n', exitCode: 2 });
    await expect(run({ kind: 'reset' })).rejects.toMatchObject({ code: 'E_TOOL_FAILED', exitCode: 2 });
  });
});
