// Writing a built scenario under a system root: the directory tree, records, state, plists, home folders,
// and the shim executables at the tools' macOS paths.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOL_PATHS, type ToolName } from '../../../agent/src/system/tools.js';
import { toXmlPlist } from './plist.js';
import type { BuiltScenario } from './scenarios.js';
import { LAYOUT, atomicWrite, rootPath, writeRecord, writeState } from './store.js';

/** Tools every simulated Mac has that the agent never runs (so they are not in TOOL_PATHS): installing packages, pwpolicy. */
export const SIMULATOR_TOOL_PATHS = { installer: '/usr/sbin/installer', sysctl: '/usr/sbin/sysctl', pwpolicy: '/usr/bin/pwpolicy' } as const;

/** Tools a Mac only has when the scenario installs them. */
const OPTIONAL_TOOLS: ReadonlySet<ToolName> = new Set(['authchanger', 'jamf', 'jamfHelper']);

function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('locating the repository root from the macsim harness: no package.json above it');
    dir = parent;
  }
  return dir;
}

/** The script every shim runs: the compiled test/macsim/src/fake/main.ts. */
export function fakeEntryPath(): string {
  const compiled = path.join(repositoryRoot(), 'dist', 'test', 'macsim', 'src', 'fake', 'main.js');
  if (!existsSync(compiled)) throw new Error(`creating a simulated Mac: ${compiled} is missing; run "npm run build" first`);
  return compiled;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The executable placed at a tool's macOS path: exec keeps the pid, so the fake's parent is the caller. */
function shimScript(tool: string, root: string, entry: string): string {
  return `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(entry)} ${shellQuote(tool)} ${shellQuote(root)} "$@"\n`;
}

function mkdirp(dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

export function prepareDirectory(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0) {
      if (!force) throw new Error(`creating a simulated Mac in ${dir}: the directory is not empty (pass force to replace a simulated Mac)`);
      if (!entries.includes('.macsim')) throw new Error(`creating a simulated Mac in ${dir}: refusing to empty a directory that is not a simulated Mac`);
      for (const entry of entries) rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  mkdirp(dir);
}

function writeShims(root: string, tools: BuiltScenario['tools']): void {
  const entry = fakeEntryPath();
  for (const [tool, macPath] of Object.entries(TOOL_PATHS) as Array<[ToolName, string]>) {
    if (OPTIONAL_TOOLS.has(tool)) {
      if (tool === 'authchanger' && !tools.authchanger) continue;
      if ((tool === 'jamf' || tool === 'jamfHelper') && !tools.jamf) continue;
    }
    const file = rootPath(root, macPath);
    mkdirp(path.dirname(file));
    writeFileSync(file, shimScript(tool, root, entry), { mode: 0o755 });
    chmodSync(file, 0o755);
  }
  for (const [tool, macPath] of Object.entries(SIMULATOR_TOOL_PATHS)) {
    const file = rootPath(root, macPath);
    mkdirp(path.dirname(file));
    writeFileSync(file, shimScript(tool, root, entry), { mode: 0o755 });
    chmodSync(file, 0o755);
  }
}

export function materialize(root: string, built: BuiltScenario): void {
  const mac = (macPath: string): string => rootPath(root, macPath);
  for (const dir of [
    LAYOUT.macsimDir,
    LAYOUT.usersDir,
    LAYOUT.groupsDir,
    'Library/Application Support',
    'Library/Logs',
    'Library/LaunchDaemons',
    'Library/Managed Preferences',
    'Library/Preferences',
    'System/Library/Security',
    'Users/Shared',
    'dev',
    'var/db',
    'var/db/receipts',
    'var/log',
    'private/tmp',
  ]) {
    mkdirp(mac(dir));
  }
  for (const record of built.users) writeRecord(root, 'users', record);
  for (const record of built.groups) writeRecord(root, 'groups', record);
  writeState(root, built.state);
  atomicWrite(mac(LAYOUT.authDb), toXmlPlist(built.authDb));
  atomicWrite(mac(LAYOUT.authDefaults), toXmlPlist(built.authorizationDefaults));
  atomicWrite(mac(LAYOUT.loginwindowPrefs), toXmlPlist(built.loginwindowPreferences));
  for (const home of built.homes) {
    mkdirp(mac(home.path));
    mkdirp(mac(`${home.path}/Library/Preferences`), 0o700);
    for (const [name, content] of Object.entries(home.files)) writeFileSync(mac(`${home.path}/${name}`), content, { mode: 0o644 });
  }
  writeFileSync(mac('/dev/console'), '');
  // The system TCC database: readable means the agent has Full Disk Access (SimulatedMac.denyFullDiskAccess turns it off).
  mkdirp(mac('/Library/Application Support/com.apple.TCC'), 0o700);
  writeFileSync(mac('/Library/Application Support/com.apple.TCC/TCC.db'), 'SQLite format 3\0', { mode: 0o600 });
  // Fakes run as any uid (tests run the agent as 65534): the logs must be appendable by everyone.
  for (const log of [LAYOUT.calls, LAYOUT.notices]) {
    writeFileSync(mac(log), '');
    chmodSync(mac(log), 0o666);
  }
  writeShims(root, built.tools);
}
