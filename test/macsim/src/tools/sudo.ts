// Fake /usr/bin/sudo, only as root uses it to drop privileges: `sudo [-n] -u <name|#uid> [--] <command> args...`
// runs a fake tool of this Mac (by its macOS path) as that user's uid and primary gid, with sudo's reset
// environment (the launchctl asuser session marker survives, as the bootstrap namespace does on macOS).
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { SESSION_UID_ENV, Unsupported, type FakeContext, type Invocation, type ToolHandler } from '../fake/context.js';
import { firstValue } from '../records.js';
import { findRecord, listRecords, primaryName, rootPath } from '../store.js';

/** The user a -u value names: "#501" by uid, else by short name; undefined when no record matches. */
function targetUser(root: string, spec: string): { name: string; uid: number; gid: number } | undefined {
  const stored = spec.startsWith('#')
    ? listRecords(root, 'users').find((candidate) => firstValue(candidate.record, 'uid') === spec.slice(1))
    : findRecord(root, 'users', spec);
  if (!stored) return undefined;
  return { name: primaryName(stored.record), uid: Number(firstValue(stored.record, 'uid')), gid: Number(firstValue(stored.record, 'gid') ?? '20') };
}

function runAs(ctx: FakeContext, spec: string, command: readonly string[]): number {
  if (!ctx.isRoot) throw new Unsupported('sudo as non-root (would ask for a password)');
  const user = targetUser(ctx.root, spec);
  if (user === undefined) {
    ctx.err(`sudo: unknown user ${spec}\nsudo: error initializing audit plugin sudoers_audit\n`);
    return 1;
  }
  const [macPath, ...args] = command;
  if (macPath === undefined || !macPath.startsWith('/')) throw new Unsupported('sudo needs an absolute command path');
  const file = rootPath(ctx.root, macPath);
  try {
    accessSync(file, fsConstants.X_OK);
  } catch {
    ctx.err(`sudo: ${macPath}: command not found\n`);
    return 1;
  }
  const env: Record<string, string> = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', USER: user.name, LOGNAME: user.name, HOME: `/Users/${user.name}` };
  const session = process.env[SESSION_UID_ENV];
  if (session !== undefined) env[SESSION_UID_ENV] = session;
  const child = spawnSync(file, args, { stdio: 'inherit', env, uid: user.uid, gid: user.gid });
  if (child.error) throw child.error;
  return child.status ?? 1;
}

export const sudo: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  let spec: string | undefined;
  while (args.length > 0 && args[0]!.startsWith('-')) {
    const flag = args.shift()!;
    if (flag === '--') break;
    if (flag === '-n') continue;
    if (flag === '-u' && args.length > 0) spec = args.shift();
    else throw new Unsupported(`sudo flag ${flag}`);
  }
  if (spec === undefined || args.length === 0) throw new Unsupported('sudo without -u USER and a command');
  // Not counted as a write: what the command does is recorded by the command's own fake.
  const invocation: Invocation = { isWrite: false, run: () => runAs(ctx, spec, args) };
  return invocation;
};
