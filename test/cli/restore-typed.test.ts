// `untether restore` after a completed change gives back the original record attribute for attribute,
// TYPE NAMES INCLUDED, on a simulated Mac whose dscl resolves bare names like macOS (a bare
// AppleMetaRecordName is dsAttrTypeNative:AppleMetaRecordName). Every account of every scenario; takeovers
// with standard (Jamf Connect) and native (XCreds, generic) link attributes, aliases and a rename.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, type ScenarioName, type SimulatedMac } from '../macsim/src/index.js';
import { typedAccount } from '../helpers/accounts.js';
import { runUntether } from '../helpers/cli.js';
import { simulatedMac } from '../helpers/sim.js';

/** The built CLI with a generous timeout: the machine may be loaded, and no outcome here may depend on speed. */
const untether = (mac: SimulatedMac, args: readonly string[]) => runUntether(args, { root: mac.root, timeoutMs: 300_000 });

function everyAccount(mac: SimulatedMac): Map<string, ReturnType<typeof typedAccount>> {
  return new Map(mac.userNames().map((name) => [name, typedAccount(mac, name)]));
}

/** Every write the agent made to dscl named its attribute by full type under -raw, values after it. */
function expectTypedWrites(mac: SimulatedMac): void {
  for (const call of mac.writeCalls('dscl')) {
    const [option, node, verb, target, attribute] = call.args;
    expect({ args: call.args, option, node, attributeTyped: /^dsAttrType(Standard|Native):\S+$/.test(attribute ?? '') }).toEqual({ args: call.args, option: '-raw', node: expect.stringMatching(/^(\.|\/Search(\/Contacts)?)$/), attributeTyped: true });
    expect(verb).toMatch(/^-(create|append|merge|delete|change)$/);
    expect(target).toMatch(/^\//);
  }
}

describe('restore after a completed conversion, type for type', () => {
  it.each(SCENARIOS.map((scenario) => [scenario]))('%s: every converted account comes back exactly, every other account is untouched', async (scenario: ScenarioName) => {
    const mac = simulatedMac({ scenario });
    const before = everyAccount(mac);
    const run = await untether(mac, ['demobilize', '--all', '--yes']);
    expect([0, 6]).toContain(run.exitCode);
    expectTypedWrites(mac);
    const converted = mac.userNames().filter((name) => JSON.stringify(typedAccount(mac, name)) !== JSON.stringify(before.get(name)));
    if (scenario !== 'local-only') expect(converted.length).toBeGreaterThan(0);
    for (const name of converted) {
      // The cached AD attributes are gone under BOTH types: nothing was written back under a bare name.
      const record = typedAccount(mac, name).record!;
      expect(Object.keys(record).filter((type) => /:(AppleMetaRecordName|PrimaryNTDomain|OriginalNodeName)$/.test(type))).toEqual([]);
    }
    for (const name of converted) {
      const restore = await untether(mac, ['restore', '--user', name, '--yes']);
      expect({ name, exitCode: restore.exitCode, stderr: restore.stderr }).toEqual({ name, exitCode: 0, stderr: '' });
    }
    expectTypedWrites(mac);
    for (const [name, account] of before) expect({ name, account: typedAccount(mac, name) }).toEqual({ name, account });
  }, 600_000);
});

describe('restore after a takeover, type for type', () => {
  it('Jamf Connect (standard NetworkUser, OIDCProvider, AzureUser) with aliases, on a converted account', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    expect((await untether(mac, ['demobilize', '--user', 'zobrien', '--yes'])).exitCode).toBe(0);
    const converted = typedAccount(mac, 'zobrien');
    const run = await untether(mac, ['takeover', '--local', 'zobrien', '--cloud-user', 'Zoe.OBrien@example.com', '--provider', 'jamf-connect', '--idp', 'Azure', '--alias', '--yes']);
    expect(run.exitCode).toBe(0);
    const linked = typedAccount(mac, 'zobrien').record!;
    expect(linked['dsAttrTypeStandard:NetworkUser']).toEqual(['Zoe.OBrien@example.com']);
    expect(linked['dsAttrTypeStandard:AzureUser']).toEqual(['Zoe.OBrien@example.com']);
    expect(linked['dsAttrTypeNative:NetworkUser']).toBeUndefined();
    expect(linked['dsAttrTypeStandard:RecordName']).toEqual(['zobrien', 'zoe.obrien', 'Zoe.OBrien@example.com']);
    expect((await untether(mac, ['restore', '--user', 'zobrien', '--yes'])).exitCode).toBe(0);
    expectTypedWrites(mac);
    expect(typedAccount(mac, 'zobrien')).toEqual(converted);
  }, 300_000);

  it('XCreds (native _xcreds_oidc_*) with a rename, restored by the old name', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    mac.logout();
    const original = typedAccount(mac, 'alex');
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'arivera@example.com', '--provider', 'xcreds', '--issuer', 'https://login.example.com', '--subject', 's-1', '--rename', '--yes']);
    expect(run.exitCode).toBe(0);
    const linked = typedAccount(mac, 'arivera').record!;
    expect(linked['dsAttrTypeNative:_xcreds_oidc_sub']).toEqual(['s-1']);
    expect(linked['dsAttrTypeStandard:_xcreds_oidc_sub']).toBeUndefined();
    expect((await untether(mac, ['restore', '--user', 'alex', '--yes'])).exitCode).toBe(0);
    expectTypedWrites(mac);
    expect(mac.userNames()).not.toContain('arivera');
    expect(typedAccount(mac, 'alex')).toEqual(original);
  }, 300_000);
});

describe('a record read without types is never written back', () => {
  it('restore refuses a snapshot whose attribute names carry no type, naming it, and writes nothing', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const typed = Object.fromEntries(Object.entries(mac.readUserTyped('alex')!));
    const { 'dsAttrTypeStandard:RealName': realName, ...rest } = typed;
    // As an older or hand-made snapshot might hold it: one attribute by its bare name.
    const snapshot = {
      format: 'untether-account-snapshot-1', id: '20261201T000000000Z-takeover-00000000', user: 'alex', reason: 'takeover', takenAt: '2026-12-01T00:00:00.000Z',
      state: { record: { recordName: 'alex', attributes: { ...rest, RealName: ['Someone Else', ...(realName ?? [])] } }, groups: { staff: true, admin: false }, accountFile: null },
      accountFileOwner: null,
    };
    const directory = mac.path('/Library/Application Support/Untether/snapshots/alex');
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(`${directory}/${snapshot.id}.json`, JSON.stringify({ snapshot, sha256: createHash('sha256').update(JSON.stringify(snapshot)).digest('hex') }), { mode: 0o600 });
    mac.clearCalls();
    const run = await untether(mac, ['restore', '--user', 'alex', '--yes']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/attribute "RealName" has no type/);
    expect(mac.writeCalls()).toEqual([]);
  }, 300_000);
});
