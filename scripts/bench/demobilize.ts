// Benchmark: processes spawned and wall time per converted account, for 1, 10 and 100 mobile accounts
// on a simulated Mac, beside the same work done the way the common demobilization script does it (a
// dscl delete per attribute of its full list, a read per check, `killall opendirectoryd` then `sleep 20`
// per account). The baseline's tool calls really run against the same simulated Mac; its sleep is
// counted, not waited. Run: npm run build && node dist/scripts/bench/demobilize.js [counts...]
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulatedMac, type SimulatedMac } from '../../test/macsim/src/index.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'src', 'cli', 'main.js');
const BASELINE_SLEEP_S = 20;

// The attribute list of the common script (rtrouton/captam3rica lineage), deleted whether present or not.
const BASELINE_DELETES = [
  'cached_groups', 'cached_auth_policy', 'CopyTimestamp', 'AltSecurityIdentities', 'SMBPrimaryGroupSID', 'OriginalAuthenticationAuthority',
  'OriginalNodeName', 'SMBSID', 'SMBScriptPath', 'SMBPasswordLastSet', 'SMBGroupRID', 'PrimaryNTDomain', 'PrimaryNTDomain', 'AppleMetaRecordName',
  'MCXSettings', 'MCXFlags',
];

interface Measure {
  processes: number;
  seconds: number;
}

/** Our agent: one `untether demobilize --all --yes`, counting the agent itself and every tool it ran. */
async function measureUntether(mac: SimulatedMac): Promise<Measure> {
  mac.clearCalls();
  const started = performance.now();
  const run = await execa(process.execPath, [cli, 'demobilize', '--all', '--yes'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
  const seconds = (performance.now() - started) / 1000;
  if (run.exitCode !== 0) throw new Error(`untether demobilize exited ${run.exitCode}: ${run.stderr}\n${run.stdout.split('\n').filter((line) => /ROLLED|FAILED|refuse|^\s+- /.test(line)).slice(0, 20).join('\n')}`);
  return { processes: mac.calls().length + 1, seconds };
}

/** The common script, account by account, run for real against the simulated Mac; sleeps only counted. */
async function measureBaseline(mac: SimulatedMac, users: readonly string[]): Promise<Measure> {
  let processes = 0;
  let countedSleep = 0;
  const started = performance.now();
  const dscl = async (args: string[]) => {
    processes += 1;
    await mac.run('dscl', args);
  };
  for (const user of users) {
    const path = `/Users/${user}`;
    await dscl(['.', '-read', path, 'AuthenticationAuthority']); // is it mobile?
    for (const attribute of BASELINE_DELETES) await dscl(['.', '-delete', path, attribute]);
    for (const token of ['Kerberosv5', 'LocalCachedUser']) {
      await dscl(['-plist', '.', '-read', path, 'AuthenticationAuthority']);
      processes += 1; // xmllint picks the first matching value (not run here: not part of the Mac)
      const record = mac.readUser(user);
      const value = (record?.authentication_authority ?? []).map(String).find((candidate) => candidate.includes(token));
      if (value) await dscl(['.', '-delete', path, 'AuthenticationAuthority', value]);
    }
    processes += 1;
    await mac.run('killall', ['opendirectoryd']);
    countedSleep += BASELINE_SLEEP_S;
    await dscl(['.', '-read', path, 'AuthenticationAuthority']); // verify
    processes += 1;
    await mac.run('chown', ['-R', user, `/Users/${user}`]);
    processes += 1;
    await mac.run('dseditgroup', ['-o', 'edit', '-a', user, '-t', 'user', 'staff']);
    processes += 1;
    await mac.run('id', [user]);
  }
  return { processes, seconds: (performance.now() - started) / 1000 + countedSleep };
}

function fleet(count: number): SimulatedMac {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'untether-bench-')), 'mac');
  const mac = createSimulatedMac({ dir, scenario: 'fleet', mobileUsers: count });
  mac.logout();
  return mac;
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((count) => count > 0);
  const rows: string[] = [];
  for (const count of counts.length > 0 ? counts : [1, 10, 100]) {
    const ours = fleet(count);
    const theirs = fleet(count);
    try {
      const users = theirs.userNames().filter((name) => theirs.readUser(name)?.original_node_name !== undefined);
      const a = await measureUntether(ours);
      const b = await measureBaseline(theirs, users);
      const per = (value: number) => value / count;
      rows.push(
        `| ${count} | ${per(a.processes).toFixed(1)} | ${per(a.seconds).toFixed(2)} s | ${per(b.processes).toFixed(1)} | ${per(b.seconds).toFixed(2)} s | ${(b.processes / a.processes).toFixed(2)}x | ${(b.seconds / a.seconds).toFixed(1)}x |`,
      );
      process.stderr.write(`${count} account(s) measured\n`);
    } finally {
      rmSync(path.dirname(ours.root), { recursive: true, force: true });
      rmSync(path.dirname(theirs.root), { recursive: true, force: true });
    }
  }
  process.stdout.write(
    [
      'Per converted account, on a simulated Mac (each fake tool call is a real process):',
      '',
      '| accounts | untether processes | untether wall time | common script processes | common script time (20 s sleep counted) | fewer processes | faster |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
