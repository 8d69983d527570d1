// The daemon's last check before a server command touches accounts: accounts the configuration protects, and the
// account holding the Mac's last SecureToken (a failed change to it could leave no one able to unlock FileVault or
// grant tokens), are never touched by a server command. The link's pure policy already refused commands naming a
// configured account; this adds the SecureToken fact, read under the action lock, and the exclusions for "all".
import type { Command, ErrorCode } from '../../../protocol/src/index.js';
import { firstStandard } from '../inventory/classify.js';
import { isProtected } from '../link/policy.js';
import type { DirectoryRecord } from '../system/dscl.js';

/** Crypto user type of an account with a SecureToken on an APFS volume. */
const OPEN_DIRECTORY_CRYPTO_USER = 'Local Open Directory User';

/** Accounts a command names: user names, every account ('all'), or none (commands that touch no account). */
export function accountsNamed(command: Command): string[] | 'all' {
  switch (command.type) {
    case 'demobilize':
    case 'restore':
      return command.params.scope === 'all' ? 'all' : [command.params.user];
    case 'takeover':
      return command.params.mappings.map((mapping) => mapping.localUser);
    case 'lock-account':
    case 'unlock-account':
      // An identity is resolved to its local account by the lock action, which guards again by name.
      return command.params.account.by === 'user' ? [command.params.account.user] : [];
    case 'rescan':
    case 'unbind':
    case 'loginwindow':
      return [];
    default: {
      const unreachable: never = command;
      throw new Error(`naming accounts: unknown command ${JSON.stringify(unreachable).slice(0, 50)}`);
    }
  }
}

/**
 * The short name of the only account with a SecureToken, or null when there are several, none, or the lists could
 * not be read (then no account is protected automatically; the conversion's own gates still keep the token).
 */
export function lastSecureTokenHolder(users: readonly DirectoryRecord[], cryptoUsers: ReadonlyArray<{ uuid: string; type: string }> | null): string | null {
  if (cryptoUsers === null) return null;
  const holders = new Set(cryptoUsers.filter((user) => user.type === OPEN_DIRECTORY_CRYPTO_USER).map((user) => user.uuid.toUpperCase()));
  if (holders.size !== 1) return null;
  const record = users.find((user) => holders.has(firstStandard(user, 'GeneratedUID')?.toUpperCase() ?? ''));
  return record?.recordName ?? null;
}

/** What the daemon does with a command: refuse it, or run it with these accounts left out of "all". */
export type GuardDecision = { refuse: true; code: ErrorCode; reason: string } | { refuse: false; exclude: string[] };

/** Decide from the configured protected accounts and the last SecureToken holder (null when there is none). */
export function guardCommand(command: Command, protectedAccounts: readonly string[], tokenHolder: string | null): GuardDecision {
  const named = accountsNamed(command);
  const exclude = [...protectedAccounts, ...(tokenHolder === null ? [] : [tokenHolder])];
  if (named === 'all') return { refuse: false, exclude };
  for (const user of named) {
    if (isProtected(user, protectedAccounts)) return { refuse: true, code: 'E_ACCOUNT_PROTECTED', reason: `account ${user} is protected by the local configuration` };
    if (tokenHolder !== null && isProtected(user, [tokenHolder])) {
      return { refuse: true, code: 'E_ACCOUNT_PROTECTED', reason: `account ${user} holds the last SecureToken on this Mac; server commands never touch it` };
    }
  }
  return { refuse: false, exclude };
}
