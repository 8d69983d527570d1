// Local group membership through /usr/sbin/dseditgroup: is a user in a group (admin, staff), add, remove.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, parseToolOutput } from './output.js';
import { runTool, runToolChecked } from './run.js';

/** The answer of a membership check. */
export type Membership = 'member' | 'not-member' | 'no-such-user' | 'no-such-group';

function checkName(kind: string, name: string): string {
  if (name === '' || name.startsWith('-') || /[\n/]/.test(name)) throw new TypeError(`${kind} name: "${name}" is not a name`);
  return name;
}

// Sample (stdout; dseditgroup.c format strings, the "no" line captured):
//   yes kod is a member of admin              exit 0
//   no agent is NOT a member of admin         exit 67 (EX_NOUSER)
// Errors (stderr via CFShow, exit 64): `Unable to find the user record`, `Group not found.`
/** Parse a checkmember answer from stdout. */
export function parseCheckMember(raw: string): 'member' | 'not-member' {
  const line = raw.trim();
  if (/^yes \S+ is a member of .+$/.test(line)) return 'member';
  if (/^no \S+ is NOT a member of .+$/.test(line)) return 'not-member';
  throw new UnexpectedOutputError(`not a "yes … is a member" / "no … is NOT a member" line: ${excerpt(line)}`);
}

/** Whether a user is a member of a local group (`dseditgroup -o checkmember -m <user> <group>`). */
export async function checkMember(user: string, group: string): Promise<Membership> {
  const result = await runTool('dseditgroup', ['-o', 'checkmember', '-m', checkName('user', user), checkName('group', group)], {
    okExitCodes: [67],
  });
  if (result.exitCode === 64 && /Unable to find the user record/.test(result.stderr)) return 'no-such-user';
  if (result.exitCode === 64 && /Group not found/.test(result.stderr)) return 'no-such-group';
  if (result.failed) throw SystemToolError.fromResult(result);
  const answer = parseToolOutput(result, parseCheckMember);
  if ((answer === 'member') !== (result.exitCode === 0)) {
    throw SystemToolError.badOutput(result, `answer "${answer}" disagrees with exit ${result.exitCode}`);
  }
  return answer;
}

/** Add a user to a local group (`dseditgroup -o edit -a <user> -t user <group>`; root, silent). */
export async function addMember(user: string, group: string): Promise<void> {
  await runToolChecked('dseditgroup', ['-o', 'edit', '-a', checkName('user', user), '-t', 'user', checkName('group', group)]);
}

/** Remove a user from a local group (`dseditgroup -o edit -d <user> -t user <group>`). */
export async function removeMember(user: string, group: string): Promise<void> {
  await runToolChecked('dseditgroup', ['-o', 'edit', '-d', checkName('user', user), '-t', 'user', checkName('group', group)]);
}

/** Create a local group with a fixed GID (`dseditgroup -o create -i <gid> -r <real name> <group>`; root). */
export async function createGroup(group: string, gid: number, realName: string): Promise<void> {
  if (!Number.isSafeInteger(gid) || gid < 0) throw new TypeError(`creating group ${group}: ${gid} is not a GID`);
  await runToolChecked('dseditgroup', ['-o', 'create', '-i', String(gid), '-r', realName, checkName('group', group)]);
}
