// The protocol refuses what PostgreSQL cannot store (issue 11 item 3): NUL and unpaired surrogates in any string,
// times outside the sane range, agent clocks far in the future; the agent's sanitizer keeps tool text reportable.
import { describe, expect, it } from 'vitest';
import { AgentEvent, EnrollRequest, Inventory, MAX_FUTURE_SKEW_MS, decodeAgentMessage, isStorableText, toStorableText } from '../../protocol/src/index.js';
import { sampleEvent, sampleInventory } from './samples.js';

describe('storable strings and times', () => {
  it('tells storable text from NUL and unpaired surrogates, and keeps paired ones (emoji)', () => {
    expect(isStorableText('jdoe 👩‍💻 ü')).toBe(true);
    for (const text of ['a\u0000b', 'a\ud800', '\udc00b', 'x\ud800\ud800y']) expect(isStorableText(text)).toBe(false);
  });

  it('refuses NUL wherever a string goes: message, user, detail key and value, nested list, inventory, enrollment', () => {
    const cases: Array<Partial<AgentEvent>> = [{ message: '\u0000' }, { user: 'j\u0000' }, { detail: { 'k\u0000': 1 } }, { detail: { k: 'v\u0000' } }, { detail: { k: ['\u0000'] } }];
    for (const overrides of cases) {
      expect(AgentEvent.safeParse(sampleEvent(1, overrides)).success, JSON.stringify(overrides)).toBe(false);
    }
    expect(Inventory.safeParse(sampleInventory({ hostname: 'mac\u0000' })).success).toBe(false);
    const user = { ...sampleInventory().users[0]!, home: '/Users/\ud800' };
    expect(Inventory.safeParse(sampleInventory({ users: [user] })).success).toBe(false);
    expect(EnrollRequest.safeParse({ device: { hardwareUuid: '6F1C8B3E-1111-4222-8333-444455556666', serial: 'C02X' }, hostname: 'a\u0000', agentVersion: '1' }).success).toBe(false);
  });

  it('refuses times before 2000, year 0000, and more than a day ahead of the receiver, naming the field', () => {
    for (const time of ['0000-01-01T00:00:00Z', '1999-12-31T23:59:59Z', new Date(Date.now() + MAX_FUTURE_SKEW_MS + 60_000).toISOString()]) {
      const decoded = decodeAgentMessage(JSON.stringify({ type: 'event', event: sampleEvent(1, { time }) }));
      expect(decoded).toMatchObject({ ok: false, code: 'E_BAD_MESSAGE', messageType: 'event', reason: expect.stringContaining('event.time') });
    }
    expect(AgentEvent.safeParse(sampleEvent(1, { time: new Date(Date.now() + 3600_000).toISOString() })).success).toBe(true);
  });

  it('names the item id of a refused event or result so the receiver can refuse only that item', () => {
    const event = sampleEvent(1, { message: 'x\u0000' });
    expect(decodeAgentMessage(JSON.stringify({ type: 'event', event }))).toMatchObject({ ok: false, itemId: event.id });
    const commandId = '6F1C8B3E-1111-4222-8333-444455556666';
    expect(decodeAgentMessage(JSON.stringify({ type: 'commandResult', result: { commandId, outcome: 'failed', message: '\u0000', finishedAt: new Date().toISOString() } }))).toMatchObject({
      ok: false,
      itemId: commandId,
    });
  });

  it('makes tool text storable instead of losing it, and never cuts a surrogate pair in half', () => {
    expect(toStorableText('out\u0000put \ud800!', 100)).toBe('out\ufffdput \ufffd!');
    expect(toStorableText('ab👍', 3)).toBe('ab');
    expect(isStorableText(toStorableText('x'.repeat(10) + '👍'.repeat(10), 15))).toBe(true);
  });
});
