import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthorizationDbError,
  LOGIN_CONSOLE_RIGHT,
  buildAuthorizationRight,
  parseAuthorizationRight,
  parseAuthorizationStatus,
  readAuthorizationRight,
  writeAuthorizationRight,
} from '../../agent/src/system/security.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixture, fixtureText } from './fake-mac.js';

const SONOMA = 'macos-14/security-authorizationdb-read-system.login.console';
const VENTURA = 'macos-13/security-authorizationdb-read-system.login.console';

describe('parseAuthorizationRight', () => {
  it('reads the Sonoma login chain: 17 mechanisms, version 11', () => {
    const right = parseAuthorizationRight(fixtureText(SONOMA));
    expect(right.class).toBe('evaluate-mechanisms');
    expect(right.mechanisms).toHaveLength(17);
    expect(right.mechanisms?.[0]).toBe('builtin:prelogin');
    expect(right.mechanisms?.at(-1)).toBe('loginwindow:done');
    expect(right).toMatchObject({ version: 11, shared: true, tries: 10000, created: 719346785.95490503 });
  });

  it('reads the Ventura login chain with PSSOAuthPlugin:login-auth, version 10', () => {
    const right = parseAuthorizationRight(fixtureText(VENTURA));
    expect(right.mechanisms).toHaveLength(18);
    expect(right.mechanisms).toContain('PSSOAuthPlugin:login-auth');
    expect(right.version).toBe(10);
  });

  it('keeps keys it does not model for the round trip', () => {
    const raw = fixtureText(SONOMA).replace('<key>tries</key>', '<key>authenticate-user</key>\n\t<true/>\n\t<key>tries</key>');
    expect(parseAuthorizationRight(raw)['authenticate-user']).toBe(true);
  });

  it('refuses a right without a class and a malformed plist', () => {
    expect(() => parseAuthorizationRight(fixtureText(SONOMA).replace('<key>class</key>', '<key>klass</key>'))).toThrow(/class/);
    expect(() => parseAuthorizationRight('<plist><dict><key>class</key></plist>')).toThrow(UnexpectedOutputError);
  });
});

describe('buildAuthorizationRight', () => {
  it('prints a plist that parses back to the same right, keeping created/modified as reals', () => {
    const right = parseAuthorizationRight(fixtureText(SONOMA));
    const rebuilt = buildAuthorizationRight({ ...right, created: 719346785 });
    expect(rebuilt).toContain('<real>719346785.0</real>');
    expect(rebuilt).toContain('\t\t<string>builtin:policy-banner</string>');
    expect(parseAuthorizationRight(buildAuthorizationRight(right))).toEqual(right);
  });
});

describe('parseAuthorizationStatus', () => {
  it('reads YES (0) and NO (-60005) from stderr', () => {
    expect(parseAuthorizationStatus(fixture(SONOMA).stderr)).toEqual({ ok: true });
    expect(parseAuthorizationStatus(fixture('macos-13/security-authorizationdb-read-bogus-right-name').stderr)).toEqual({ ok: false, status: -60005 });
    expect(parseAuthorizationStatus('')).toBeUndefined();
  });
});

describe('security tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('reads a right with security authorizationdb read', async () => {
    mac.installFixture('security', SONOMA);
    const right = await readAuthorizationRight(LOGIN_CONSOLE_RIGHT);
    expect(right.mechanisms).toHaveLength(17);
    expect(mac.calls('security')[0]!.args).toEqual(['authorizationdb', 'read', 'system.login.console']);
  });

  it('turns NO (-60005) into an AuthorizationDbError carrying the status', async () => {
    mac.installFixture('security', 'macos-13/security-authorizationdb-read-bogus-right-name');
    const error = await readAuthorizationRight('bogus-right-name').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationDbError);
    expect(error).toMatchObject({ status: -60005, exitCode: 255, tool: 'security', code: 'E_TOOL_FAILED' });
  });

  it('writes a right as a plist on stdin and accepts YES (0)', async () => {
    mac.install('security', fixture('macos-14/security-authorizationdb-write'));
    const right = parseAuthorizationRight(fixtureText(SONOMA));
    const mechanisms = [...(right.mechanisms ?? [])];
    mechanisms.splice(mechanisms.indexOf('loginwindow:done'), 0, 'Untether:Check,privileged');
    await writeAuthorizationRight(LOGIN_CONSOLE_RIGHT, { ...right, mechanisms });
    const call = mac.calls('security')[0]!;
    expect(call.args).toEqual(['authorizationdb', 'write', 'system.login.console']);
    expect(parseAuthorizationRight(call.stdin).mechanisms).toEqual(mechanisms);
  });

  it('fails a write that exits 0 without YES (0)', async () => {
    mac.install('security', { stderr: '' });
    const right = parseAuthorizationRight(fixtureText(SONOMA));
    await expect(writeAuthorizationRight(LOGIN_CONSOLE_RIGHT, right)).rejects.toMatchObject({ code: 'E_TOOL_OUTPUT' });
  });

  it('fails a non-root write with the NO status', async () => {
    mac.install('security', { stderr: 'NO (-60005)\n', exitCode: 255 });
    const right = parseAuthorizationRight(fixtureText(SONOMA));
    await expect(writeAuthorizationRight(LOGIN_CONSOLE_RIGHT, right)).rejects.toBeInstanceOf(AuthorizationDbError);
  });

  it('refuses a right name that could be an option before running security', async () => {
    mac.installFixture('security', SONOMA);
    await expect(readAuthorizationRight('-q')).rejects.toThrow(TypeError);
    expect(mac.calls('security')).toEqual([]);
  });
});
