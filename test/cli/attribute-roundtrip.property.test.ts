// Property: a mobile account with ANY mix of standard and native attributes (standard ones inside and
// outside the local node's standard list, natives sharing a standard one's short name; several values,
// values with spaces, newlines, non-ASCII, leading dashes, very long) goes through convert → restore and
// comes back identical, type for type; and no value is ever passed where dscl reads options.
// A small seeded generator (no dependency): UNTETHER_PROPERTY_SEED=<n> replays one case; UNTETHER_EXHAUSTIVE=1
// (CI) tries more seeds. Every failure names its seed.
import { describe, expect, it } from 'vitest';
import type { DirRecord, SimulatedMac } from '../macsim/src/index.js';
import { mobileUser, stableUuid } from '../macsim/src/user-records.js';
import { typedUser } from '../helpers/accounts.js';
import { runUntether } from '../helpers/cli.js';
import { simulatedMac } from '../helpers/sim.js';

const untether = (mac: SimulatedMac, args: readonly string[]) => runUntether(args, { root: mac.root, timeoutMs: 300_000 });

/** mulberry32: a tiny deterministic PRNG, enough to spread cases and replay them by seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

// Standard attributes in the local standard list (bare name = standard), with their dslocal keys. The
// ones a conversion reads or never writes (names, IDs, home, password, authority, JPEGPhoto) are left out.
const LISTED_STANDARD: Readonly<Record<string, string>> = {
  RealName: 'realname', UserShell: 'shell', HomeDirectory: 'home_loc', AuthenticationHint: 'hint', Picture: 'picture',
  EMailAddress: 'mail', FirstName: 'firstname', LastName: 'lastname', SMBHome: 'smb_home', SMBScriptPath: 'smb_script_path',
  MCXFlags: 'mcx_flags', PasswordPolicyOptions: 'passwordpolicyoptions', OriginalHomeDirectory: 'original_home_loc',
  CopyTimestamp: 'copy_timestamp', NestedGroups: 'nestedgroups',
};
// Standard attributes outside the list (a bare name would be native): stored under their full name.
const UNLISTED_STANDARD = ['AppleMetaRecordName', 'PrimaryNTDomain', 'JobTitle', 'PhoneNumber', 'Street', 'AltSecurityIdentities', 'NetworkUser', 'OIDCProvider'];
// Native names, including twins of standard short names and the mobile cache's own.
const NATIVE = ['AppleMetaRecordName', 'PrimaryNTDomain', 'RealName', 'NetworkUser', 'cached_groups', 'original_shell', '_xcreds_oidc_sub', 'io.untether.cloud.subject', 'unlockOptions'];

function value(random: Random): string {
  switch (random.int(8)) {
    case 0:
      return `plain${random.int(1000)}`;
    case 1:
      return `with spaces ${random.int(100)} and  two`;
    case 2:
      return `line one\nline two\n${random.int(10)}`;
    case 3:
      return random.pick(['Zoë Ünïcødé', '日本語の名前', 'Ærøskøbing ☃', 'emoji 🧭 ok']);
    case 4:
      return random.pick(['-raw', '-plist', '--', '-delete /Users/root', '-', '-u admin -P secret']);
    case 5:
      return 'x'.repeat(1000 + random.int(4000)) + ' long';
    case 6:
      return ` leading and trailing spaces ${random.int(10)} `;
    default:
      return `semi;colon:${random.int(100)}=equals,comma<tag>&amp;`;
  }
}

function values(random: Random): string[] {
  return Array.from({ length: 1 + random.int(3) }, () => value(random));
}

/** Random attributes as dslocal stores them (on-disk keys), and how many of each kind were drawn. */
function randomAttributes(random: Random): DirRecord {
  const record: DirRecord = {};
  const count = 3 + random.int(8);
  for (let index = 0; index < count; index += 1) {
    const kind = random.int(3);
    if (kind === 0) record[LISTED_STANDARD[random.pick(Object.keys(LISTED_STANDARD))]!] = values(random);
    else if (kind === 1) record[`dsAttrTypeStandard:${random.pick([...UNLISTED_STANDARD, `Prop${random.int(100)}`])}`] = values(random);
    else record[random.pick([...NATIVE, `prop_native_${random.int(100)}`])] = values(random);
  }
  return record;
}

const exhaustive = process.env.UNTETHER_EXHAUSTIVE === '1';
const fixedSeed = process.env.UNTETHER_PROPERTY_SEED;
const seeds = fixedSeed !== undefined ? [Number(fixedSeed)] : exhaustive ? [1, 2, 3, 4, 5, 6, 7, 8] : [20261202];
const USERS_PER_MAC = 4;

describe('convert → restore round trip of random records (property)', () => {
  it.each(seeds.map((seed) => [seed]))('seed %i: every record comes back identical, type for type, and dscl never sees a value as an option', async (seed: number) => {
    const random = generator(seed);
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const names: string[] = [];
    for (let index = 0; index < USERS_PER_MAC; index += 1) {
      const name = `prop${seed % 1000}u${index}`;
      names.push(name);
      const guid = stableUuid(`property:${seed}:${index}`);
      const base = mobileUser({ name, first: 'Prop', last: `User${index}`, realName: `Prop User ${index}`, uid: 1_900_000_000 + index, guid, rid: 5000 + index, secureToken: false, node: '/Active Directory/CORP/All Domains' });
      mac.writeUser({ ...base, ...randomAttributes(random) });
    }
    const before = new Map(names.map((name) => [name, typedUser(mac, name)]));
    mac.clearCalls();

    const convert = await untether(mac, ['demobilize', ...names.flatMap((name) => ['--user', name]), '--yes']);
    expect({ seed, exitCode: convert.exitCode, stderr: convert.stderr }).toEqual({ seed, exitCode: 0, stderr: '' });
    for (const name of names) {
      const converted = typedUser(mac, name)!;
      expect({ seed, name, mobile: converted['dsAttrTypeStandard:OriginalNodeName'] !== undefined }).toEqual({ seed, name, mobile: false });
    }
    for (const name of names) {
      const restore = await untether(mac, ['restore', '--user', name, '--yes']);
      expect({ seed, name, exitCode: restore.exitCode, stderr: restore.stderr }).toEqual({ seed, name, exitCode: 0, stderr: '' });
    }
    for (const name of names) expect({ seed, name, record: typedUser(mac, name) }).toEqual({ seed, name, record: before.get(name) });

    // dscl reads options only before the data source: every write is `-raw . -verb /Users/x <full type> values…`.
    const writes = mac.writeCalls('dscl');
    expect(writes.length).toBeGreaterThan(0);
    for (const call of writes) {
      const [option, node, verb, path, attribute] = call.args;
      expect({ seed, option, node, verb: /^-(create|append|merge|delete|change)$/.test(verb ?? ''), path: /^\/(Users|Groups)\/[^-]/.test(path ?? ''), attribute: /^dsAttrType(Standard|Native):/.test(attribute ?? '') }).toEqual({
        seed, option: '-raw', node: '.', verb: true, path: true, attribute: true,
      });
    }
  }, 900_000);
});
