import { describe, expect, it } from 'vitest';
import { classifyLoginWindow, defaultMechanismsFrom, hasDemobilizeMechanism, isMechanism } from '../../agent/src/loginwindow/chain.js';

describe('login window chain classification', () => {
  it('names the identity provider by the UI mechanism that replaced loginwindow:login', () => {
    expect(classifyLoginWindow(['builtin:prelogin', 'JamfConnectLogin:LoginUI', 'loginwindow:done'])).toBe('jamf-connect');
    expect(classifyLoginWindow(['XCredsLoginPlugin:LoginWindow'])).toBe('xcreds');
    expect(classifyLoginWindow(['jumpcloud-loginwindow:invoke'])).toBe('jumpcloud');
    expect(classifyLoginWindow(['builtin:prelogin', 'loginwindow:login'])).toBe('apple');
    expect(classifyLoginWindow(['builtin:prelogin'])).toBe('other');
  });

  it('finds a DeMobilize mechanism from either vendor', () => {
    expect(hasDemobilizeMechanism(['loginwindow:login', 'JamfConnectLogin:DeMobilize,privileged'])).toBe(true);
    expect(hasDemobilizeMechanism(['NoMADLoginAD:DeMobilize,privileged'])).toBe(true);
    expect(hasDemobilizeMechanism(['loginwindow:login'])).toBe(false);
  });

  it('accepts only Plugin:Mechanism with an optional ,privileged', () => {
    expect(isMechanism('builtin:authenticate,privileged')).toBe(true);
    expect(isMechanism('builtin:authenticate,root')).toBe(false);
    expect(isMechanism('no-colon')).toBe(false);
    expect(isMechanism('a:b c')).toBe(false);
  });

  it('reads the default chain from the rights dictionary of authorization.plist and says what is missing', () => {
    expect(defaultMechanismsFrom({ rights: { 'system.login.console': { class: 'evaluate-mechanisms', mechanisms: ['a:b'] } } }, 'system.login.console')).toEqual(['a:b']);
    expect(() => defaultMechanismsFrom({ rules: {} }, 'system.login.console')).toThrow(/no "rights" dictionary/);
    expect(() => defaultMechanismsFrom({ rights: {} }, 'system.login.console')).toThrow(/no mechanisms for system.login.console/);
  });
});
