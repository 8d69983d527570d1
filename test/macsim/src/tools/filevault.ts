// Fake /usr/bin/fdesetup, /usr/sbin/sysadminctl -secureTokenStatus and /usr/sbin/diskutil apfs
// listCryptoUsers, over the FileVault state and the user records (macos-tools.md §5, §6).
import { Unsupported, nslogPrefix, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { firstValue, stringValues } from '../records.js';
import type { CryptoUser } from '../state-schema.js';
import { findRecord, listRecords, primaryName } from '../store.js';

export const fdesetup: ToolHandler = (ctx) => {
  const [verb, ...rest] = ctx.args;
  if (rest.length > 0) throw new Unsupported();
  if (verb === 'status') {
    return reading(() => {
      const fileVault = ctx.state().fileVault;
      ctx.out(`FileVault is ${fileVault.status}.\n${fileVault.statusLines.map((line) => `${line}\n`).join('')}`);
      return 0;
    });
  }
  if (verb === 'isactive') {
    return reading(() => {
      const active = ctx.state().fileVault.status === 'On';
      ctx.out(active ? 'true\n' : 'false\n');
      return active ? 0 : 1;
    });
  }
  if (verb === 'list') return reading(() => listFileVaultUsers(ctx));
  throw new Unsupported();
};

/** `fdesetup list`: `shortname,UUID` for every crypto user that is a local user record (root only). */
function listFileVaultUsers(ctx: FakeContext): number {
  if (!ctx.isRoot) {
    ctx.err('Error: This command must be run as root.\n'); // approximate wording
    return 1;
  }
  const byUuid = new Map<string, string>();
  for (const { record } of listRecords(ctx.root, 'users')) {
    const uuid = firstValue(record, 'generateduid');
    if (uuid !== undefined) byUuid.set(uuid.toUpperCase(), primaryName(record));
  }
  for (const user of ctx.state().fileVault.cryptoUsers) {
    if (user.type !== 'Local Open Directory User') continue;
    const name = byUuid.get(user.uuid.toUpperCase());
    if (name !== undefined) ctx.out(`${name},${user.uuid}\n`);
  }
  return 0;
}

export const sysadminctl: ToolHandler = (ctx) => {
  const [option, user, ...rest] = ctx.args;
  if (option !== '-secureTokenStatus' || user === undefined || rest.length > 0) throw new Unsupported();
  return reading(() => {
    const stored = findRecord(ctx.root, 'users', user);
    if (!stored) {
      ctx.err(`${nslogPrefix('sysadminctl')} Unknown user ${user}\n`);
      return 0; // exit code unconfirmed; sysadminctl is known to exit 0 on most failures
    }
    const hasToken = stringValues(stored.record, 'authentication_authority').some((value) => value.includes(';SecureToken;'));
    const realName = firstValue(stored.record, 'realname') ?? primaryName(stored.record);
    ctx.err(`${nslogPrefix('sysadminctl')} Secure token is ${hasToken ? 'ENABLED' : 'DISABLED'} for user ${realName}\n`);
    return 0;
  });
};

/** The listCryptoUsers tree: the last entry is indented with spaces instead of "|   ". */
export function renderCryptoUsers(volume: string, users: readonly CryptoUser[]): string {
  if (users.length === 0) return `No cryptographic users for ${volume}\n`;
  const lines = [`Cryptographic users for ${volume} (${users.length} found)`, '|'];
  users.forEach((user, index) => {
    const last = index === users.length - 1;
    const bar = last ? '    ' : '|   ';
    lines.push(`+-- ${user.uuid}`, `${bar}Type: ${user.type}`);
    if (user.volumeOwner) lines.push(`${bar}Volume Owner: Yes`);
    if (!last) lines.push('|');
  });
  return lines.map((line) => `${line}\n`).join('');
}

export const diskutil: ToolHandler = (ctx) => {
  const [group, verb, volume, ...rest] = ctx.args;
  if (group !== 'apfs' || (verb !== 'listCryptoUsers' && verb !== 'listUsers') || volume !== '/' || rest.length > 0) {
    throw new Unsupported();
  }
  return reading(() => {
    const fileVault = ctx.state().fileVault;
    ctx.out(renderCryptoUsers(fileVault.volume, fileVault.cryptoUsers));
    return 0;
  });
};
