import { describe, expect, it } from 'vitest';
import { applyToAttributes, nameAfter } from '../../agent/src/plan/operations.js';
import type { DirectoryRecord } from '../../agent/src/system/dscl.js';
import { mappingFromCli, parseMappingCsv, type Mapping } from '../../agent/src/takeover/mapping.js';
import { cloudShortName, localAccountsFrom, matchMappings } from '../../agent/src/takeover/match.js';
import { planTakeover, shortNameProblem, type RenameFacts, type TakeoverOptions } from '../../agent/src/takeover/plan.js';

function user(name: string, uid: number, extra: Record<string, string[]> = {}, aliases: string[] = []): DirectoryRecord {
  return {
    recordName: name,
    attributes: {
      'dsAttrTypeStandard:RecordName': [name, ...aliases],
      'dsAttrTypeStandard:UniqueID': [String(uid)],
      'dsAttrTypeStandard:GeneratedUID': [`GUID-${name.toUpperCase()}`],
      'dsAttrTypeStandard:NFSHomeDirectory': [`/Users/${name}`],
      ...extra,
    },
  };
}

const ACCOUNTS = localAccountsFrom([
  user('root', 0),
  user('_mbsetupuser', 248),
  user('jdoe', 501),
  user('ASmith', 502),
  user('admin', 503, { 'dsAttrTypeNative:IsHidden': ['1'] }),
  user('mobile', 1104562915, { 'dsAttrTypeStandard:OriginalNodeName': ['/Active Directory/CORP/All Domains'] }),
  user('bob', 504, {}, ['robert']),
  user('linked', 505, { 'dsAttrTypeNative:io.untether.cloud.username': ['someone@example.com'] }),
]);

const csv = (text: string) => parseMappingCsv(new TextEncoder().encode(text));
const NOBODY = { gui: [], logins: [], processesByUid: {} };
const GENERIC: TakeoverOptions = { provider: 'generic', idp: null, alias: false, sessions: NOBODY };

describe('matching mappings to local accounts', () => {
  it('matches an explicit local account, or the cloud user or its short name, ignoring case', () => {
    const result = matchMappings(csv('local_user,cloud_user\nJDOE,john.doe@example.com\n,asmith@example.com\n,Robert\n'), ACCOUNTS);
    expect(result.conflicts).toEqual([]);
    expect(result.matched.map((match) => [match.account.name, match.matchedBy])).toEqual([
      ['jdoe', 'local-user'],
      ['ASmith', 'cloud-short-name'],
      ['bob', 'cloud-user'],
    ]);
    expect(cloudShortName('John.Doe@Example.com')).toBe('john.doe');
  });

  it('names both rows when a local account is claimed twice, even through different spellings', () => {
    const result = matchMappings(csv('local_user,cloud_user\njdoe,jdoe@example.com\nJDoe,john@example.com\n'), ACCOUNTS);
    expect(result.conflicts).toEqual(['local account "jdoe" is claimed more than once: row 2 (jdoe → jdoe@example.com) and row 3 (JDoe → john@example.com)']);
    expect(result.matched).toEqual([]);
  });

  it('names both rows when a cloud user is mapped twice, whatever the case', () => {
    const result = matchMappings(csv('local_user,cloud_user\njdoe,Jane@Example.com\nbob,jane@example.com\n'), ACCOUNTS);
    expect(result.conflicts).toEqual(['cloud user "jane@example.com" is mapped more than once: row 2 (jdoe → Jane@Example.com) and row 3 (bob → jane@example.com)']);
  });

  it('refuses system, hidden, mobile and unknown accounts, and says to demobilize first', () => {
    const result = matchMappings(csv('local_user,cloud_user\nroot,r@x.io\n_mbsetupuser,m@x.io\nadmin,a@x.io\nmobile,mob@x.io\nghost,g@x.io\n'), ACCOUNTS);
    expect(result.refused.map((refusal) => refusal.reason)).toEqual([
      '"root" is a system account',
      '"_mbsetupuser" is a system account',
      '"admin" is a hidden account',
      '"mobile" is an Active Directory mobile account; demobilize it first (untether demobilize --user mobile)',
      'no local account is named "ghost"',
    ]);
  });

  it('refuses a link whose cloud short name is another local account', () => {
    const result = matchMappings([mappingFromCli({ localUser: 'bob', cloudUser: 'jdoe@example.com' })], ACCOUNTS);
    expect(result.refused[0]!.reason).toMatch(/"jdoe" is another local account \("jdoe"\)/);
  });

  it('says to give local_user when no account matches the cloud user', () => {
    const result = matchMappings([mappingFromCli({ cloudUser: 'nobody@example.com' })], ACCOUNTS);
    expect(result.refused[0]!.reason).toBe('no local account is named "nobody@example.com" or "nobody"; give local_user to name the account');
  });
});

describe('planTakeover', () => {
  const single = (values: Parameters<typeof mappingFromCli>[0]): Mapping[] => [mappingFromCli(values)];

  it('writes NetworkUser, OIDCProvider and AzureUser for Jamf Connect with Entra ID, plus aliases', () => {
    const plan = planTakeover(single({ localUser: 'jdoe', cloudUser: 'John.Doe@example.com' }), ACCOUNTS, { provider: 'jamf-connect', idp: 'Azure', alias: true, sessions: NOBODY });
    expect(plan.accounts[0]).toMatchObject({ user: 'jdoe', action: 'link', provider: 'jamf-connect' });
    expect(plan.accounts[0]!.operations.map((operation) => [operation.op, 'attribute' in operation ? operation.attribute : '', 'values' in operation ? operation.values : []])).toEqual([
      ['set-attribute', 'dsAttrTypeStandard:NetworkUser', ['John.Doe@example.com']],
      ['set-attribute', 'dsAttrTypeStandard:OIDCProvider', ['Azure']],
      ['set-attribute', 'dsAttrTypeStandard:AzureUser', ['John.Doe@example.com']],
      ['append-values', 'dsAttrTypeStandard:RecordName', ['john.doe', 'John.Doe@example.com']],
    ]);
  });

  it('writes OktaUser only for Okta, and refuses Jamf Connect without an identity provider', () => {
    const okta = planTakeover(single({ localUser: 'jdoe', cloudUser: 'jdoe@example.com' }), ACCOUNTS, { provider: 'jamf-connect', idp: 'Okta', alias: false, sessions: NOBODY });
    expect(okta.accounts[0]!.operations.map((operation) => ('attribute' in operation ? operation.attribute : ''))).toEqual([
      'dsAttrTypeStandard:NetworkUser',
      'dsAttrTypeStandard:OIDCProvider',
      'dsAttrTypeStandard:OktaUser',
    ]);
    const noIdp = planTakeover(single({ localUser: 'jdoe', cloudUser: 'jdoe@example.com' }), ACCOUNTS, { provider: 'jamf-connect', idp: null, alias: false, sessions: NOBODY });
    expect(noIdp.accounts[0]).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/--idp/) });
  });

  it('writes the XCreds attributes, with issuer and subject only as a pair', () => {
    const withSub = planTakeover(
      single({ localUser: 'jdoe', cloudUser: 'JDoe@example.com', issuer: 'https://login.example.com', subject: 'abc123' }),
      ACCOUNTS,
      { provider: 'xcreds', idp: null, alias: false, sessions: NOBODY },
    );
    const after = applyToAttributes({}, withSub.accounts[0]!.operations);
    expect(after).toEqual({
      'dsAttrTypeNative:_xcreds_oidc_username': ['jdoe'],
      'dsAttrTypeNative:_xcreds_oidc_full_username': ['JDoe@example.com'],
      'dsAttrTypeNative:_xcreds_oidc_iss': ['https://login.example.com'],
      'dsAttrTypeNative:_xcreds_oidc_sub': ['abc123'],
    });
    const issuerOnly = planTakeover(single({ localUser: 'jdoe', cloudUser: 'jdoe@example.com', issuer: 'https://login.example.com' }), ACCOUNTS, { provider: 'xcreds', idp: null, alias: false, sessions: NOBODY });
    expect(issuerOnly.accounts[0]!.operations).toHaveLength(2);
  });

  it('writes Untether\'s own attributes for the generic provider', () => {
    const plan = planTakeover(single({ localUser: 'jdoe', cloudUser: 'jdoe@example.com', issuer: 'https://idp.example.com' }), ACCOUNTS, GENERIC);
    expect(applyToAttributes({}, plan.accounts[0]!.operations)).toEqual({
      'dsAttrTypeNative:io.untether.cloud.username': ['jdoe@example.com'],
      'dsAttrTypeNative:io.untether.cloud.issuer': ['https://idp.example.com'],
    });
  });

  it('lets a CSV row choose its provider', () => {
    const plan = planTakeover(csv('local_user,cloud_user,provider\njdoe,jdoe@example.com,xcreds\nASmith,asmith@example.com,\n'), ACCOUNTS, GENERIC);
    expect(plan.accounts.map((account) => account.provider)).toEqual(['xcreds', 'generic']);
  });

  it('is idempotent: the same link again is unchanged, another identity is refused', () => {
    expect(planTakeover(single({ localUser: 'linked', cloudUser: 'Someone@Example.com' }), ACCOUNTS, GENERIC).accounts[0]).toMatchObject({ action: 'unchanged', operations: [] });
    expect(planTakeover(single({ localUser: 'linked', cloudUser: 'other@example.com' }), ACCOUNTS, GENERIC).accounts[0]).toMatchObject({
      action: 'refuse',
      reason: expect.stringMatching(/"linked" is already linked: io.untether.cloud.username is "someone@example.com", not "other@example.com"/),
    });
  });

  it('does not add an alias the account already has', () => {
    const plan = planTakeover(single({ localUser: 'bob', cloudUser: 'robert@example.com' }), ACCOUNTS, { ...GENERIC, alias: true });
    expect(plan.accounts[0]!.operations.filter((operation) => operation.op === 'append-values')).toEqual([]);
  });

  it('keeps the order of the mappings and carries conflicts for the whole run', () => {
    const plan = planTakeover(csv('local_user,cloud_user\njdoe,a@example.com\nghost,g@example.com\njdoe,b@example.com\n'), ACCOUNTS, GENERIC);
    expect(plan.accounts.map((account) => account.source)).toEqual(['row 2', 'row 3', 'row 4']);
    expect(plan.accounts.map((account) => account.action)).toEqual(['refuse', 'refuse', 'refuse']);
    expect(plan.conflicts).toHaveLength(1);
  });
});

describe('takeover writes and sessions', () => {
  const link = (sessions: TakeoverOptions['sessions']) => planTakeover([mappingFromCli({ localUser: 'jdoe', cloudUser: 'jdoe@example.com' })], ACCOUNTS, { ...GENERIC, sessions }).accounts[0]!;

  it('refuses to link an account with any session: SSH, a background fast-user-switching session, processes', () => {
    expect(link({ ...NOBODY, logins: [{ name: 'jdoe', line: 'ttys003', host: '192.0.2.7' }] }).reason).toContain('SSH login on ttys003 from 192.0.2.7');
    expect(link({ ...NOBODY, gui: [{ name: 'jdoe', uid: 501, onConsole: false }] }).reason).toContain('fast user switching');
    expect(link({ ...NOBODY, processesByUid: { '501': 4 } }).reason).toContain('4 processes running as uid 501');
    expect(link({ ...NOBODY, processesByUid: { '501': 4 } }).action).toBe('refuse');
  });

  it("links when only other users have sessions", () => {
    expect(link({ gui: [{ name: 'bob', uid: 503, onConsole: true }], logins: [{ name: 'bob', line: 'ttys000', host: null }], processesByUid: { '0': 100, '503': 60 } }).action).toBe('link');
  });
});

describe('planning a rename', () => {
  const facts = (change: Partial<RenameFacts> = {}): RenameFacts => ({
    groups: [{ recordName: 'staff', attributes: { 'dsAttrTypeStandard:RecordName': ['staff'] } }],
    homeFolders: new Map([['/Users/jdoe', 'directory'], ['/Users/john.doe', 'missing']]),
    ...change,
  });
  const mapping = [mappingFromCli({ localUser: 'jdoe', cloudUser: 'John.Doe@example.com', issuer: undefined, subject: undefined })];
  const plan = (renameFacts: RenameFacts, accounts = ACCOUNTS) => planTakeover(mapping, accounts, { ...GENERIC, rename: true, renameFacts }).accounts[0]!;

  it('links first, then renames the record, moves the home and points NFSHomeDirectory at it', () => {
    const account = plan(facts());
    expect(account.action).toBe('link');
    expect(account.operations.map((operation) => operation.op)).toEqual(['set-attribute', 'rename-record', 'move-home', 'set-attribute']);
    expect(account.operations.slice(1)).toMatchObject([
      { op: 'rename-record', from: 'jdoe', to: 'john.doe' },
      { op: 'move-home', from: '/Users/jdoe', to: '/Users/john.doe' },
      { op: 'set-attribute', attribute: 'dsAttrTypeStandard:NFSHomeDirectory', values: ['/Users/john.doe'] },
    ]);
    const after = applyToAttributes(ACCOUNTS.find((candidate) => candidate.name === 'jdoe')!.record.attributes, account.operations);
    expect(after['dsAttrTypeStandard:RecordName']).toEqual(['john.doe']);
    expect(after['dsAttrTypeStandard:NFSHomeDirectory']).toEqual(['/Users/john.doe']);
    expect(nameAfter('jdoe', account.operations)).toBe('john.doe');
  });

  it('drops the new name as an alias before renaming, so the record never lists it twice', () => {
    const accounts = localAccountsFrom([user('jdoe', 501, {}, ['john.doe'])]);
    const account = plan(facts(), accounts);
    expect(account.operations.slice(1, 3)).toMatchObject([{ op: 'delete-value', value: 'john.doe' }, { op: 'rename-record', from: 'jdoe', to: 'john.doe' }]);
    expect(applyToAttributes(accounts[0]!.record.attributes, account.operations)['dsAttrTypeStandard:RecordName']).toEqual(['john.doe']);
  });

  it('renames the account inside every group that lists it by name', () => {
    const account = plan(facts({ groups: [{ recordName: 'admin', attributes: { 'dsAttrTypeStandard:GroupMembership': ['root', 'jdoe'] } }] }), ACCOUNTS);
    expect(account.operations).toContainEqual(expect.objectContaining({ op: 'rename-group-member', group: 'admin', from: 'jdoe', to: 'john.doe' }));
  });

  it('refuses while logged in, when sessions cannot be read, on a group name or a group already listing the name, a home elsewhere, a taken home', () => {
    const reason = (renameFacts: RenameFacts, accounts = ACCOUNTS) => plan(renameFacts, accounts).reason;
    const loggedIn = (sessions: TakeoverOptions['sessions']) => planTakeover(mapping, ACCOUNTS, { ...GENERIC, rename: true, renameFacts: facts(), sessions }).accounts[0]!;
    expect(loggedIn({ ...NOBODY, gui: [{ name: 'JDOE', uid: 501, onConsole: true }] })).toMatchObject({ action: 'refuse', reason: '"jdoe" is logged in (GUI session on the console); takeover writes wait until the user is logged out' });
    expect(loggedIn({ unknown: 'scutil failed' }).reason).toContain('could not tell whether "jdoe" is logged in (scutil failed)');
    expect(reason(facts({ groups: [{ recordName: 'John.Doe', attributes: {} }] }))).toContain('"john.doe" is the name of the group "John.Doe"');
    expect(reason(facts({ groups: [{ recordName: 'admin', attributes: { 'dsAttrTypeStandard:GroupMembership': ['root', 'john.doe'] } }] }))).toContain('the group "admin" already lists "john.doe"');
    expect(reason(facts(), localAccountsFrom([user('jdoe', 501, { 'dsAttrTypeStandard:NFSHomeDirectory': ['/Volumes/Data/jdoe'] })]))).toContain('its home is "/Volumes/Data/jdoe", not /Users/jdoe');
    expect(reason(facts({ homeFolders: new Map([['/Users/jdoe', 'directory'], ['/Users/john.doe', 'directory']]) }))).toContain('/Users/john.doe already exists');
    expect(reason(facts({ homeFolders: new Map([['/Users/jdoe', 'other'], ['/Users/john.doe', 'missing']]) }))).toContain('/Users/jdoe is not a directory');
    expect(shortNameProblem('a b')).toBe('contains a space');
    expect(shortNameProblem('-x')).toBe('starts with "-"');
    expect(shortNameProblem('a:b')).toContain('":"');
    expect(shortNameProblem('x'.repeat(256))).toBe('is longer than 255 characters');
  });

  it('renames nothing when the account already has the name, and no rename without --rename', () => {
    const same = planTakeover([mappingFromCli({ localUser: 'jdoe', cloudUser: 'JDoe@example.com', issuer: undefined, subject: undefined })], ACCOUNTS, { ...GENERIC, rename: true, renameFacts: facts() }).accounts[0]!;
    expect(same.operations.map((operation) => operation.op)).toEqual(['set-attribute']);
    expect(planTakeover(mapping, ACCOUNTS, GENERIC).accounts[0]!.operations.map((operation) => operation.op)).toEqual(['set-attribute']);
  });
});
