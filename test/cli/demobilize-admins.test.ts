// Who is an admin today is decided from the records already read when the admin group nests no group; a
// nested group (where AD groups sit) is still resolved by dseditgroup. Either way the conversion keeps it.
import { describe, expect, it } from 'vitest';
import { directAdminMembership } from '../../agent/src/actions/demobilize.js';
import type { DirectoryRecord } from '../../agent/src/system/dscl.js';
import { simulatedMac, untether } from '../helpers/sim.js';

function record(name: string, attributes: Record<string, string[]>): DirectoryRecord {
  const typed = Object.fromEntries(Object.entries(attributes).map(([key, values]) => [`dsAttrTypeStandard:${key}`, values]));
  return { recordName: name, attributes: { 'dsAttrTypeStandard:RecordName': [name], ...typed } };
}

const USER = record('jdoe', { GeneratedUID: ['abc-1'], PrimaryGroupID: ['1234'] });

describe('directAdminMembership', () => {
  it('finds a member by short name, by GeneratedUID (any case) and by primary group', () => {
    const admin = (attributes: Record<string, string[]>) => [record('admin', { PrimaryGroupID: ['80'], ...attributes })];
    expect(directAdminMembership(USER, admin({ GroupMembership: ['root', 'jdoe'] }))).toBe(true);
    expect(directAdminMembership(USER, admin({ GroupMembers: ['ABC-1'] }))).toBe(true);
    expect(directAdminMembership(record('jdoe', { PrimaryGroupID: ['80'] }), admin({}))).toBe(true);
    expect(directAdminMembership(USER, admin({ GroupMembership: ['root'], GroupMembers: ['OTHER'] }))).toBe(false);
  });

  it('leaves the answer to dseditgroup when admin nests any group, or when there is no admin group', () => {
    expect(directAdminMembership(USER, [record('admin', { PrimaryGroupID: ['80'], GroupMembership: ['jdoe'], NestedGroups: ['AD-GROUP-GUID'] })])).toBeUndefined();
    expect(directAdminMembership(USER, [])).toBeUndefined();
  });
});

describe('demobilize keeps admins', () => {
  it('without nested groups: no dseditgroup at all, the direct admin stays admin', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.clearCalls();
    const run = await untether(mac, ['demobilize', '--user', 'zobrien', '--yes']);
    expect(run.exitCode).toBe(0);
    expect(mac.calls().filter((call) => call.tool === 'dseditgroup')).toEqual([]);
    expect(mac.readGroup('admin')?.users).toContain('zobrien');
  });

  it('with a nested group: dseditgroup resolves it, and the account is then made a direct admin', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const mchen = mac.readUser('mchen')!;
    const nestedGuid = 'D1A0F00D-0000-4000-8000-00000000AD01';
    mac.writeGroup({ name: ['corp-admins'], gid: ['4321'], generateduid: [nestedGuid], users: ['mchen'], groupmembers: [String(mchen.generateduid![0])] });
    const admin = mac.readGroup('admin')!;
    mac.writeGroup({ ...admin, nestedgroups: [nestedGuid] });
    mac.clearCalls();
    const run = await untether(mac, ['demobilize', '--user', 'mchen', '--yes']);
    expect(run.exitCode).toBe(0);
    expect(mac.calls().filter((call) => call.tool === 'dseditgroup').map((call) => call.args.join(' '))).toEqual(['-o checkmember -m mchen admin']);
    expect(mac.readGroup('admin')?.users).toContain('mchen');
  });
});
