// User and group ids through /usr/bin/id: what the system (opendirectoryd, including cached AD data)
// resolves for a user right now — used to verify a converted account still resolves.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runTool } from './run.js';

/** One group in `id` output; name is undefined when the gid does not resolve (printed as a bare number). */
export interface IdGroup {
  gid: number;
  name: string | undefined;
}

/** A parsed `id <user>` line. */
export interface IdEntry {
  uid: number;
  userName: string | undefined;
  gid: number;
  groupName: string | undefined;
  groups: IdGroup[];
}

function idPart(text: string): { id: number; name: string | undefined } {
  const match = /^(\d+)(?:\((.*)\))?$/.exec(text);
  if (!match) throw new UnexpectedOutputError(`not "<number>(<name>)": ${excerpt(text)}`);
  return { id: Number(match[1]), name: match[2] };
}

// Sample (`id`, any macOS):
//   uid=501(kod) gid=20(staff) groups=20(staff),12(everyone),61(localaccounts),80(admin),…,400(com.apple.access_remote_ae)
// Edge cases: an AD group name may hold spaces ("1522360086(CORP\domain users)"); a gid that no longer
// resolves (AD primary group after unbind) prints as a bare number without parentheses.
/** Parse one `id` line. */
export function parseId(raw: string): IdEntry {
  const lines = outputLines(raw).filter((line) => line.trim() !== '');
  const match = /^uid=(\S+) gid=(\S+)(?: groups=(.*))?$/.exec(lines[0] ?? '');
  if (lines.length !== 1 || !match) throw new UnexpectedOutputError(`expected one "uid=… gid=… groups=…" line, got ${excerpt(raw)}`);
  const user = idPart(match[1]!);
  const group = idPart(match[2]!);
  const groups: IdGroup[] = [];
  const list = match[3] ?? '';
  // Entries are "<gid>" or "<gid>(<name>)" separated by commas; a name may hold spaces but not ")".
  const entry = /(\d+)(?:\(([^)]*)\))?(,|$)/y;
  while (entry.lastIndex < list.length) {
    const start = entry.lastIndex;
    const found = entry.exec(list);
    if (!found) throw new UnexpectedOutputError(`groups list is malformed at ${excerpt(list.slice(start, start + 40))}`);
    groups.push({ gid: Number(found[1]), name: found[2] });
  }
  return { uid: user.id, userName: user.name, gid: group.id, groupName: group.name, groups };
}

function checkUser(name: string): string {
  if (name === '' || name.startsWith('-') || /\s/.test(name)) throw new TypeError(`id: "${name}" is not a user name`);
  return name;
}

// Sample: `id -u jdoe` → `1104562915`; unknown user → stderr `id: jdoe: no such user`, exit 1.
/** Look up a user with `id <name>`; undefined when there is no such user. */
export async function idOf(name: string): Promise<IdEntry | undefined> {
  const result = await runTool('id', [checkUser(name)]);
  if (result.failed) {
    if (result.exitCode === 1 && /no such user/.test(result.stderr)) return undefined;
    throw SystemToolError.fromResult(result);
  }
  return parseToolOutput(result, parseId);
}

/** A user's uid with `id -u <name>`; undefined when there is no such user. */
export async function uidOf(name: string): Promise<number | undefined> {
  const result = await runTool('id', ['-u', checkUser(name)]);
  if (result.failed) {
    if (result.exitCode === 1 && /no such user/.test(result.stderr)) return undefined;
    throw SystemToolError.fromResult(result);
  }
  return parseToolOutput(result, (raw) => {
    const text = raw.trim();
    if (!/^\d+$/.test(text)) throw new UnexpectedOutputError(`uid is not a number: ${excerpt(text)}`);
    return Number(text);
  });
}
