// Checks of a built payload tree, run by the build before it packs the tree and by the tests: every listed item present with its kind and mode and nothing
// else, the launchd plist's paths all installed, the installer scripts executable and parseable, no secret.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parsePlist } from 'plist';
import { isSecretKey } from '../../agent/src/log/redact.js';
import { INSTALLER_SCRIPTS, INSTALL_PATHS, LAUNCHD_LABEL, inPayload, payloadItems } from './layout.js';

/** One thing wrong with the payload, by Mac path. */
export interface PayloadProblem {
  path: string;
  problem: string;
}

/** The Mac paths a launchd job names: those that must be installed, and log files launchd creates in an installed directory. */
export function launchdPaths(job: Record<string, unknown>): { installed: string[]; createdByLaunchd: string[] } {
  const installed: string[] = [];
  const createdByLaunchd: string[] = [];
  const args = Array.isArray(job.ProgramArguments) ? job.ProgramArguments : [];
  if (typeof job.Program === 'string') installed.push(job.Program);
  // The program and every absolute path among its arguments (the runtime, then the bundle it runs).
  for (const arg of args) if (typeof arg === 'string' && arg.startsWith('/')) installed.push(arg);
  if (typeof job.WorkingDirectory === 'string') installed.push(job.WorkingDirectory);
  for (const key of ['StandardOutPath', 'StandardErrorPath']) {
    if (typeof job[key] === 'string') createdByLaunchd.push(job[key]);
  }
  return { installed, createdByLaunchd };
}

/** Files and directories of a tree, as Mac paths ("/Library/..."), parents first. */
function listTree(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, prefix)).sort()) {
    const macPath = `${prefix}/${name}`;
    out.push(macPath);
    if (lstatSync(path.join(root, macPath)).isDirectory()) out.push(...listTree(root, macPath));
  }
  return out;
}

/** Text that must never ship: private keys, credentials in URLs, secret-named plist keys with values. */
const SECRET_SHAPES: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'`]+:[^@\s/"'`]+@/i, 'a URL with a password'],
];

function secretsIn(text: string): string[] {
  const found = SECRET_SHAPES.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
  for (const match of text.matchAll(/<key>([^<]+)<\/key>\s*<string>([^<]*)<\/string>/g)) {
    if (isSecretKey(match[1]!) && match[2]!.trim() !== '') found.push(`a value for the secret key "${match[1]}"`);
  }
  return found;
}

/** Check the payload tree at `payloadRoot` and the scripts directory; returns every problem found. */
export function checkPayload(payloadRoot: string, scriptsDir: string): PayloadProblem[] {
  const problems: PayloadProblem[] = [];
  const items = payloadItems();
  const expected = new Map(items.map((item) => [item.macPath, item]));
  // Parents of listed items (e.g. /Library, /private/etc) are created by the layout but owned by macOS.
  const parents = new Set(items.flatMap((item) => ancestors(item.macPath)));

  for (const macPath of listTree(payloadRoot)) {
    const stats = lstatSync(inPayload(payloadRoot, macPath));
    const item = expected.get(macPath);
    // The runtime is the Node.js project's signed binary, shipped unmodified: not ours to scan.
    if (stats.isFile() && macPath !== INSTALL_PATHS.runtime && stats.size < 64 * 1024 * 1024) {
      const text = readFileSync(inPayload(payloadRoot, macPath), 'latin1');
      for (const what of secretsIn(text)) problems.push({ path: macPath, problem: `contains ${what}` });
    }
    if (item === undefined) {
      if (!(parents.has(macPath) && stats.isDirectory())) problems.push({ path: macPath, problem: 'not in the payload layout (scripts/pkg/layout.ts)' });
      continue;
    }
    if (stats.isSymbolicLink()) problems.push({ path: macPath, problem: 'is a symbolic link' });
    else if (item.kind === 'file' && !stats.isFile()) problems.push({ path: macPath, problem: 'should be a file' });
    else if (item.kind === 'directory' && !stats.isDirectory()) problems.push({ path: macPath, problem: 'should be a directory' });
    else if ((stats.mode & 0o7777) !== item.mode) {
      problems.push({ path: macPath, problem: `mode ${(stats.mode & 0o7777).toString(8)}, expected ${item.mode.toString(8)}` });
    }
  }
  for (const item of items) {
    try {
      lstatSync(inPayload(payloadRoot, item.macPath));
    } catch {
      problems.push({ path: item.macPath, problem: 'missing' });
    }
  }

  problems.push(...checkLaunchdPlist(payloadRoot));
  problems.push(...checkScripts(scriptsDir));
  return problems;
}

function ancestors(macPath: string): string[] {
  const out: string[] = [];
  for (let dir = path.posix.dirname(macPath); dir !== '/'; dir = path.posix.dirname(dir)) out.push(dir);
  return out;
}

function checkLaunchdPlist(payloadRoot: string): PayloadProblem[] {
  const problems: PayloadProblem[] = [];
  let job: Record<string, unknown>;
  try {
    job = parsePlist(readFileSync(inPayload(payloadRoot, INSTALL_PATHS.launchDaemon), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return [{ path: INSTALL_PATHS.launchDaemon, problem: `unreadable: ${error instanceof Error ? error.message : String(error)}` }];
  }
  if (job.Label !== LAUNCHD_LABEL) problems.push({ path: INSTALL_PATHS.launchDaemon, problem: `Label is ${String(job.Label)}, expected ${LAUNCHD_LABEL}` });
  const installed = new Set(payloadItems().map((item) => item.macPath));
  const named = launchdPaths(job);
  for (const macPath of named.installed) {
    if (!installed.has(macPath)) problems.push({ path: INSTALL_PATHS.launchDaemon, problem: `names ${macPath}, which the payload does not install` });
  }
  for (const macPath of named.createdByLaunchd) {
    if (!installed.has(path.posix.dirname(macPath))) {
      problems.push({ path: INSTALL_PATHS.launchDaemon, problem: `names ${macPath}, whose directory the payload does not install` });
    }
  }
  return problems;
}

function checkScripts(scriptsDir: string): PayloadProblem[] {
  const problems: PayloadProblem[] = [];
  const names = readdirSync(scriptsDir).sort();
  for (const name of names) {
    if (!(INSTALLER_SCRIPTS as readonly string[]).includes(name)) problems.push({ path: `scripts/${name}`, problem: 'not an installer script the layout lists' });
  }
  for (const name of INSTALLER_SCRIPTS) {
    const file = path.join(scriptsDir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      problems.push({ path: `scripts/${name}`, problem: 'missing' });
      continue;
    }
    if ((lstatSync(file).mode & 0o111) !== 0o111) problems.push({ path: `scripts/${name}`, problem: 'not executable' });
    if (!text.startsWith('#!/bin/sh\n')) problems.push({ path: `scripts/${name}`, problem: 'does not start with #!/bin/sh' });
    try {
      execFileSync('/bin/sh', ['-n', file], { stdio: 'pipe' });
    } catch (error) {
      problems.push({ path: `scripts/${name}`, problem: `sh -n: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` });
    }
    for (const what of secretsIn(text)) problems.push({ path: `scripts/${name}`, problem: `contains ${what}` });
  }
  return problems;
}
