// Notices on simulated Macs: after a takeover, the linked user (and only that user) gets one notice in
// their own session, through jamfHelper when Jamf is installed and osascript otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { notifyOnLogin } from '../../agent/src/notify/send.js';
import { DEFAULT_NOTICE_CONFIG, noticeTextsSchema } from '../../agent/src/notify/texts.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import type { SimulatedMac } from '../macsim/src/index.js';

const NOW = () => new Date();

function uidOf(mac: SimulatedMac, user: string): number {
  return Number(mac.readUser(user)!.uid![0]);
}

async function linkAlex(mac: SimulatedMac): Promise<void> {
  mac.logout(); // takeover writes wait until the user has no session; the notice comes at the next login
  const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex.rivera@example.com', '--yes']);
  expect(run.exitCode).toBe(0);
}

afterEach(() => setSystemRoot(undefined));

describe('notices after a takeover', () => {
  it('shows the linked user one jamfHelper notice in their session, and nobody else', async () => {
    const mac = simulatedMac({ scenario: 'local-only', localUsers: 1, jamf: true });
    await linkAlex(mac);
    setSystemRoot(mac.root);

    const other = await notifyOnLogin({ user: 'luser001', uid: uidOf(mac, 'luser001') }, DEFAULT_NOTICE_CONFIG, { now: NOW() });
    expect(other.decision.notify).toBe(false);
    expect(mac.notices()).toEqual([]);

    const first = await notifyOnLogin({ user: 'alex', uid: uidOf(mac, 'alex') }, DEFAULT_NOTICE_CONFIG, { now: NOW() });
    expect(first.show).toEqual({ shown: true, via: 'jamfHelper' });
    const notices = mac.notices();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ tool: 'jamfHelper', user: 'alex', uid: uidOf(mac, 'alex'), processUid: uidOf(mac, 'alex') });
    expect(notices[0]!.text).toContain('alex.rivera@example.com');
    expect(notices[0]!.text).toContain('same as before');
    expect(notices[0]!.text).toContain('keychain');

    const second = await notifyOnLogin({ user: 'alex', uid: uidOf(mac, 'alex') }, DEFAULT_NOTICE_CONFIG, { now: NOW() });
    expect(second.decision.notify).toBe(false);
    expect(mac.notices()).toHaveLength(1);
  });

  it('uses the configured, localized texts', async () => {
    const mac = simulatedMac({ scenario: 'local-only', jamf: true });
    await linkAlex(mac);
    setSystemRoot(mac.root);
    const texts = noticeTextsSchema.parse({ texts: { linked: { fr: { title: 'Compte relié', message: 'Votre compte « {user} » est relié à {cloudUser}.' } } } });
    await notifyOnLogin({ user: 'alex', uid: uidOf(mac, 'alex') }, texts, { now: NOW(), locale: 'fr_FR' });
    expect(mac.notices()[0]!.text).toContain('title: Compte relié');
    expect(mac.notices()[0]!.text).toContain('Votre compte « alex » est relié à alex.rivera@example.com.');
  });

  it('falls back to osascript with the texts as arguments when jamfHelper is not installed', async () => {
    const mac = simulatedMac({ scenario: 'local-only', jamf: false });
    await linkAlex(mac);
    setSystemRoot(mac.root);
    const outcome = await notifyOnLogin({ user: 'alex', uid: uidOf(mac, 'alex') }, DEFAULT_NOTICE_CONFIG, { now: NOW() });
    const call = mac.calls().find((record) => record.tool === 'launchctl' && record.args[0] === 'asuser');
    const uid = uidOf(mac, 'alex');
    expect(call?.args.slice(0, 8)).toEqual(['asuser', String(uid), '/usr/bin/sudo', '-n', '-u', `#${uid}`, '--', '/usr/bin/osascript']);
    expect(call?.args).toContain('--');
    expect(outcome.show).toEqual({ shown: true, via: 'osascript' });
    // The text reached the user as arguments, not as AppleScript source.
    expect(mac.notices()).toEqual([expect.objectContaining({ tool: 'osascript', user: 'alex', text: expect.stringMatching(/password/i) })]);
    // The dialog process itself ran as alex, not as root (sudo dropped to the uid inside the session).
    expect(mac.notices()[0]!.processUid).toBe(uid);
    expect(mac.calls().find((record) => record.tool === 'osascript')?.uid).toBe(uid);
  });
});
