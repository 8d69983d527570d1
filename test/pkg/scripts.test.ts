// The installer scripts, the uninstall script and the admin command, run by /bin/sh against the simulated Mac's
// launchctl and pkgutil (UNTETHER_SYSTEM_ROOT prefixes every macOS tool and file the scripts touch).
import { execa, type ResultPromise } from 'execa';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildPayload, type BuildPayloadResult } from '../../scripts/pkg/build-payload.js';
import { AGENT_DATA, DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS, LAUNCHD_LABEL, componentIdentifier } from '../../scripts/pkg/layout.js';
import { createSimulatedMac, type SimulatedMac } from '../macsim/src/harness.js';
import { standInRuntimes } from './support.js';

const PKG_IDENTIFIER = componentIdentifier('arm64');
const isRoot = process.getuid?.() === 0;

let work: string;
let payload: BuildPayloadResult;
let mac: SimulatedMac;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-pkgscripts-'));
  payload = await buildPayload({ outDir: path.join(work, 'pkg'), runtimes: standInRuntimes(work) });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeEach(() => {
  mac = createSimulatedMac({ dir: mkdtempSync(path.join(tmpdir(), 'untether-mac-')), scenario: 'ad-bound' });
});

afterEach(() => mac.destroy());

/** What the Installer does before postinstall: lay the payload onto the volume and record the receipt. */
function installPayload(): void {
  cpSync(payload.payloadRoots.arm64, mac.root, { recursive: true });
  mac.updateState((state) => {
    if (!state.packages.includes(PKG_IDENTIFIER)) state.packages.push(PKG_IDENTIFIER);
  });
}

async function runScript(file: string, args: readonly string[], options: { uid?: number; gid?: number } = {}) {
  const result = await execa('/bin/sh', [file, ...args], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false, timeout: 60_000, ...options });
  return { code: result.exitCode, out: String(result.stdout), err: String(result.stderr) };
}

/** The Installer's arguments: package path, install location, target volume. */
const installerArgs = (target = '/') => ['/private/tmp/untether.pkg', '/', target];
const postinstall = () => runScript(path.join(payload.scriptsDir, 'postinstall'), installerArgs());
const launchctlCalls = () => mac.calls().filter((call) => call.tool === 'launchctl').map((call) => `${call.args.join(' ')} -> ${call.exitCode}`);
const job = () => mac.readState().launchd.jobs.find((candidate) => candidate.label === LAUNCHD_LABEL);

describe('postinstall', () => {
  it('loads and starts the daemon on a first install: bootout (not loaded), enable, bootstrap, kickstart -k', async () => {
    installPayload();
    const result = await postinstall();
    expect(result.code).toBe(0);
    expect(result.out).toContain(`loaded ${LAUNCHD_LABEL}`);
    expect(launchctlCalls()).toEqual([
      `bootout system/${LAUNCHD_LABEL} -> 3`,
      `enable system/${LAUNCHD_LABEL} -> 0`,
      `bootstrap system ${INSTALL_PATHS.launchDaemon} -> 0`,
      `kickstart -k system/${LAUNCHD_LABEL} -> 0`,
    ]);
    expect(job()).toMatchObject({ domain: 'system', plistPath: INSTALL_PATHS.launchDaemon, program: [INSTALL_PATHS.runtime, ...DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS.bundle, 'daemon'] });
  });

  it('replaces a running daemon on an upgrade', async () => {
    installPayload();
    await postinstall();
    mac.clearCalls();
    const result = await postinstall();
    expect(result.code).toBe(0);
    expect(result.out).toContain('stopped the previous daemon');
    expect(launchctlCalls()[0]).toBe(`bootout system/${LAUNCHD_LABEL} -> 0`);
    expect(job()).toBeDefined();
  });

  it('re-enables a daemon an admin disabled, so the reinstall loads it', async () => {
    installPayload();
    mac.updateState((state) => state.launchd.disabled.push(`system/${LAUNCHD_LABEL}`));
    const result = await postinstall();
    expect(result.code).toBe(0);
    expect(mac.readState().launchd.disabled).toEqual([]);
    expect(job()).toBeDefined();
  });

  it('treats "Bootstrap failed: 5" as loaded when launchctl print finds the job (the Sonoma race), without retrying', async () => {
    installPayload();
    mac.raceNextBootstraps(1);
    const result = await postinstall();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/bootstrap answered 5: Bootstrap failed: 5: Input\/output error, but launchd has the job/);
    expect(launchctlCalls().filter((call) => call.startsWith('bootstrap'))).toHaveLength(1);
    expect(launchctlCalls()).toContain(`print system/${LAUNCHD_LABEL} -> 0`);
  });

  it('retries a bootstrap that failed with 5 and did not load (old instance still draining)', async () => {
    installPayload();
    // launchctl writes: bootout (1), enable (2), bootstrap (3).
    mac.injectFault({ tool: 'launchctl', write: 3, mode: 'fail' });
    const result = await postinstall();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/bootstrap attempt 1 answered 5: .*retrying/);
    expect(launchctlCalls().filter((call) => call.startsWith('bootstrap'))).toEqual([
      `bootstrap system ${INSTALL_PATHS.launchDaemon} -> 5`,
      `bootstrap system ${INSTALL_PATHS.launchDaemon} -> 0`,
    ]);
    expect(job()).toBeDefined();
  });

  it('leaves launchd alone when installing onto another volume', async () => {
    cpSync(payload.payloadRoots.arm64, path.join(mac.root, 'Volumes/Other'), { recursive: true });
    const result = await runScript(path.join(payload.scriptsDir, 'postinstall'), installerArgs('/Volumes/Other'));
    expect(result.code).toBe(0);
    expect(result.out).toContain('not the running system');
    expect(launchctlCalls()).toEqual([]);
  });

  it('fails the install when the plist is missing, naming it', async () => {
    installPayload();
    rmSync(mac.path(INSTALL_PATHS.launchDaemon));
    const result = await postinstall();
    expect(result.code).toBe(1);
    expect(result.out).toContain(INSTALL_PATHS.launchDaemon);
    expect(launchctlCalls()).toEqual([]);
  });

  it('makes the runtime directory root-only again when an earlier install or an admin opened it', async () => {
    installPayload();
    chmodSync(mac.path(INSTALL_PATHS.runtimeDir), 0o755);
    expect((await postinstall()).code).toBe(0);
    expect(statSync(mac.path(INSTALL_PATHS.runtimeDir)).mode & 0o777).toBe(0o700);
  });
});

describe('preinstall', () => {
  const preinstall = (target = '/') => runScript(path.join(payload.scriptsDir, 'preinstall'), installerArgs(target));
  const writeInstalledVersion = (text: string) => writeFileSync(mac.path(INSTALL_PATHS.version), text);

  it('refuses to install over a newer version, before touching launchd, on any target volume', async () => {
    installPayload();
    await postinstall();
    mac.clearCalls();
    for (const newer of ['99.0.0', `${payload.version.replace(/^(\d+)\.(\d+)\.(\d+).*$/, (_, a, b, c) => `${a}.${b}.${Number(c) + 1}`)}`]) {
      writeInstalledVersion(`${newer}\n`);
      const result = await preinstall();
      expect(result.code).toBe(1);
      expect(result.out).toContain(`Untether ${newer} is installed, newer than this package (${payload.version}): refusing to downgrade`);
    }
    expect(launchctlCalls()).toEqual([]);
    expect(job()).toBeDefined();
    mkdirSync(path.join(mac.root, 'Volumes/Other/Library/Application Support/Untether'), { recursive: true });
    writeFileSync(path.join(mac.root, 'Volumes/Other/Library/Application Support/Untether/VERSION'), '99.0.0\n');
    expect((await preinstall('/Volumes/Other')).code).toBe(1);
  });

  it('allows the same version, an older one installed, and a first install', async () => {
    installPayload();
    writeInstalledVersion(`${payload.version}\n`);
    expect((await preinstall()).code).toBe(0);
    writeInstalledVersion('0.0.1\n');
    const upgrade = await preinstall();
    expect(upgrade.code).toBe(0);
    expect(upgrade.out).toContain(`upgrading Untether 0.0.1 to ${payload.version}`);
    rmSync(mac.path(INSTALL_PATHS.version));
    expect((await preinstall()).code).toBe(0);
  });

  it('refuses a version file it cannot read or that is a symbolic link', async () => {
    installPayload();
    writeInstalledVersion('garbage\n');
    expect((await preinstall()).out).toMatch(/cannot read the installed version .*'garbage'/);
    rmSync(mac.path(INSTALL_PATHS.version));
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/hostname', mac.path(INSTALL_PATHS.version));
    const linked = await preinstall();
    expect(linked.code).toBe(1);
    expect(linked.out).toContain('is a symbolic link');
  });

  it('stops a running daemon before an upgrade and never fails the install', async () => {
    installPayload();
    await postinstall();
    mac.clearCalls();
    const result = await runScript(path.join(payload.scriptsDir, 'preinstall'), installerArgs());
    expect(result.code).toBe(0);
    expect(launchctlCalls()).toEqual([`bootout system/${LAUNCHD_LABEL} -> 0`]);
    expect(job()).toBeUndefined();
    expect((await runScript(path.join(payload.scriptsDir, 'preinstall'), installerArgs())).code).toBe(0);
    expect((await runScript(path.join(payload.scriptsDir, 'preinstall'), installerArgs('/Volumes/Other'))).code).toBe(0);
  });
});

describe('uninstall.sh', () => {
  const uninstall = (...args: string[]) => runScript(mac.path(INSTALL_PATHS.uninstall), args);
  const data = (macPath: string) => mac.path(macPath);
  let holder: ResultPromise | undefined;

  /** What the agent leaves in its support directory: a committed journal entry, a snapshot, a token. */
  function writeAgentData(): void {
    mkdirSync(data(`${AGENT_DATA.snapshots}/jdoe`), { recursive: true, mode: 0o700 });
    writeFileSync(data(`${AGENT_DATA.snapshots}/jdoe/s1.json`), '{"snapshot":{}}');
    mkdirSync(data(AGENT_DATA.journalHistory), { recursive: true, mode: 0o700 });
    writeFileSync(data(`${AGENT_DATA.journalHistory}/e0.json`), '{"state":"committed"}');
    mkdirSync(data(`${INSTALL_PATHS.supportDir}/link`), { recursive: true, mode: 0o700 });
    writeFileSync(data(`${INSTALL_PATHS.supportDir}/link/token`), 'secret-token');
  }

  /** An open journal entry: an account mid-change, as agent/src/txn/journal.ts writes it. */
  function writeOpenEntry(user: string): void {
    mkdirSync(data(AGENT_DATA.journal), { recursive: true, mode: 0o700 });
    writeFileSync(data(`${AGENT_DATA.journal}/e1.json`), JSON.stringify({ format: 'untether-journal-1', id: 'e1', kind: 'demobilize', user, snapshotId: 's1', state: 'applying' }, null, 2));
  }

  /** A live process holding the action lock, as the agent's CLI does during a demobilization. */
  function holdLock(): number {
    holder = execa('sleep', ['60'], { reject: false });
    writeFileSync(data(AGENT_DATA.actionLock), JSON.stringify({ pid: holder.pid, command: 'demobilize', since: '2026-12-02T10:00:00.000Z' }), { mode: 0o600 });
    return holder.pid!;
  }

  beforeEach(async () => {
    installPayload();
    await postinstall();
    writeFileSync(mac.path('/Library/Logs/Untether/agent.log'), '{"event":"x"}\n');
    writeAgentData();
    mac.clearCalls();
  });

  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = undefined;
  });

  it('stops the daemon, removes everything the package installed, keeps the snapshots, forgets the receipt', async () => {
    const result = await uninstall();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(new RegExp(`daemon: +${LAUNCHD_LABEL.replace(/\./g, '\\.')} is loaded \\(pid \\d+\\): will be stopped`));
    for (const macPath of [INSTALL_PATHS.launchDaemon, INSTALL_PATHS.pathsEntry, INSTALL_PATHS.newsyslog, INSTALL_PATHS.logDir]) {
      expect(result.out).toContain(`removed: ${macPath}`);
      expect(mac.exists(macPath)).toBe(false);
    }
    for (const macPath of [INSTALL_PATHS.runtimeDir, INSTALL_PATHS.libDir, INSTALL_PATHS.binDir, INSTALL_PATHS.version, INSTALL_PATHS.uninstall, AGENT_DATA.journalHistory, `${INSTALL_PATHS.supportDir}/link`, AGENT_DATA.actionLock]) {
      expect(mac.exists(macPath), macPath).toBe(false);
    }
    expect(result.out).toContain(`keep:    ${AGENT_DATA.snapshots}`);
    expect(readFileSync(data(`${AGENT_DATA.snapshots}/jdoe/s1.json`), 'utf8')).toBe('{"snapshot":{}}');
    expect(result.out).toContain(`forgot:  receipt ${PKG_IDENTIFIER}`);
    expect(job()).toBeUndefined();
    expect(mac.readState().packages).not.toContain(PKG_IDENTIFIER);
    expect(mac.calls().map((call) => `${call.tool} ${call.args[0]}`)).toEqual(['launchctl print', 'launchctl bootout', 'pkgutil --forget', 'pkgutil --forget']);
  });

  it('removes the snapshots too with --remove-snapshots, and then the whole support directory', async () => {
    const result = await uninstall('--remove-snapshots');
    expect(result.code).toBe(0);
    expect(mac.exists(INSTALL_PATHS.supportDir)).toBe(false);
    expect(result.out).toContain('Untether is removed.');
  });

  it('keeps the journal and the snapshots while an account is mid-change, even with --remove-snapshots', async () => {
    writeOpenEntry('jdoe');
    const result = await uninstall('--remove-snapshots');
    expect(result.code).toBe(0);
    expect(result.out).toContain('journal: accounts mid-change: jdoe');
    expect(mac.exists(`${AGENT_DATA.journal}/e1.json`)).toBe(true);
    expect(mac.exists(`${AGENT_DATA.snapshots}/jdoe/s1.json`)).toBe(true);
    expect(mac.exists(INSTALL_PATHS.runtimeDir)).toBe(false);
    expect(mac.exists(AGENT_DATA.actionLock)).toBe(false);
    expect(mac.readState().packages).not.toContain(PKG_IDENTIFIER);
  });

  it('waits for a running action, then refuses with exit 7 and removes nothing', async () => {
    const pid = holdLock();
    const result = await uninstall('--wait=1');
    expect(result.code).toBe(7);
    expect(result.err).toContain(`an Untether action is running (demobilize, pid ${pid})`);
    expect(mac.exists(INSTALL_PATHS.runtime)).toBe(true);
    expect(job()).toBeDefined();
    expect(JSON.parse(readFileSync(data(AGENT_DATA.actionLock), 'utf8'))).toMatchObject({ pid, command: 'demobilize' });
    expect(mac.writeCalls()).toEqual([]);
  });

  it('goes ahead once the running action releases the lock within the wait', async () => {
    holdLock();
    const running = uninstall('--wait=30');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    rmSync(data(AGENT_DATA.actionLock));
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.out).toContain('lock:    waiting up to 30 s');
    expect(mac.exists(INSTALL_PATHS.runtime)).toBe(false);
  });

  it('takes over a lock whose owner is gone, as the agent does', async () => {
    writeFileSync(data(AGENT_DATA.actionLock), JSON.stringify({ pid: 2_147_483_000, command: 'restore', since: 'x' }));
    const result = await uninstall();
    expect(result.code).toBe(0);
    expect(result.out).toContain('taking over a stale action lock (pid 2147483000 is gone)');
  });

  it('holds the agent\'s lock while it works, so the CLI cannot start an action meanwhile', async () => {
    // The uninstall's lock names its own shell: the agent's acquireLock sees a live owner.
    const { acquireLock } = await import('../../agent/src/system/datastore.js');
    const { setSystemRoot } = await import('../../agent/src/system/paths.js');
    mac.injectFault({ tool: 'launchctl', write: 1, mode: 'hang' });
    const running = execa('/bin/sh', [mac.path(INSTALL_PATHS.uninstall)], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false, timeout: 5_000 });
    try {
      for (let tries = 0; tries < 100 && !existsSync(data(AGENT_DATA.actionLock)); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      setSystemRoot(mac.root);
      const attempt = await acquireLock('demobilize', new Date());
      expect(attempt.acquired).toBe(false);
      if (!attempt.acquired) expect(attempt.owner).toMatchObject({ command: 'uninstall' });
    } finally {
      setSystemRoot(undefined);
      await running;
    }
  });

  it('removes nothing when the daemon cannot be stopped (bootout fails)', async () => {
    mac.injectFault({ tool: 'launchctl', write: 1, mode: 'fail' });
    const result = await uninstall('--remove-snapshots');
    expect(result.code).toBe(1);
    expect(result.err).toContain('bootout answered 5: Boot-out failed: 5: Input/output error; the daemon may still be running, so nothing was removed');
    for (const macPath of [INSTALL_PATHS.runtime, INSTALL_PATHS.launchDaemon, `${AGENT_DATA.snapshots}/jdoe/s1.json`, AGENT_DATA.journalHistory]) expect(mac.exists(macPath), macPath).toBe(true);
    expect(mac.exists(AGENT_DATA.actionLock)).toBe(false);
    expect(mac.readState().packages).toContain(PKG_IDENTIFIER);
  });

  it('changes nothing with --dry-run', async () => {
    const result = await uninstall('--dry-run');
    expect(result.code).toBe(0);
    expect(result.out).toContain('dry run');
    expect(mac.exists(INSTALL_PATHS.launchDaemon)).toBe(true);
    expect(job()).toBeDefined();
    expect(mac.readState().packages).toContain(PKG_IDENTIFIER);
    expect(mac.writeCalls()).toEqual([]);
  });

  it('keeps the logs with --keep-logs (also when passed as a Jamf parameter after $1-$3)', async () => {
    const result = await uninstall('/', 'mac-042', 'jdoe', '--keep-logs');
    expect(result.code).toBe(0);
    expect(mac.exists('/Library/Logs/Untether/agent.log')).toBe(true);
    expect(mac.exists(INSTALL_PATHS.runtimeDir)).toBe(false);
  });

  it('can run again on a clean Mac and says everything is absent', async () => {
    // The script removes itself: run a copy, as a Jamf policy script would be.
    const copy = path.join(mac.root, 'uninstall-copy.sh');
    cpSync(mac.path(INSTALL_PATHS.uninstall), copy);
    expect((await runScript(copy, ['--remove-snapshots'])).code).toBe(0);
    const again = await runScript(copy, []);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`daemon:  ${LAUNCHD_LABEL} is not loaded`);
    expect(again.out).toContain(`absent:  ${INSTALL_PATHS.supportDir}`);
    expect(again.out).toContain('receipt: none was recorded');
  });

  it('refuses an unknown option or a bad wait before touching anything', async () => {
    const result = await uninstall('--purge');
    expect(result.code).toBe(2);
    expect(result.err).toContain('unknown option --purge');
    expect((await uninstall('--wait=soon')).code).toBe(2);
    expect(existsSync(mac.path(INSTALL_PATHS.launchDaemon))).toBe(true);
    expect(mac.calls()).toEqual([]);
  });
});

describe('the admin command (bin/untether, on PATH through paths.d)', () => {
  const command = () => mac.path(INSTALL_PATHS.adminCommand);

  it.skipIf(!isRoot)('tells a non-root user to use sudo (exit 5) instead of failing on the root-only runtime', async () => {
    installPayload();
    const result = await execa(command(), ['status'], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false, uid: 65534, gid: 65534 });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toBe('untether: run with sudo (sudo untether ...): the agent runs as root and only root may start its runtime');
    // What it protects: the runtime cannot even be reached by that user.
    const direct = await execa(mac.path(INSTALL_PATHS.runtime), ['-e', '1'], { reject: false, uid: 65534, gid: 65534 });
    expect(direct.failed).toBe(true);
    expect(String(direct.stderr) + String(direct.message)).toMatch(/EACCES|Permission denied/);
  });

  it('as root runs the installed runtime on the bundle with every argument, by absolute path', async () => {
    installPayload();
    // A runtime that records how it was called (a Mach-O cannot run here; this is the launcher's test).
    writeFileSync(mac.path(INSTALL_PATHS.runtime), '#!/bin/sh\nprintf "%s\\n" "$0" "$@"\n', { mode: 0o755 });
    const result = await execa(command(), ['log', '--since', 'one hour ago'], { env: { UNTETHER_SYSTEM_ROOT: mac.root, PATH: '/nonexistent' }, extendEnv: false, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([mac.path(INSTALL_PATHS.runtime), mac.path(INSTALL_PATHS.bundle), 'log', '--since', 'one hour ago']);
  });

  it('is named by the paths.d entry, one directory, root-owned layout', () => {
    installPayload();
    expect(readFileSync(mac.path(INSTALL_PATHS.pathsEntry), 'utf8')).toBe(`${path.posix.dirname(INSTALL_PATHS.adminCommand)}\n`);
  });
});
