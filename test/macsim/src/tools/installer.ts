// Fake /usr/sbin/installer (`installer -pkg FILE -target /`) and /usr/sbin/sysctl (`hw.optional.arm64`).
//
// The installer reads a flat package with scripts/pkg/format's reader, evaluates the Distribution's JavaScript
// (installation-check, each choice's enabled/selected) in node:vm with `system`, `my` and `choices`, and installs
// each selected component: preinstall, payload (modes and root:wheel owners as recorded; an existing directory
// keeps its own, as overwrite-permissions="false" says), the receipt in /var/db/receipts, postinstall. Scripts get
// Installer's arguments ($1 package path, $2 install location, $3 target volume, $4 "/") and their output goes to
// /var/log/install.log, as on a Mac. Facts: macos-packaging.md §6-8; installer(8). Lines marked [guess] are not
// confirmed on a Mac: the exact failure texts and when the receipt is written relative to postinstall.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { readPackage, type ReadComponent, type ReadPackage } from '../../../../scripts/pkg/format/index.js';
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { toXmlPlist, type PlistDict } from '../plist.js';
import { atomicWrite, rootPath } from '../store.js';
import { compareVersions } from '../../../../scripts/pkg/version.js';

export const RECEIPTS_DIR = '/var/db/receipts';
const INSTALL_LOG = '/var/log/install.log';
/** A script that runs longer than this fails the install (the real Installer has no documented limit). */
const SCRIPT_TIMEOUT_MS = 5 * 60_000;

/** What `sysctl` answers on this Mac's architecture; undefined for an oid the kernel does not have. */
function sysctlValue(ctx: FakeContext, name: string): string | undefined {
  const arch = ctx.state().architecture ?? 'arm64';
  switch (name) {
    // Apple silicon only: Intel kernels have no such oid (`sysctl: unknown oid`, exit 1).
    case 'hw.optional.arm64':
      return arch === 'arm64' ? '1' : undefined;
    case 'hw.machine':
      return arch === 'arm64' ? 'arm64' : 'x86_64';
    default:
      return undefined;
  }
}

export const sysctl: ToolHandler = (ctx) => {
  const names = ctx.args.filter((arg) => arg !== '-n');
  const valueOnly = ctx.args.includes('-n');
  if (names.length !== 1 || ctx.args.some((arg) => arg.startsWith('-') && arg !== '-n')) throw new Unsupported();
  const name = names[0]!;
  if (!['hw.optional.arm64', 'hw.machine'].includes(name)) throw new Unsupported(`oid ${name}`);
  return reading(() => {
    const value = sysctlValue(ctx, name);
    if (value === undefined) {
      ctx.err(`sysctl: unknown oid '${name}'\n`);
      return 1;
    }
    ctx.out(valueOnly ? `${value}\n` : `${name}: ${value}\n`);
    return 0;
  });
};

interface InstallerArgs {
  pkg: string;
  target: string;
}

function parseArgs(args: readonly string[]): InstallerArgs {
  let pkg: string | undefined;
  let target: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '-pkg' || arg === '-package') pkg = args[++index];
    else if (arg === '-target' || arg === '-tgt') target = args[++index];
    else if (arg === '-verbose' || arg === '-allowUntrusted' || arg === '-dumplog') continue;
    else throw new Unsupported(`option ${arg}`);
  }
  if (pkg === undefined || target === undefined) throw new Unsupported('needs -pkg FILE -target VOLUME');
  if (target !== '/') throw new Unsupported(`target ${target} (only the running system, "/", is modelled)`);
  return { pkg, target };
}

/** Which components a product archive's Distribution selects on this Mac, or why it refuses. */
export function selectComponents(read: ReadPackage, facts: { architecture: 'arm64' | 'x86_64'; productVersion: string }): { components: ReadComponent[]; refusal?: string } {
  if (read.kind === 'component' || !read.distribution) return { components: read.components };
  const distribution = read.distribution;
  if (distribution.hostArchitectures && !distribution.hostArchitectures.includes(facts.architecture)) {
    // Apple silicon would offer Rosetta; Intel refuses. Either way nothing native installs.
    return { components: [], refusal: `this package does not support the ${facts.architecture} architecture (hostArchitectures ${distribution.hostArchitectures.join(',')})` };
  }
  if (distribution.minimumMacOS && compareVersions(facts.productVersion, distribution.minimumMacOS) < 0) {
    return { components: [], refusal: `this package needs macOS ${distribution.minimumMacOS} or later (this Mac runs ${facts.productVersion})` };
  }
  const my = { result: { type: '', title: '', message: '' }, target: { mountpoint: '/' } };
  const choices: Record<string, { selected: boolean; enabled: boolean; visible: boolean; title: string; packages: string[] }> = {};
  const system = {
    sysctl: (name: string) => (name === 'hw.optional.arm64' ? (facts.architecture === 'arm64' ? 1 : undefined) : name === 'hw.machine' ? facts.architecture : undefined),
    compareVersions,
    version: { ProductVersion: facts.productVersion },
    log: () => undefined,
  };
  const context = vm.createContext({ system, my, choices });
  const run = (code: string, what: string): unknown => {
    try {
      return vm.runInContext(code, context, { timeout: 1000, filename: `Distribution ${what}` });
    } catch (error) {
      throw new Error(`the Distribution's JavaScript failed in ${what}: ${(error as Error).message}`);
    }
  };
  for (const script of distribution.scripts) run(script, '<script>');
  if (distribution.installationCheck && run(distribution.installationCheck, 'installation-check') === false) {
    return { components: [], refusal: my.result.message || my.result.title || 'the installation check failed' };
  }
  const selected: ReadComponent[] = [];
  for (const id of distribution.outline) {
    const choice = distribution.choices.find((candidate) => candidate.id === id);
    if (!choice) continue;
    const enabled = choice.enabled === undefined ? true : Boolean(run(choice.enabled, `choice ${id} enabled`));
    const isSelected = choice.selected === undefined ? true : Boolean(run(choice.selected, `choice ${id} selected`));
    choices[id] = { selected: isSelected, enabled, visible: choice.visible !== 'false', title: choice.title ?? id, packages: choice.pkgRefs };
    if (!(enabled && isSelected)) continue;
    for (const refId of choice.pkgRefs) {
      const ref = distribution.pkgRefs.find((candidate) => candidate.id === refId);
      const component = read.components.find((candidate) => candidate.fileName === ref?.fileName);
      if (component && !selected.includes(component)) selected.push(component);
    }
  }
  return { components: selected };
}


function appendInstallLog(root: string, text: string): void {
  const file = rootPath(root, INSTALL_LOG);
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, text);
}

/** Run one installer script; its output goes to install.log. Returns its exit status. */
function runScript(ctx: FakeContext, scriptsDir: string, name: string, args: readonly string[], component: string): number {
  const file = path.join(scriptsDir, name);
  if (!existsSync(file)) return 0;
  appendInstallLog(ctx.root, `installer[${process.pid}]: ${component}: running ${name}\n`);
  const child = spawnSync(file, [...args], {
    cwd: scriptsDir,
    // The Installer's environment is small; the simulator adds the system root every Untether tool honours.
    env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin', UNTETHER_SYSTEM_ROOT: ctx.root, INSTALLER_TEMP: path.dirname(scriptsDir) },
    encoding: 'utf8',
    timeout: SCRIPT_TIMEOUT_MS,
  });
  appendInstallLog(ctx.root, `${child.stdout ?? ''}${child.stderr ?? ''}`);
  if (child.error) appendInstallLog(ctx.root, `installer: ${name}: ${child.error.message}\n`);
  return child.status ?? 1;
}

/** Lay a component's payload under the install location, with recorded modes and owners. */
function extractPayload(ctx: FakeContext, component: ReadComponent, installLocation: string): void {
  for (const entry of component.payload ?? []) {
    const macPath = path.posix.join(installLocation, entry.path);
    const target = rootPath(ctx.root, macPath);
    if (entry.kind === 'directory') {
      if (existsSync(target)) continue; // overwrite-permissions="false": an existing directory keeps its mode and owner
      mkdirSync(target, { mode: entry.mode });
      chmodSync(target, entry.mode);
      chownSync(target, entry.uid, entry.gid);
    } else if (entry.kind === 'symlink') {
      rmSync(target, { force: true });
      symlinkSync(entry.target ?? '', target);
    } else {
      // Replace, never write through: a symbolic link planted at the path is replaced, not followed.
      if (existsSync(target) && lstatSync(target).isDirectory()) rmSync(target, { recursive: true });
      atomicWrite(target, entry.data ?? Buffer.alloc(0), entry.mode);
      chmodSync(target, entry.mode);
      chownSync(target, entry.uid, entry.gid);
    }
  }
}

function writeReceipt(ctx: FakeContext, read: ReadPackage, component: ReadComponent): void {
  const info = component.packageInfo!;
  const dir = rootPath(ctx.root, RECEIPTS_DIR);
  mkdirSync(dir, { recursive: true });
  const receipt: PlistDict = {
    InstallDate: new Date(),
    InstallPrefixPath: (info.installLocation ?? '/').replace(/^\/+/, ''),
    InstallProcessName: 'installer',
    PackageFileName: component.fileName === '' ? 'package.pkg' : component.fileName,
    PackageIdentifier: info.identifier,
    PackageVersion: info.version,
  };
  atomicWrite(path.join(dir, `${info.identifier}.plist`), toXmlPlist(receipt));
  const bom = read.xar.files.get(component.fileName === '' ? 'Bom' : `${component.fileName}/Bom`);
  if (bom) atomicWrite(path.join(dir, `${info.identifier}.bom`), bom);
}

function installFailed(ctx: FakeContext, why: string): number {
  // [guess] the wording of script failures follows what admins quote from install logs.
  ctx.out(`installer: The install failed. (${why})\n`);
  return 1;
}

function install(ctx: FakeContext, args: InstallerArgs): number {
  if (!ctx.isRoot) {
    ctx.err('installer: Must be run as root to install this package.\n'); // [guess]
    return 1;
  }
  const file = rootPath(ctx.root, args.pkg);
  let read: ReadPackage;
  try {
    read = readPackage(readFileSync(file));
  } catch (error) {
    ctx.err(`installer: Error - the package path specified was invalid: '${args.pkg}'.\n`); // [guess]
    appendInstallLog(ctx.root, `installer: ${args.pkg}: ${(error as Error).message}\n`);
    return 1;
  }
  const state = ctx.state();
  const title = read.distribution?.title ?? path.basename(args.pkg, '.pkg');
  ctx.out(`installer: Package name is ${title}\n`);
  const { components, refusal } = selectComponents(read, { architecture: state.architecture ?? 'arm64', productVersion: state.os.productVersion });
  if (refusal !== undefined) {
    ctx.err(`installer: Cannot install on volume / because it is disabled.\ninstaller: ${refusal}\n`); // [guess]
    return 1;
  }
  const upgrading = components.some((component) => component.packageInfo && existsSync(rootPath(ctx.root, `${RECEIPTS_DIR}/${component.packageInfo.identifier}.plist`)));
  ctx.out(`installer: ${upgrading ? 'Upgrading' : 'Installing'} at base path ${args.target}\n`);
  for (const component of components) {
    const info = component.packageInfo;
    if (!info) return installFailed(ctx, `the package "${component.fileName}" has no PackageInfo`);
    const work = mkdtempSync(path.join(rootPath(ctx.root, '/private/tmp'), 'installer-'));
    try {
      const scriptsDir = path.join(work, 'Scripts');
      mkdirSync(scriptsDir, { recursive: true });
      for (const script of component.scripts ?? []) {
        if (script.kind !== 'file' || script.path === '.') continue;
        const target = path.join(scriptsDir, script.path);
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, script.data ?? Buffer.alloc(0), { mode: script.mode });
        chmodSync(target, script.mode);
      }
      const installLocation = info.installLocation ?? '/';
      const scriptArgs = [args.pkg, installLocation, args.target, '/'];
      const failedScript = `An error occurred while running scripts from the package “${component.fileName || path.basename(args.pkg)}”.`;
      const generic = 'The Installer encountered an error that caused the installation to fail. Contact the software manufacturer for assistance.';
      if (info.scripts?.preinstall && runScript(ctx, scriptsDir, info.scripts.preinstall, scriptArgs, info.identifier) !== 0) return installFailed(ctx, `${generic} ${failedScript}`);
      extractPayload(ctx, component, installLocation);
      writeReceipt(ctx, read, component); // [guess] before postinstall
      if (info.scripts?.postinstall && runScript(ctx, scriptsDir, info.scripts.postinstall, scriptArgs, info.identifier) !== 0) return installFailed(ctx, `${generic} ${failedScript}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  ctx.out('installer: The install was successful.\n');
  return 0;
}

export const installer: ToolHandler = (ctx) => {
  const args = parseArgs(ctx.args);
  return {
    isWrite: true,
    run: () => install(ctx, args),
    fail: () => installFailed(ctx, 'The Installer encountered an error that caused the installation to fail. Contact the software manufacturer for assistance.'),
  };
};
