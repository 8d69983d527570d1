// Benchmark: processes spawned and wall time per converted account, for 1, 10 and 100 mobile accounts
// on a simulated Mac, beside the same work done the way the common demobilization script does it (a
// dscl delete per attribute of its full list, a read per check, `killall opendirectoryd` then `sleep 20`
// per account). The baseline's tool calls really run against a simulated Mac of the same fleet; its sleep is
// counted, not waited, and as its work per account never changes it is timed on a few accounts. Processes are
// counted by pid (one interactive dscl session runs many commands). Run: npm run bench:demobilize [counts...]
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulatedMac, type CallRecord, type SimulatedMac } from '../../test/macsim/src/index.js';

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

/** Where the agent's processes went, by phase (see phaseOf). */
type Phases = Record<Phase, number>;

const PHASES = ['facts and plan', 'writes', 'restart opendirectoryd', 'verify (restart probe is the read)', 'other'] as const;
type Phase = (typeof PHASES)[number];

/**
 * The phase of one process, from its place in the run: everything before the first write is reading facts and
 * planning (the snapshot and the journal are files, no process); dscl write sessions and dseditgroup edits are
 * writes; dscacheutil and killall restart opendirectoryd; what runs after the kill is verification (its users
 * and groups read doubles as the restart probe, so failed probes count here).
 */
function phases(calls: readonly CallRecord[]): Phases {
  const byPid = new Map<number, CallRecord[]>();
  for (const call of calls) byPid.set(call.pid, [...(byPid.get(call.pid) ?? []), call]);
  const processes = [...byPid.values()].sort((a, b) => Date.parse(a[0]!.ts) - Date.parse(b[0]!.ts));
  const counts = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Phases;
  let seenWrite = false;
  let seenKill = false;
  for (const process of processes) {
    const first = process[0]!;
    const writes = process.some((call) => call.isWrite);
    let phase: Phase;
    if (first.tool === 'dscacheutil' || first.tool === 'killall') phase = 'restart opendirectoryd';
    else if (writes) phase = 'writes';
    else if (seenKill) phase = 'verify (restart probe is the read)';
    else if (!seenWrite) phase = 'facts and plan';
    else phase = 'other';
    if (writes) seenWrite = true;
    if (first.tool === 'killall') seenKill = true;
    counts[phase] += 1;
  }
  return counts;
}

/** Our agent: one `untether demobilize --all --yes`, counting the agent itself and every tool process it ran. */
async function measureUntether(mac: SimulatedMac): Promise<Measure & { phases: Phases }> {
  mac.clearCalls();
  const started = performance.now();
  const run = await execa(process.execPath, [cli, 'demobilize', '--all', '--yes'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false });
  const seconds = (performance.now() - started) / 1000;
  if (run.exitCode !== 0) throw new Error(`untether demobilize exited ${run.exitCode}: ${run.stderr}\n${run.stdout.split('\n').filter((line) => /ROLLED|FAILED|refuse|^\s+- /.test(line)).slice(0, 20).join('\n')}`);
  // An interactive dscl session records each of its commands under its own pid: count processes, not calls.
  const calls = mac.calls();
  return { processes: new Set(calls.map((call) => call.pid)).size + 1, seconds, phases: phases(calls) };
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

/** The script does the same work for every account: timing it on this many accounts gives its per-account cost. */
const BASELINE_SAMPLE = 5;
/** Runs of untether per batch size (each on a fresh simulated Mac): medians and worst cases over these. */
const REPETITIONS: Readonly<Record<number, number>> = { 1: 7, 10: 3 };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
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
  const phaseRows: string[] = [];
  const cleanup: SimulatedMac[] = [];
  try {
    for (const count of counts.length > 0 ? counts : [1, 10, 100]) {
      const repetitions = REPETITIONS[count] ?? 1;
      const ours: Array<Measure & { phases: Phases }> = [];
      for (let run = 0; run < repetitions; run += 1) {
        const mac = fleet(count);
        cleanup.push(mac);
        ours.push(await measureUntether(mac));
      }
      // The script's cost per account, on a sample of the same fleet in the same run.
      const theirs = fleet(Math.min(count, BASELINE_SAMPLE));
      cleanup.push(theirs);
      const sample = theirs.userNames().filter((name) => theirs.readUser(name)?.original_node_name !== undefined);
      const baseline = await measureBaseline(theirs, sample);
      const theirProcesses = baseline.processes / sample.length;
      const theirSeconds = baseline.seconds / sample.length;
      const seconds = ours.map((measure) => measure.seconds / count);
      // Probes of the restart depend on timing: report the run that needed the most processes.
      const most = ours.reduce((worst, measure) => (measure.processes > worst.processes ? measure : worst));
      const processes = most.processes / count;
      const typical = median(seconds);
      const worst = Math.max(...seconds);
      rows.push(
        `| ${count} | ${processes.toFixed(1)} | ${typical.toFixed(3)} s / ${worst.toFixed(3)} s (${repetitions} run${repetitions === 1 ? '' : 's'}) | ${theirProcesses.toFixed(1)} | ${theirSeconds.toFixed(2)} s | ${(theirProcesses / processes).toFixed(2)}x | ${(theirSeconds / typical).toFixed(1)}x / ${(theirSeconds / worst).toFixed(1)}x |`,
      );
      const phaseCounts = most.phases;
      phaseRows.push(`| ${count} | ${PHASES.map((phase) => phaseCounts[phase]).join(' | ')} | 1 |`);
      process.stderr.write(`${count} account(s) measured\n`);
      for (const mac of cleanup.splice(0)) rmSync(path.dirname(mac.root), { recursive: true, force: true });
    }
  } finally {
    for (const mac of cleanup) rmSync(path.dirname(mac.root), { recursive: true, force: true });
  }
  process.stdout.write(
    [
      'Per converted account, on a simulated Mac (processes counted by pid, the agent included, in the run that needed the most):',
      '',
      '| accounts | untether processes | untether wall time, median / worst | common script processes | common script time (20 s sleep counted) | fewer processes | faster, median / worst |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `The common script does the same work for every account; its cost is measured on ${BASELINE_SAMPLE} accounts (or fewer) of the same fleet in the same run.`,
      '',
      'Where the processes of one run went (all accounts together):',
      '',
      `| accounts | ${PHASES.join(' | ')} | the agent |`,
      `|---|${PHASES.map(() => '---|').join('')}---|`,
      ...phaseRows,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
