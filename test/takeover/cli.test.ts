// `untether takeover` against simulated Macs: single and CSV mappings, case differences, conflicts,
// hostile CSVs, refused accounts, rollback on a failed write, restore, and the recorded login notice.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizedUser } from '../helpers/accounts.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import type { SimulatedMac } from '../macsim/src/index.js';

const LEDGER = '/Library/Application Support/Untether/notify/events.json';
const NOBODY = 65534;

/** A simulated Mac with nobody logged in: takeover writes wait until the user has no session. */
function loggedOutMac(options: Parameters<typeof simulatedMac>[0]): SimulatedMac {
  const mac = simulatedMac(options);
  mac.logout();
  return mac;
}

function csvFile(content: string | Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'untether-mapping-'));
  const file = path.join(dir, 'mapping.csv');
  writeFileSync(file, content);
  return file;
}

function attributes(mac: SimulatedMac, user: string): Record<string, string[]> {
  return normalizedUser(mac, user) ?? {};
}

function ledger(mac: SimulatedMac): Array<{ user: string; kind: string; cloudUser?: string }> {
  return (JSON.parse(readFileSync(mac.path(LEDGER), 'utf8')) as { events: Array<{ user: string; kind: string; cloudUser?: string }> }).events;
}

describe('untether takeover with one mapping', () => {
  it('links a local account for Jamf Connect, with aliases, verified; restore puts it back exactly', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    const before = normalizedUser(mac, 'alex');
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'Alex.Rivera@example.com', '--provider', 'jamf-connect', '--idp', 'Azure', '--alias', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('linked and verified');
    expect(run.stdout).toContain('1 linked, 0 rolled back, 0 failed, 0 unchanged, 0 refused.');
    const after = attributes(mac, 'alex');
    expect(after['dsAttrTypeStandard:NetworkUser']).toEqual(['Alex.Rivera@example.com']);
    expect(after['dsAttrTypeStandard:OIDCProvider']).toEqual(['Azure']);
    expect(after['dsAttrTypeStandard:AzureUser']).toEqual(['Alex.Rivera@example.com']);
    expect(after.name).toEqual(['alex', 'alex.rivera', 'Alex.Rivera@example.com']);
    for (const key of ['uid', 'generateduid', 'home', 'ShadowHashData', 'authentication_authority', 'passwd']) expect({ key, value: after[key] }).toEqual({ key, value: before![key] });
    expect(ledger(mac)).toEqual([expect.objectContaining({ user: 'alex', kind: 'linked', cloudUser: 'Alex.Rivera@example.com' })]);

    const restore = await untether(mac, ['restore', '--user', 'alex', '--yes']);
    expect(restore.exitCode).toBe(0);
    expect(normalizedUser(mac, 'alex')).toEqual(before);
  });

  it('matches the account by the cloud user\'s short name whatever its case, and writes the generic attributes', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    const run = await untether(mac, ['takeover', '--cloud-user', 'ALEX@Example.com', '--issuer', 'https://idp.example.com', '--subject', 'u-123', '--yes']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Provider: generic (detected from the login window)');
    const after = attributes(mac, 'alex');
    expect(after['io.untether.cloud.username']).toEqual(['ALEX@Example.com']);
    expect(after['io.untether.cloud.issuer']).toEqual(['https://idp.example.com']);
    expect(after['io.untether.cloud.subject']).toEqual(['u-123']);

    mac.clearCalls();
    const again = await untether(mac, ['takeover', '--cloud-user', 'alex@example.com', '--issuer', 'https://idp.example.com', '--subject', 'u-123', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already linked this way; nothing to do');
    expect(mac.writeCalls('dscl')).toEqual([]);

    const other = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'someone.else@example.com', '--yes']);
    expect(other.exitCode).toBe(4);
    expect(other.stdout).toContain('"alex" is already linked: io.untether.cloud.username is "ALEX@Example.com"');
  });

  it('prints the plan in a dry run, as any user, and writes nothing', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    mac.clearCalls();
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--provider', 'xcreds', '--dry-run'], { uid: NOBODY });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('the command line: alex ← alex@example.com (xcreds): would link');
    expect(run.stdout).toContain('set dsAttrTypeNative:_xcreds_oidc_username to "alex"');
    expect(run.stdout).toContain('Dry run: 1 would link, 0 unchanged, 0 refused. Nothing was changed.');
    const json = JSON.parse((await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--dry-run', '--json'])).stdout) as { accounts: Array<{ plan: { action: string } }> };
    expect(json.accounts[0]!.plan.action).toBe('link');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('refuses without root, and needs --idp for Jamf Connect', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--yes'], { uid: NOBODY });
    expect(run.exitCode).toBe(5);
    const noIdp = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--provider', 'jamf-connect', '--yes']);
    expect(noIdp.exitCode).toBe(2);
    expect(noIdp.stderr).toContain('--provider jamf-connect needs --idp');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('detects Jamf Connect from the login window', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    mkdirSync(mac.path('/Library/Security/SecurityAgentPlugins/JamfConnectLogin.bundle'), { recursive: true });
    expect((await untether(mac, ['loginwindow', 'apply', 'jamf-connect', '--yes'])).exitCode).toBe(0);
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--idp', 'Okta', '--dry-run']);
    expect(run.stdout).toContain('Provider: jamf-connect (detected from the login window)');
    expect(run.stdout).toContain('set OktaUser to "alex@example.com"');
  });

  it('refuses mobile and hidden accounts and says to demobilize first, changing nothing', async () => {
    const mac = loggedOutMac({ scenario: 'ad-bound' });
    mac.clearCalls();
    const run = await untether(mac, ['takeover', '--local', 'zobrien', '--cloud-user', 'zoe@example.com', '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('"zobrien" is an Active Directory mobile account; demobilize it first (untether demobilize --user zobrien)');
    const hidden = await untether(mac, ['takeover', '--local', 'localadmin', '--cloud-user', 'admin@example.com', '--yes']);
    expect(hidden.exitCode).toBe(4);
    expect(hidden.stdout).toContain('"localadmin" is a hidden account');
    expect(mac.writeCalls('dscl')).toEqual([]);
  });

  it('rolls the account back to its snapshot when a write fails', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    const before = normalizedUser(mac, 'alex');
    mac.injectFault({ tool: 'dscl', write: 2, mode: 'fail' });
    const run = await untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex@example.com', '--provider', 'xcreds', '--yes']);
    expect(run.exitCode).toBe(1);
    // The writes run in a dscl batch: verification finds the failed one missing, and the DS error is quoted.
    expect(run.stdout).toContain('ROLLED BACK to its snapshot: verification failed');
    expect(run.stdout).toContain('dscl batch: <dscl_cmd> DS Error: -14120 (eDSPermissionError)');
    expect(normalizedUser(mac, 'alex')).toEqual(before);
  });
});

describe('untether takeover with a CSV mapping', () => {
  it('links every row, matching names case-insensitively, each with its own provider', async () => {
    const mac = loggedOutMac({ scenario: 'local-only', localUsers: 3 });
    const file = csvFile(
      '\uFEFFlocal_user,cloud_user,provider,issuer,subject\r\n' +
        'LUSER001,first@example.com,xcreds,https://login.example.com/v2.0,sub-001\r\n' +
        ',luser002@example.com,,,\r\n' +
        '"luser003","third@example.com","generic","",""\r\n',
    );
    const run = await untether(mac, ['takeover', '--mapping', file, '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('3 linked, 0 rolled back, 0 failed, 0 unchanged, 0 refused.');
    expect(attributes(mac, 'luser001')).toMatchObject({
      _xcreds_oidc_username: ['first'],
      _xcreds_oidc_full_username: ['first@example.com'],
      _xcreds_oidc_iss: ['https://login.example.com/v2.0'],
      _xcreds_oidc_sub: ['sub-001'],
    });
    expect(attributes(mac, 'luser002')['io.untether.cloud.username']).toEqual(['luser002@example.com']);
    expect(attributes(mac, 'luser003')['io.untether.cloud.username']).toEqual(['third@example.com']);

    mac.clearCalls();
    const again = await untether(mac, ['takeover', '--mapping', file, '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('0 linked, 0 rolled back, 0 failed, 3 unchanged, 0 refused.');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('refuses the whole file when a local account or a cloud user appears twice, naming both rows', async () => {
    const mac = loggedOutMac({ scenario: 'local-only', localUsers: 2 });
    mac.clearCalls();
    const file = csvFile('local_user,cloud_user\nluser001,one@example.com\nLUSER001,two@example.com\nluser002,One@Example.com\n');
    const run = await untether(mac, ['takeover', '--mapping', file, '--yes']);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toContain('conflict: cloud user "one@example.com" is mapped more than once: row 2 (luser001 → one@example.com) and row 4 (luser002 → One@Example.com)');
    expect(run.stdout).toContain('conflict: local account "luser001" is claimed more than once: row 2 (luser001 → one@example.com) and row 3 (LUSER001 → two@example.com)');
    expect(run.stdout).toContain('Nothing was changed.');
    expect(mac.writeCalls()).toEqual([]);
  });

  it('refuses a hostile CSV with every problem and its row, changing nothing', async () => {
    const mac = loggedOutMac({ scenario: 'local-only', localUsers: 2 });
    mac.clearCalls();
    const file = csvFile('local_user,cloud_user\nluser001,"=cmd|\' /C calc\'!A0"\n"../../etc",x@example.com\nluser002,"a""b@example.com"\n');
    const run = await untether(mac, ['takeover', '--mapping', file, '--yes']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('row 2: cloud_user starts with "=", which a spreadsheet runs as a formula; refused');
    expect(run.stderr).toContain('row 3: local_user "../../etc" contains a path separator');
    expect(run.stderr).toContain('row 4: cloud_user "a"b@example.com" is not a user name');
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(mac.writeCalls()).toEqual([]);

    const unknown = await untether(mac, ['takeover', '--mapping', csvFile('local_user,cloud_user,password\nluser001,a@example.com,hunter2\n'), '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown column "password" in the header');
    expect(unknown.stderr).not.toContain('hunter2');
  });

  it('refuses a file over the size limit before parsing it', async () => {
    const mac = loggedOutMac({ scenario: 'local-only' });
    const huge = csvFile(Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));
    const started = Date.now();
    const run = await untether(mac, ['takeover', '--mapping', huge, '--dry-run']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('the limit is 5242880 bytes');
    expect(Date.now() - started).toBeLessThan(10_000);
    const missing = await untether(mac, ['takeover', '--mapping', '/nonexistent/mapping.csv', '--dry-run']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  });

  it('links the good rows and reports the refused ones as partial', async () => {
    const mac = loggedOutMac({ scenario: 'ad-bound', localUsers: 1 });
    const run = await untether(mac, ['takeover', '--mapping', csvFile('local_user,cloud_user\nluser001,l1@example.com\njdoe,jdoe@example.com\nghost,ghost@example.com\n'), '--yes']);
    expect(run.exitCode).toBe(6);
    expect(run.stdout).toContain('1 linked, 0 rolled back, 0 failed, 0 unchanged, 2 refused.');
    expect(run.stdout).toContain('row 4: ghost ← ghost@example.com (generic): refused: no local account is named "ghost"');
  });
});
