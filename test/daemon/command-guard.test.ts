// The daemon's guard for server commands (issue 11 item 8): configured accounts and the last SecureToken holder are
// never touched; "all" leaves them out instead of refusing.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/src/index.js';
import { guardCommand, lastSecureTokenHolder } from '../../agent/src/daemon/command-guard.js';
import type { DirectoryRecord } from '../../agent/src/system/directory-record.js';

const base = { id: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', issuedAt: '2026-11-01T11:59:00Z', validUntil: '2026-11-01T13:00:00Z' };
const OD = 'Local Open Directory User';

function user(name: string, guid: string): DirectoryRecord {
  return { recordName: name, attributes: { 'dsAttrTypeStandard:RecordName': [name], 'dsAttrTypeStandard:GeneratedUID': [guid] } };
}

describe('command guard', () => {
  const users = [user('itadmin', 'AAAA0000-0000-4000-8000-000000000001'), user('jdoe', 'AAAA0000-0000-4000-8000-000000000002')];

  it('finds the only SecureToken holder, and none when there are several or the list is unreadable', () => {
    expect(lastSecureTokenHolder(users, [{ uuid: 'aaaa0000-0000-4000-8000-000000000001', type: OD }, { uuid: 'X', type: 'Personal Recovery User' }])).toBe('itadmin');
    expect(lastSecureTokenHolder(users, users.map((record, index) => ({ uuid: `AAAA0000-0000-4000-8000-00000000000${index + 1}`, type: OD })))).toBeNull();
    expect(lastSecureTokenHolder(users, null)).toBeNull();
  });

  it('refuses a command naming the last SecureToken holder or a protected account, and excludes both from "all"', () => {
    const named = (name: string): Command => ({ ...base, type: 'demobilize', params: { scope: 'user', user: name } });
    expect(guardCommand(named('ITADMIN'), [], 'itadmin')).toMatchObject({ refuse: true, code: 'E_ACCOUNT_PROTECTED', reason: expect.stringContaining('last SecureToken') });
    expect(guardCommand(named('helpdesk'), ['helpdesk'], null)).toMatchObject({ refuse: true, code: 'E_ACCOUNT_PROTECTED' });
    expect(guardCommand(named('jdoe'), ['helpdesk'], 'itadmin')).toEqual({ refuse: false, exclude: ['helpdesk', 'itadmin'] });
    expect(guardCommand({ ...base, type: 'demobilize', params: { scope: 'all' } }, ['helpdesk'], 'itadmin')).toEqual({ refuse: false, exclude: ['helpdesk', 'itadmin'] });
    const takeover: Command = { ...base, type: 'takeover', params: { mappings: [{ localUser: 'jdoe', identity: 'j' }, { localUser: 'itadmin', identity: 'i' }] } };
    expect(guardCommand(takeover, [], 'itadmin')).toMatchObject({ refuse: true });
    expect(guardCommand({ ...base, type: 'unbind', params: {} }, ['x'], 'itadmin')).toMatchObject({ refuse: false });
  });
});
