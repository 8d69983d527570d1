// The package end to end on simulated Macs of both architectures: `installer -pkg … -target /` picks the Mac's
// own component, runs the scripts and writes the receipt; the simulated launchd starts the daemon from the
// installed files (the host's node standing in for the Mach-O runtime, only inside the simulator), which enrolls
// with a real server and reports. Then an upgrade keeps configuration, token, journal and snapshots, an older
// package is refused, and the uninstall removes what the package installed.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server.js';
import { buildPackage, type BuiltPackage } from '../../scripts/pkg/build-pkg.js';
import { AGENT_DATA, ARCHITECTURES, DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS, LAUNCHD_LABEL, componentIdentifier, type Architecture } from '../../scripts/pkg/layout.js';
import { waitForState, writeManagedConfig } from '../helpers/daemon.js';
import { simulatedMac } from '../helpers/sim.js';
import { runFile, type SimulatedMac } from '../macsim/src/index.js';
import { standInRuntimes } from './support.js';
import { poll } from '../helpers/poll.js';

let work: string;
const packages: Record<'current' | 'newer' | 'older', BuiltPackage> = {} as never;
let server: DemoServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'untether-install-'));
  const runtimes = standInRuntimes(work);
  for (const [name, version] of [['current', '0.5.0'], ['newer', '0.6.0'], ['older', '0.4.9']] as const) {
    packages[name] = await buildPackage({ outDir: path.join(work, name), runtimes, version, sourceDateEpoch: 1_764_547_200 });
  }
  server = await startDemoServer({ port: 0, quiet: true });
}, 240_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

async function installer(mac: SimulatedMac, pkg: BuiltPackage) {
  const macPath = `/private/tmp/${path.basename(pkg.file)}`;
  copyFileSync(pkg.file, mac.path(macPath));
  return runFile(mac.path('/usr/sbin/installer'), ['-pkg', macPath, '-target', '/'], { timeoutMs: 120_000 });
}

const tool = (mac: SimulatedMac, macPath: string, args: string[]) => runFile(mac.path(macPath), args);
const job = (mac: SimulatedMac) => mac.readState().launchd.jobs.find((candidate) => candidate.label === LAUNCHD_LABEL);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

interface Device {
  id: string;
  hardwareUuid: string;
  enrolledAt: string;
}

async function devices(): Promise<Device[]> {
  const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: server.adminUser, password: server.adminPassword }) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const list = await fetch(`${server.url}/api/v1/devices`, { headers: { cookie } });
  return ((await list.json()) as { devices?: Device[] }).devices ?? [];
}

/** Every file under a Mac directory with its content, to compare before and after an upgrade. */
function contentsOf(mac: SimulatedMac, macDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else out[`${prefix}${name}`] = readFileSync(full, 'utf8');
    }
  };
  walk(mac.path(macDir), '');
  return out;
}

describe.each(ARCHITECTURES)('the package on a simulated %s Mac', (arch: Architecture) => {
  const other: Architecture = arch === 'arm64' ? 'x86_64' : 'arm64';
  let mac: SimulatedMac;
  const hardwareUuid = randomUUID().toUpperCase();
  const device = async () => (await devices()).find((candidate) => candidate.hardwareUuid === hardwareUuid);

  beforeAll(async () => {
    mac = simulatedMac({ scenario: 'ad-bound', architecture: arch, launchdRunsJobs: true });
    writeManagedConfig(mac, { server: { url: server.url, enrollmentSecret: server.enrollSecret }, inventory: { enabled: true } });
    // A local preferences file an admin left: the package must never touch it.
    writeFileSync(mac.path('/Library/Preferences/io.untether.agent.plist'), '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>logLevel</key><string>info</string></dict></plist>\n');
    // Its own hardware: the server knows devices by hardware UUID.
    mac.updateState((state) => {
      state.hardware.platformUuid = hardwareUuid;
    });
  });

  afterAll(() => mac?.stopJobs());

  it('answers sysctl hw.optional.arm64 as this architecture does', async () => {
    const answer = await tool(mac, '/usr/sbin/sysctl', ['-n', 'hw.optional.arm64']);
    if (arch === 'arm64') expect(answer).toMatchObject({ stdout: '1\n', exitCode: 0 });
    else expect(answer).toMatchObject({ stderr: "sysctl: unknown oid 'hw.optional.arm64'\n", exitCode: 1 });
  });

  it('installs only its own component, runs the scripts, writes the receipt, and launchd starts the daemon from the installed files', async () => {
    const result = await installer(mac, packages.current);
    expect(result.stdout).toBe('installer: Package name is Untether\ninstaller: Installing at base path /\ninstaller: The install was successful.\n');
    expect(result.exitCode).toBe(0);

    const pkgs = (await tool(mac, '/usr/sbin/pkgutil', ['--pkgs'])).stdout.split('\n');
    expect(pkgs).toContain(componentIdentifier(arch));
    expect(pkgs).not.toContain(componentIdentifier(other));
    expect((await tool(mac, '/usr/sbin/pkgutil', ['--pkg-info', componentIdentifier(arch)])).stdout).toMatch(new RegExp(`^package-id: ${componentIdentifier(arch).replace(/\./g, '\\.')}\nversion: 0\\.5\\.0\nvolume: /\nlocation: /\ninstall-time: \\d+\n$`));
    const files = (await tool(mac, '/usr/sbin/pkgutil', ['--files', componentIdentifier(arch)])).stdout.split('\n');
    for (const macPath of [INSTALL_PATHS.runtime, INSTALL_PATHS.bundle, INSTALL_PATHS.launchDaemon, INSTALL_PATHS.pathsEntry]) expect(files).toContain(macPath.slice(1));

    // The architecture's own runtime, root:wheel in a root-only directory; the installer scripts ran.
    expect(readFileSync(mac.path(INSTALL_PATHS.runtime)).toString('latin1')).toContain(`stand-in ${arch} runtime`);
    const runtimeDir = statSync(mac.path(INSTALL_PATHS.runtimeDir));
    expect({ mode: runtimeDir.mode & 0o777, uid: runtimeDir.uid, gid: runtimeDir.gid }).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    expect(readFileSync(mac.path(INSTALL_PATHS.version), 'utf8')).toBe('0.5.0\n');
    const log = readFileSync(mac.path('/var/log/install.log'), 'utf8');
    expect(log).toContain(`untether postinstall: started ${LAUNCHD_LABEL}`);

    const running = job(mac);
    expect(running).toMatchObject({ program: [INSTALL_PATHS.runtime, ...DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS.bundle, 'daemon'], running: true });
    expect(alive(running!.pid)).toBe(true);
    // The daemon runs from the installed bundle and reaches the real server: it enrolls and reports.
    await waitForState(mac, (state) => state.stage !== undefined);
    expect(await poll(device, 'the daemon to enroll', 90_000)).toMatchObject({ hardwareUuid });
  }, 180_000);

  it('upgrades in place: a newer package keeps configuration, token, journal and snapshots, and restarts the daemon', async () => {
    mkdirSync(mac.path(`${AGENT_DATA.snapshots}/jdoe`), { recursive: true, mode: 0o700 });
    writeFileSync(mac.path(`${AGENT_DATA.snapshots}/jdoe/s1.json`), '{"snapshot":"kept"}');
    mkdirSync(mac.path(AGENT_DATA.journalHistory), { recursive: true, mode: 0o700 });
    writeFileSync(mac.path(`${AGENT_DATA.journalHistory}/e1.json`), '{"state":"committed"}');
    await poll(() => (readdirSync(mac.path(`${INSTALL_PATHS.supportDir}/link`)).length > 0 ? true : undefined), 'the token file', 90_000);
    const before = {
      link: contentsOf(mac, `${INSTALL_PATHS.supportDir}/link`),
      snapshots: contentsOf(mac, AGENT_DATA.snapshots),
      journal: contentsOf(mac, AGENT_DATA.journalHistory),
      preferences: readFileSync(mac.path('/Library/Preferences/io.untether.agent.plist'), 'utf8'),
      managed: readFileSync(mac.path('/Library/Managed Preferences/io.untether.agent.plist'), 'utf8'),
    };
    const oldPid = job(mac)!.pid;
    const enrolled = (await device())!;

    const result = await installer(mac, packages.newer);
    expect(result.stdout).toContain('installer: Upgrading at base path /');
    expect(result.exitCode).toBe(0);
    expect(readFileSync(mac.path(INSTALL_PATHS.version), 'utf8')).toBe('0.6.0\n');
    expect(readFileSync(mac.path('/var/log/install.log'), 'utf8')).toContain('upgrading Untether 0.5.0 to 0.6.0');
    expect({
      link: contentsOf(mac, `${INSTALL_PATHS.supportDir}/link`),
      snapshots: contentsOf(mac, AGENT_DATA.snapshots),
      journal: contentsOf(mac, AGENT_DATA.journalHistory),
      preferences: readFileSync(mac.path('/Library/Preferences/io.untether.agent.plist'), 'utf8'),
      managed: readFileSync(mac.path('/Library/Managed Preferences/io.untether.agent.plist'), 'utf8'),
    }).toEqual(before);
    const upgraded = job(mac)!;
    expect(upgraded.pid).not.toBe(oldPid);
    expect(alive(oldPid)).toBe(false);
    expect(alive(upgraded.pid)).toBe(true);
    // Same token: the device is not enrolled a second time.
    expect(await device()).toMatchObject({ id: enrolled.id, enrolledAt: enrolled.enrolledAt });
  }, 180_000);

  it('refuses an older package over the newer one and leaves the running daemon alone', async () => {
    const pid = job(mac)!.pid;
    const result = await installer(mac, packages.older);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/installer: The install failed\. .*An error occurred while running scripts from the package “untether-.*\.pkg”/);
    expect(readFileSync(mac.path('/var/log/install.log'), 'utf8')).toContain('Untether 0.6.0 is installed, newer than this package (0.4.9): refusing to downgrade');
    expect(readFileSync(mac.path(INSTALL_PATHS.version), 'utf8')).toBe('0.6.0\n');
    expect(job(mac)!.pid).toBe(pid);
    expect(alive(pid)).toBe(true);
  }, 120_000);

  it('uninstalls: stops the daemon, removes what the package installed, keeps the snapshots, forgets the receipt', async () => {
    const pid = job(mac)!.pid;
    const result = await runFile('/bin/sh', [mac.path(INSTALL_PATHS.uninstall)], { env: { UNTETHER_SYSTEM_ROOT: mac.root }, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(job(mac)).toBeUndefined();
    for (const macPath of [INSTALL_PATHS.runtimeDir, INSTALL_PATHS.libDir, INSTALL_PATHS.binDir, INSTALL_PATHS.launchDaemon, INSTALL_PATHS.pathsEntry, INSTALL_PATHS.newsyslog, INSTALL_PATHS.logDir]) {
      expect(mac.exists(macPath), macPath).toBe(false);
    }
    expect(readFileSync(mac.path(`${AGENT_DATA.snapshots}/jdoe/s1.json`), 'utf8')).toBe('{"snapshot":"kept"}');
    expect((await tool(mac, '/usr/sbin/pkgutil', ['--pkgs'])).stdout).not.toContain(LAUNCHD_LABEL);
    expect(mac.exists(`/var/db/receipts/${componentIdentifier(arch)}.bom`)).toBe(false);
  }, 120_000);
});
