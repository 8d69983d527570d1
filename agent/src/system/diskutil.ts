// APFS crypto users through /usr/sbin/diskutil: which GeneratedUIDs can unlock the volume. A converted
// account must keep its entry (the UUID is the user's GeneratedUID, which conversion does not change).
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runToolChecked } from './run.js';

/** One cryptographic user of an APFS volume. */
export interface CryptoUser {
  /** The user's GeneratedUID (or a special record's UUID). */
  uuid: string;
  /** As printed, e.g. "Local Open Directory User", "Personal Recovery User", "MDM Bootstrap Token External Key". */
  type: string;
  /** From the `Volume Owner: Yes|No` line (Big Sur and later); absent on older systems. */
  volumeOwner?: boolean;
}

// Sample (`diskutil apfs listCryptoUsers /`, macOS 10.15; UUIDs masked by the source):
//   Cryptographic users for disk1s5 (4 found)
//   |
//   +-- FB756838-XXXX-XXXX-XXXX-40FB5E7D5D3F
//   |   Type: Local Open Directory User
//   |
//   +-- 2457711A-XXXX-XXXX-XXXX-F48A571D5036
//       Type: MDM Bootstrap Token External Key
// Edge cases: the last entry is indented with 4 spaces instead of "|   "; Big Sur+ adds a
// `Volume Owner: Yes|No` line per user; none ⇒ `No cryptographic users for disk1s1`.
/** Parse `diskutil apfs listCryptoUsers`. */
export function parseListCryptoUsers(raw: string): CryptoUser[] {
  const lines = outputLines(raw).filter((line) => line.trim() !== '');
  if (lines.length === 1 && /^No cryptographic users for \S+/.test(lines[0]!)) return [];
  const header = /^Cryptographic users for \S+ \((\d+) found\)$/.exec(lines[0] ?? '');
  if (!header) throw new UnexpectedOutputError(`first line is not "Cryptographic users for <disk> (N found)": ${excerpt(lines[0] ?? '')}`);
  const users: Array<{ uuid: string; type?: string; volumeOwner?: boolean }> = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '|') continue;
    const entry = /^\+-- (\S+)$/.exec(line);
    if (entry) {
      users.push({ uuid: entry[1]! });
      continue;
    }
    const detail = /^(?:\| {3}| {4})([^:]+):\s*(.*)$/.exec(line);
    const user = users[users.length - 1];
    if (!detail || !user) throw new UnexpectedOutputError(`line is not part of a user entry: ${excerpt(line)}`);
    const [, key, value] = detail;
    if (key === 'Type') user.type = value!.trim();
    else if (key === 'Volume Owner') {
      if (value !== 'Yes' && value !== 'No') throw new UnexpectedOutputError(`Volume Owner is neither Yes nor No: ${excerpt(line)}`);
      user.volumeOwner = value === 'Yes';
    }
    // Any other "Key: value" detail line is additive information this model does not carry.
  }
  if (users.length !== Number(header[1])) {
    throw new UnexpectedOutputError(`header says ${header[1]} users but ${users.length} entries follow`);
  }
  return users.map((user) => {
    if (user.type === undefined) throw new UnexpectedOutputError(`user ${user.uuid} has no Type line`);
    const result: CryptoUser = { uuid: user.uuid, type: user.type };
    if (user.volumeOwner !== undefined) result.volumeOwner = user.volumeOwner;
    return result;
  });
}

/** List the crypto users of an APFS volume (default: the boot volume). */
export async function listCryptoUsers(volume = '/'): Promise<CryptoUser[]> {
  if (volume.startsWith('-')) throw new TypeError(`listing crypto users: "${volume}" is not a volume`);
  const result = await runToolChecked('diskutil', ['apfs', 'listCryptoUsers', volume]);
  return parseToolOutput(result, parseListCryptoUsers);
}
