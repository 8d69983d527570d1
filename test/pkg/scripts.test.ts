// The installer scripts and the uninstall script, run by /bin/sh against the simulated Mac's launchctl and
// pkgutil (UNTETHER_SYSTEM_ROOT prefixes every macOS tool and file the scripts touch).
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildPayload, type BuildPayloadResult } from '../../scripts/pkg/build-payload.js';
import { INSTALL_PATHS, LAUNCHD_LABEL, PKG_IDENTIFIER } from '../../scripts/pkg/layout.js';
import { createSimulatedMac, type SimulatedMac } from '../macsim/src/harness.js';

let work: string;
let payload: BuildPayloadResult;
let mac: SimulatedMac;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-pkgscripts-'));
  payload = await buildPayload({ outDir: path.join(work, 'pkg'), environment: {} });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeEach(() => {
  mac = createSimulatedMac({ dir: mkdtempSync(path.join(tmpdir(), 'untether-mac-')), scenario: 'ad-bound' });
});

afterEach(() => mac.destroy());

/** What the Installer does before postinstall: lay the payload onto the volume and record the receipt. */
function installPayload(): void {
  cpSync(payload.payloadRoot, mac.root, { recursive: true });
  mac.updateState((state) => {
    if (!state.packages.includes(PKG_IDENTIFIER)) state.packages.push(PKG_IDENTIFIER);
  });
}

async function runScript(file: string, args: readonly string[]) {
  const result = await execa('/bin/sh', [file, ...args], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, extendEnv: false, reject: false, timeout: 60_000 });
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
    expect(job()).toMatchObject({ domain: 'system', plistPath: INSTALL_PATHS.launchDaemon, program: [INSTALL_PATHS.executable, 'daemon'] });
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
    installPayload();
    const result = await runScript(path.join(payload.scriptsDir, 'postinstall'), installerArgs('/Volumes/Other'));
    expect(result.code).toBe(0);
    expect(result.out).toContain('not the running system');
    expect(launchctlCalls()).toEqual([]);
  });

  it('fails the install when the plist is missing, naming it', async () => {
    const result = await postinstall();
    expect(result.code).toBe(1);
    expect(result.out).toContain(INSTALL_PATHS.launchDaemon);
    expect(launchctlCalls()).toEqual([]);
  });
});

describe('preinstall', () => {
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

  beforeEach(async () => {
    installPayload();
    await postinstall();
    writeFileSync(mac.path('/Library/Logs/Untether/agent.log'), '{"event":"x"}\n');
    mac.clearCalls();
  });

  it('reports what it will remove, stops the daemon, removes the files and forgets the receipt', async () => {
    const result = await uninstall();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(new RegExp(`daemon: +${LAUNCHD_LABEL.replace(/\./g, '\\.')} is loaded \\(pid \\d+\\): will be stopped`));
    for (const macPath of [INSTALL_PATHS.launchDaemon, INSTALL_PATHS.supportDir, INSTALL_PATHS.newsyslog, INSTALL_PATHS.logDir]) {
      expect(result.out).toContain(`remove:  ${macPath}`);
      expect(result.out).toContain(`removed: ${macPath}`);
      expect(mac.exists(macPath)).toBe(false);
    }
    expect(result.out).toContain(`forgot:  receipt ${PKG_IDENTIFIER}`);
    expect(job()).toBeUndefined();
    expect(mac.readState().packages).not.toContain(PKG_IDENTIFIER);
    expect(mac.calls().map((call) => `${call.tool} ${call.args[0]}`)).toEqual(['launchctl print', 'launchctl bootout', 'pkgutil --forget']);
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
    expect(mac.exists(INSTALL_PATHS.supportDir)).toBe(false);
  });

  it('can run again on a clean Mac and says everything is absent', async () => {
    // The script removes itself: run a copy, as a Jamf policy script would be.
    const copy = path.join(mac.root, 'uninstall-copy.sh');
    cpSync(mac.path(INSTALL_PATHS.uninstall), copy);
    expect((await runScript(copy, [])).code).toBe(0);
    const again = await runScript(copy, []);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`daemon:  ${LAUNCHD_LABEL} is not loaded`);
    expect(again.out).toContain(`absent:  ${INSTALL_PATHS.supportDir}`);
    expect(again.out).toContain(`receipt: ${PKG_IDENTIFIER} was not recorded`);
  });

  it('refuses an unknown option before touching anything', async () => {
    const result = await uninstall('--purge');
    expect(result.code).toBe(2);
    expect(result.err).toContain('unknown option --purge');
    expect(existsSync(mac.path(INSTALL_PATHS.launchDaemon))).toBe(true);
    expect(mac.calls()).toEqual([]);
  });
});
