// `untether takeover --rename` against simulated Macs: the account and its home folder take the cloud short
// name transactionally; refused while logged in or when the name or home is taken; a failed write at the
// rename or after it rolls back to the original name, home and attributes; `untether restore` undoes it;
// a killed run is finished or rolled back by the next start; a dry run writes nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizedUser } from '../helpers/accounts.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import type { SimulatedMac } from '../macsim/src/index.js';

const CLOUD = 'Alex.Rivera@example.com';
const NEW = 'alex.rivera';
const TAKEOVER = ['takeover', '--local', 'alex', '--cloud-user', CLOUD, '--provider', 'generic', '--rename'];

/** alex's record, home folder contents (a marker file) and whether the new name/home exist, in one value. */
function state(mac: SimulatedMac) {
  const marker = mac.path('/Users/alex/Documents/marker.txt');
  return {
    alex: normalizedUser(mac, 'alex'),
    renamed: normalizedUser(mac, NEW) === undefined ? null : 'present',
    oldHome: existsSync(mac.path('/Users/alex')),
    newHome: existsSync(mac.path(`/Users/${NEW}`)),
    marker: existsSync(marker) ? readFileSync(marker, 'utf8') : null,
    users: mac.userNames(),
  };
}

function macWithMarker(): SimulatedMac {
  const mac = simulatedMac({ scenario: 'local-only' });
  mkdirSync(mac.path('/Users/alex/Documents'), { recursive: true });
  writeFileSync(mac.path('/Users/alex/Documents/marker.txt'), 'files stay with the folder');
  mac.logout();
  return mac;
}

describe('untether takeover --rename', () => {
  it('renames the record and moves the home with its files, linked and verified; restore by the old name undoes it', async () => {
    const mac = macWithMarker();
    const before = state(mac);
    const run = await untether(mac, [...TAKEOVER, '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`link and rename to ${NEW}`);
    expect(run.stdout).toContain(`linked, renamed to ${NEW} and verified`);
    expect(run.stdout).toContain('undo with: untether restore --user alex');
    const record = normalizedUser(mac, NEW)!;
    expect(record.name).toEqual([NEW]);
    expect(record.home).toEqual([`/Users/${NEW}`]);
    expect(record['io.untether.cloud.username']).toEqual([CLOUD]);
    for (const key of ['uid', 'generateduid', 'ShadowHashData', 'authentication_authority']) expect({ key, value: record[key] }).toEqual({ key, value: before.alex![key] });
    expect(mac.readUser('alex')).toBeUndefined();
    expect(existsSync(mac.path('/Users/alex'))).toBe(false);
    expect(readFileSync(mac.path(`/Users/${NEW}/Documents/marker.txt`), 'utf8')).toBe('files stay with the folder');

    const plan = await untether(mac, ['restore', '--user', 'alex', '--dry-run']);
    expect(plan.stdout).toContain(`1. rename the account "${NEW}" to "alex"`);
    expect(plan.stdout).toContain(`2. move the home folder /Users/${NEW} to /Users/alex`);
    const restore = await untether(mac, ['restore', '--user', 'alex', '--yes']);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);
    expect(restore.stdout).toContain('restored and verified');
    expect(state(mac)).toEqual(before);
  });

  it('is undone by restore under the new name too', async () => {
    const mac = macWithMarker();
    const before = state(mac);
    expect((await untether(mac, [...TAKEOVER, '--yes'])).exitCode).toBe(0);
    const restore = await untether(mac, ['restore', '--user', NEW, '--yes']);
    expect(restore.exitCode).toBe(0);
    expect(state(mac)).toEqual(before);
  });

  it('shows the rename in a dry run and writes nothing', async () => {
    const mac = macWithMarker();
    const before = state(mac);
    mac.clearCalls();
    const run = await untether(mac, [...TAKEOVER, '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`would link and rename to ${NEW}`);
    expect(run.stdout).toContain(`rename the account "alex" to "${NEW}"`);
    expect(run.stdout).toContain(`move the home folder /Users/alex to /Users/${NEW}`);
    expect(run.stdout).toContain(`set NFSHomeDirectory to "/Users/${NEW}"`);
    expect(mac.writeCalls()).toEqual([]);
    expect(state(mac)).toEqual(before);
  });

  it('refuses while the user is logged in, changing nothing', async () => {
    const mac = macWithMarker();
    mac.login('alex');
    const before = state(mac);
    mac.clearCalls();
    const run = await untether(mac, [...TAKEOVER, '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('"alex" is logged in (GUI session on the console); takeover writes wait until the user is logged out');
    expect(mac.writeCalls('dscl')).toEqual([]);
    expect(state(mac)).toEqual(before);
  });

  it('refuses when the new name is another account or the new home exists', async () => {
    const taken = macWithMarker();
    const other = taken.readUser('alex')!;
    taken.writeUser({ ...other, name: [NEW], uid: ['777'], generateduid: ['11111111-2222-3333-4444-555555555555'], home: [`/Users/${NEW}x`] });
    taken.clearCalls();
    const run = await untether(taken, [...TAKEOVER, '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain(`is another local account ("${NEW}")`);
    expect(taken.writeCalls('dscl')).toEqual([]);

    const homeTaken = macWithMarker();
    mkdirSync(homeTaken.path(`/Users/${NEW}`));
    const before = state(homeTaken);
    homeTaken.clearCalls();
    const home = await untether(homeTaken, [...TAKEOVER, '--yes']);
    expect(home.exitCode).toBe(4);
    expect(home.stdout).toContain(`cannot rename "alex" to "${NEW}": /Users/${NEW} already exists`);
    expect(homeTaken.writeCalls('dscl')).toEqual([]);
    expect(state(homeTaken)).toEqual(before);
  });

  it('rolls back to the original name, home and attributes when the rename write fails', async () => {
    const mac = macWithMarker();
    const before = state(mac);
    mac.injectFault({ tool: 'dscl', write: 2, mode: 'fail' });
    const run = await untether(mac, [...TAKEOVER, '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('ROLLED BACK to its snapshot: step 2 of 4 failed');
    expect(state(mac)).toEqual(before);
  });

  it('rolls back the rename and the moved home when the attribute write after them fails', async () => {
    const mac = macWithMarker();
    const before = state(mac);
    mac.injectFault({ tool: 'dscl', write: 3, mode: 'fail' });
    const run = await untether(mac, [...TAKEOVER, '--yes']);
    expect(run.exitCode).toBe(1);
    // The attribute write runs in a dscl batch: verification finds it missing, and the batch's DS error is quoted.
    expect(run.stdout).toContain('ROLLED BACK to its snapshot: verification failed');
    expect(run.stdout).toContain('dscl batch: <dscl_cmd> DS Error: -14120 (eDSPermissionError)');
    expect(state(mac)).toEqual(before);
  });

  it('finishes or rolls back a run killed at any write, at the next start', async () => {
    for (const write of [1, 2, 3]) {
      for (const afterWrite of [false, true]) {
        const mac = macWithMarker();
        const before = state(mac);
        mac.injectFault({ tool: 'dscl', write, mode: 'kill-caller', afterWrite });
        const killed = await untether(mac, [...TAKEOVER, '--yes']);
        expect({ write, afterWrite, exitCode: killed.exitCode }).toEqual({ write, afterWrite, exitCode: -1 });
        const next = await untether(mac, ['restore', '--user', 'nobody-here', '--yes']);
        expect({ write, afterWrite, recovered: /recovered an interrupted change of alex: (rolled-back|completed)/.test(next.stderr) }).toEqual({ write, afterWrite, recovered: true });
        const after = state(mac);
        const done = after.renamed === 'present' && !after.oldHome && after.newHome && normalizedUser(mac, NEW)!.home![0] === `/Users/${NEW}`;
        expect({ write, afterWrite, outcome: JSON.stringify(after) === JSON.stringify(before) ? 'restored' : done ? 'renamed' : 'half-done' }).not.toEqual({ write, afterWrite, outcome: 'half-done' });
      }
    }
  }, 300_000);
});

describe('untether takeover --rename after a demobilization', () => {
  it('renames a converted admin together with its staff and admin memberships, and restore gives them back', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    expect((await untether(mac, ['demobilize', '--user', 'zobrien', '--yes'])).exitCode).toBe(0);
    const members = (group: string) => (mac.readGroup(group)?.users ?? []).map(String);
    expect(members('staff')).toContain('zobrien');
    expect(members('admin')).toContain('zobrien');
    const before = { record: normalizedUser(mac, 'zobrien'), staff: members('staff'), admin: members('admin') };

    const run = await untether(mac, ['takeover', '--local', 'zobrien', '--cloud-user', 'zoe.obrien@example.com', '--provider', 'generic', '--rename', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(members('staff')).toContain('zoe.obrien');
    expect(members('admin')).toContain('zoe.obrien');
    expect([...members('staff'), ...members('admin')]).not.toContain('zobrien');
    expect((await mac.run('id', ['-Gn', 'zoe.obrien'])).stdout).toMatch(/\badmin\b/);

    const restore = await untether(mac, ['restore', '--user', 'zobrien', '--yes']);
    expect(restore.exitCode).toBe(0);
    expect({ record: normalizedUser(mac, 'zobrien'), staff: members('staff'), admin: members('admin') }).toEqual(before);
  });
});

describe('untether takeover --rename failing between group renames', () => {
  it('rolls back the record name, the home and every group membership when a group write fails', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    expect((await untether(mac, ['demobilize', '--user', 'zobrien', '--yes'])).exitCode).toBe(0);
    const members = (group: string) => (mac.readGroup(group)?.users ?? []).map(String);
    const before = { record: normalizedUser(mac, 'zobrien'), staff: members('staff'), admin: members('admin'), home: existsSync(mac.path('/Users/zobrien')) };
    // Writes: link attribute, record rename, first group, second group (fails here), home attribute.
    mac.injectFault({ tool: 'dscl', write: 4, mode: 'fail' });
    const run = await untether(mac, ['takeover', '--local', 'zobrien', '--cloud-user', 'zoe.obrien@example.com', '--provider', 'generic', '--rename', '--yes']);
    expect(run.exitCode).not.toBe(0);
    expect({ record: normalizedUser(mac, 'zobrien'), staff: members('staff'), admin: members('admin'), home: existsSync(mac.path('/Users/zobrien')) }).toEqual(before);
    expect(mac.readUser('zoe.obrien')).toBeUndefined();
  });
});
