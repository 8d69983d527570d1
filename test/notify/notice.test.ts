import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideNotice, noticeFor, type AccountEvent } from '../../agent/src/notify/decide.js';
import { markNotified, readAccountEvents, recordAccountEvent } from '../../agent/src/notify/ledger.js';
import { notifyOnLogin, showNotice } from '../../agent/src/notify/send.js';
import { DEFAULT_NOTICE_CONFIG, localeFallbacks, noticeTextsSchema, normalizeLocale } from '../../agent/src/notify/texts.js';
import { dialogArgs } from '../../agent/src/system/osascript.js';
import { utilityWindowArgs } from '../../agent/src/system/jamfhelper.js';
import { TOOL_PATHS } from '../../agent/src/system/tools.js';
import { FakeMac } from '../system/fake-mac.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const HOUR = 60 * 60 * 1000;

function event(partial: Partial<AccountEvent> & Pick<AccountEvent, 'kind'>): AccountEvent {
  return { id: `${partial.user ?? 'jdoe'}-${partial.kind}-${partial.at ?? 'x'}`, user: 'jdoe', at: new Date(NOW.getTime() - HOUR).toISOString(), ...partial };
}

const GERMAN = noticeTextsSchema.parse({
  defaultLocale: 'en',
  texts: {
    linked: { de: { title: 'Konto verknüpft', message: 'Ihr Konto „{user}" ist jetzt mit {cloudUser} verknüpft.', button: 'Verstanden' } },
    demobilized: { de: { title: 'Konto aktualisiert', message: 'Ihr Konto „{user}" ist jetzt lokal. Das Passwort bleibt gleich.' } },
  },
});

describe('notice texts', () => {
  it('are English by default, with the user and cloud account filled in', () => {
    const notice = noticeFor({ kind: 'linked', user: 'jdoe', cloudUser: 'jdoe@example.com' }, DEFAULT_NOTICE_CONFIG, undefined);
    expect(notice.locale).toBe('en');
    expect(notice.message).toContain('"jdoe"');
    expect(notice.message).toContain('jdoe@example.com');
    expect(notice.message).toMatch(/same as before/);
    expect(notice.message).toMatch(/keychain asks for your previous password/);
    expect(notice.button).toBe('OK');
  });

  it('say "the same password" after a demobilization', () => {
    expect(noticeFor({ kind: 'demobilized', user: 'jdoe' }, DEFAULT_NOTICE_CONFIG, 'en').message).toMatch(/password is the same as before/);
  });

  it('follow the user\'s locale, from the region to the language to the default to English', () => {
    expect(noticeFor({ kind: 'linked', user: 'jdoe', cloudUser: 'j@x.io' }, GERMAN, 'de_CH').title).toBe('Konto verknüpft');
    expect(noticeFor({ kind: 'linked', user: 'jdoe', cloudUser: 'j@x.io' }, GERMAN, 'de_CH').button).toBe('Verstanden');
    expect(noticeFor({ kind: 'demobilized', user: 'jdoe' }, GERMAN, 'de').button).toBe('Verstanden');
    expect(noticeFor({ kind: 'link-pending', user: 'jdoe' }, GERMAN, 'de').locale).toBe('en');
    expect(noticeFor({ kind: 'linked', user: 'jdoe' }, GERMAN, 'fr-FR').locale).toBe('en');
    expect(localeFallbacks('de_CH@currency=EUR', 'fr')).toEqual(['de-CH', 'de', 'fr', 'en']);
    expect(normalizeLocale('not a locale!')).toBeUndefined();
  });

  it('never expand a placeholder that arrives inside a value', () => {
    const notice = noticeFor({ kind: 'linked', user: '{cloudUser}', cloudUser: '{user}' }, DEFAULT_NOTICE_CONFIG, 'en');
    expect(notice.message).toContain('"{cloudUser}"');
    expect(notice.message).toContain('account {user}.');
  });

  it('refuse configuration texts with unknown placeholders, control characters, a leading "-" or too much text', () => {
    const bad = (text: object) => noticeTextsSchema.safeParse({ texts: { linked: { en: text } } }).success;
    expect(bad({ title: 'Hi {usr}', message: 'x' })).toBe(false);
    expect(bad({ title: 'Hi\u001b[2J', message: 'x' })).toBe(false);
    expect(bad({ title: '-windowType fs', message: 'x' })).toBe(false);
    expect(bad({ title: 'Hi', message: 'x'.repeat(1001) })).toBe(false);
    expect(bad({ title: 'Hi {user}', message: 'line one\nline two' })).toBe(true);
    expect(noticeTextsSchema.safeParse({ texts: { linked: { 'DE!': { title: 'a', message: 'b' } } } }).success).toBe(false);
    expect(noticeTextsSchema.safeParse({ texts: { unknownKind: { en: { title: 'a', message: 'b' } } } }).success).toBe(false);
    expect(noticeTextsSchema.safeParse({ locales: {} }).success).toBe(false);
    expect(noticeTextsSchema.parse(undefined)).toEqual({ defaultLocale: 'en', texts: {} });
  });
});

describe('decideNotice', () => {
  const session = { user: 'jdoe', uid: 501 };

  it('tells nobody when nothing happened to their account', () => {
    expect(decideNotice(session, [], NOW)).toMatchObject({ notify: false, reason: expect.stringMatching(/nothing happened/) });
    expect(decideNotice(session, [event({ kind: 'linked', user: 'asmith' })], NOW).notify).toBe(false);
  });

  it('tells the user whose account was just changed, whatever the case of the name', () => {
    const decision = decideNotice({ user: 'JDoe', uid: 501 }, [event({ kind: 'demobilized' })], NOW);
    expect(decision).toMatchObject({ notify: true, event: { kind: 'demobilized' } });
  });

  it('tells a user about a change that is about to happen', () => {
    expect(decideNotice(session, [event({ kind: 'link-pending' })], NOW)).toMatchObject({ notify: true, event: { kind: 'link-pending' } });
  });

  it('never notifies root, system accounts or the login window', () => {
    expect(decideNotice({ user: 'root', uid: 0 }, [event({ kind: 'linked', user: 'root' })], NOW).notify).toBe(false);
    expect(decideNotice({ user: '_mbsetupuser', uid: 248 }, [event({ kind: 'linked', user: '_mbsetupuser' })], NOW).notify).toBe(false);
  });

  it('tells once: events already told, or too old to be news, give no notice', () => {
    expect(decideNotice(session, [event({ kind: 'linked', notifiedAt: NOW.toISOString() })], NOW)).toMatchObject({ notify: false, reason: expect.stringMatching(/already told/) });
    const old = new Date(NOW.getTime() - 30 * 24 * HOUR).toISOString();
    expect(decideNotice(session, [event({ kind: 'linked', at: old })], NOW)).toMatchObject({ notify: false, reason: expect.stringMatching(/too old/) });
  });

  it('prefers a done change over its announcement and covers both', () => {
    const pending = event({ kind: 'link-pending', at: new Date(NOW.getTime() - 5 * HOUR).toISOString() });
    const done = event({ kind: 'linked' });
    const other = event({ kind: 'demobilize-pending' });
    const decision = decideNotice(session, [pending, other, done], NOW);
    expect(decision).toMatchObject({ notify: true, event: { kind: 'linked' } });
    if (decision.notify) expect(decision.covers.sort()).toEqual([done.id, pending.id].sort());
  });
});

describe('notice windows carry the texts as arguments, never as script', () => {
  const hostile = '" & (do shell script "touch /tmp/pwned") & "';

  it('osascript gets a constant script and the texts after "--"', () => {
    const args = dialogArgs({ title: hostile, message: `line\n${hostile}`, button: 'OK', timeoutSeconds: 300 });
    const separator = args.indexOf('--');
    expect(args.slice(separator + 1)).toEqual([hostile, `line\n${hostile}`, 'OK']);
    const scriptLines = args.slice(0, separator).filter((_arg, index) => index % 2 === 1);
    expect(scriptLines).toEqual([
      'on run argv',
      'display dialog (item 2 of argv) with title (item 1 of argv) buttons {item 3 of argv} default button 1 with icon note giving up after 300',
      'end run',
    ]);
    expect(args.slice(0, separator).filter((_arg, index) => index % 2 === 0).every((flag) => flag === '-e')).toBe(true);
  });

  it('osascript drops control characters from texts and refuses a non-integer timeout', () => {
    expect(dialogArgs({ title: 'a\u0007b', message: 'm', button: 'OK', timeoutSeconds: 1 }).at(-3)).toBe('ab');
    expect(() => dialogArgs({ title: 't', message: 'm', button: 'OK', timeoutSeconds: 1.5 })).toThrow(TypeError);
  });

  it('jamfHelper gets a utility window whose texts cannot pass for flags', () => {
    const args = utilityWindowArgs({ title: '-windowType', description: hostile, button: 'OK', timeoutSeconds: 300 });
    expect(args.slice(0, 2)).toEqual(['-windowType', 'utility']);
    expect(args[args.indexOf('-title') + 1]).toBe('\u2010windowType');
    expect(args[args.indexOf('-description') + 1]).toBe(hostile);
    expect(args.filter((arg) => arg === '-windowType')).toHaveLength(1);
  });
});

describe('showing a notice in the user\'s session', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
    mac.install('launchctl', {});
  });
  afterEach(() => mac.dispose());

  const notice = noticeFor({ kind: 'linked', user: 'jdoe', cloudUser: 'jdoe@example.com' }, DEFAULT_NOTICE_CONFIG, 'en');

  it('uses jamfHelper through launchctl asuser when jamfHelper is installed', async () => {
    mac.install('jamfHelper', {});
    await expect(showNotice(501, notice)).resolves.toEqual({ shown: true, via: 'jamfHelper' });
    const [call] = mac.calls('launchctl');
    expect(call!.args.slice(0, 8)).toEqual(['asuser', '501', TOOL_PATHS.sudo, '-n', '-u', '#501', '--', TOOL_PATHS.jamfHelper]);
    expect(call!.args).toContain(notice.message);
    expect(mac.calls('jamfHelper')).toHaveLength(0);
  });

  it('falls back to osascript through launchctl asuser', async () => {
    await expect(showNotice(502, notice)).resolves.toEqual({ shown: true, via: 'osascript' });
    const [call] = mac.calls('launchctl');
    expect(call!.args.slice(0, 9)).toEqual(['asuser', '502', '/usr/bin/sudo', '-n', '-u', '#502', '--', '/usr/bin/osascript', '-e']);
    expect(call!.args.slice(-3)).toEqual([notice.title, notice.message, 'OK']);
  });

  it('records, decides, shows once and marks the events told', async () => {
    await recordAccountEvent(event({ kind: 'linked', cloudUser: 'jdoe@example.com' }), NOW);
    const first = await notifyOnLogin({ user: 'jdoe', uid: 501 }, DEFAULT_NOTICE_CONFIG, { now: NOW });
    expect(first.show).toEqual({ shown: true, via: 'osascript' });
    expect((await readAccountEvents())[0]!.notifiedAt).toBe(NOW.toISOString());
    const second = await notifyOnLogin({ user: 'jdoe', uid: 501 }, DEFAULT_NOTICE_CONFIG, { now: NOW });
    expect(second.decision.notify).toBe(false);
    const other = await notifyOnLogin({ user: 'asmith', uid: 502 }, DEFAULT_NOTICE_CONFIG, { now: NOW });
    expect(other.decision.notify).toBe(false);
    expect(mac.calls('launchctl')).toHaveLength(1);
  });

  it('keeps the event open when the window could not be shown', async () => {
    mac.install('launchctl', { exitCode: 5, stderr: 'Could not find domain for user gui: 501\n' });
    await recordAccountEvent(event({ kind: 'demobilized' }), NOW);
    const outcome = await notifyOnLogin({ user: 'jdoe', uid: 501 }, DEFAULT_NOTICE_CONFIG, { now: NOW });
    expect(outcome.show?.shown).toBe(false);
    expect((await readAccountEvents())[0]!.notifiedAt).toBeUndefined();
    await markNotified([(await readAccountEvents())[0]!.id], NOW);
    expect((await readAccountEvents())[0]!.notifiedAt).toBe(NOW.toISOString());
  });
});
