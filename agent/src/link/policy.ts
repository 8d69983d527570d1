// Which server commands this Mac runs: a pure decision from the command, the local policy (from the configuration
// profile), the time and the ids already handled. Every destructive type is off unless the profile turns it on.
import { COMMAND_TYPES, MAX_COMMAND_VALIDITY_MS, type Command, type CommandType, type ErrorCode } from '../../../protocol/src/index.js';
import type { LoadedConfig } from '../config/load.js';

/** The local rules for server commands. */
export interface CommandPolicy {
  /** Command types this Mac accepts. */
  allowed: Record<CommandType, boolean>;
  /** Login window presets defined locally; a loginwindow command may only name one of these. */
  loginWindowPresets: readonly string[];
  /** Accounts no command may touch (e.g. the local admin used for support). */
  protectedUsers: readonly string[];
  /** Tolerated clock difference when checking issuedAt. */
  maxClockSkewMs: number;
}

/** Only the read-only rescan is on by default. */
export const DEFAULT_COMMAND_POLICY: CommandPolicy = {
  allowed: Object.fromEntries(Object.entries(COMMAND_TYPES).map(([type, meta]) => [type, !meta.destructive])) as Record<CommandType, boolean>,
  loginWindowPresets: [],
  protectedUsers: [],
  maxClockSkewMs: 5 * 60_000,
};

/** True when `user` is in `protectedUsers`; short names match without case, like macOS logins. */
export function isProtected(user: string, protectedUsers: readonly string[]): boolean {
  const wanted = user.toLowerCase();
  return protectedUsers.some((name) => name.toLowerCase() === wanted);
}

/** The decision about one command. */
export type CommandDecision = { accept: true } | { accept: false; code: ErrorCode; reason: string };

function reject(code: ErrorCode, reason: string): CommandDecision {
  return { accept: false, code, reason };
}

/** Decide whether to run `command`. `handledIds` holds ids completed or running on this Mac. */
export function decideCommand(command: Command, policy: CommandPolicy, now: Date, handledIds: ReadonlySet<string>): CommandDecision {
  if (handledIds.has(command.id)) return reject('E_COMMAND_REPEATED', 'command id already handled');
  const issuedAt = Date.parse(command.issuedAt);
  const validUntil = Date.parse(command.validUntil);
  if (now.getTime() >= validUntil) return reject('E_COMMAND_EXPIRED', `valid until ${command.validUntil}`);
  if (issuedAt - policy.maxClockSkewMs > now.getTime()) return reject('E_COMMAND_INVALID', 'issued in the future');
  if (validUntil - issuedAt > MAX_COMMAND_VALIDITY_MS || validUntil <= issuedAt) return reject('E_COMMAND_INVALID', 'validity window out of bounds');
  if (policy.allowed[command.type] !== true) return reject('E_COMMAND_NOT_ALLOWED', `${command.type} is not allowed by the local configuration`);
  switch (command.type) {
    case 'rescan':
    case 'unbind':
      return { accept: true };
    case 'demobilize':
    case 'restore':
      if (command.params.scope === 'user' && isProtected(command.params.user, policy.protectedUsers)) {
        return reject('E_ACCOUNT_PROTECTED', `account ${command.params.user} is protected by the local configuration`);
      }
      return { accept: true };
    case 'loginwindow':
      return policy.loginWindowPresets.includes(command.params.preset)
        ? { accept: true }
        : reject('E_PRESET_NOT_ALLOWED', `preset ${command.params.preset} is not in the local allowedLoginWindowPresets`);
    case 'lock-account':
    case 'unlock-account': {
      const account = command.params.account;
      return account.by === 'user' && isProtected(account.user, policy.protectedUsers)
        ? reject('E_ACCOUNT_PROTECTED', `account ${account.user} is protected by the local configuration`)
        : { accept: true };
    }
    case 'takeover': {
      const users = command.params.mappings.map((mapping) => mapping.localUser);
      if (new Set(users).size !== users.length) return reject('E_COMMAND_INVALID', 'a local user is mapped twice');
      const protectedUser = users.find((user) => isProtected(user, policy.protectedUsers));
      return protectedUser === undefined ? { accept: true } : reject('E_ACCOUNT_PROTECTED', `account ${protectedUser} is protected by the local configuration`);
    }
    default: {
      const unreachable: never = command;
      return reject('E_COMMAND_INVALID', `unknown command ${JSON.stringify(unreachable).slice(0, 50)}`);
    }
  }
}

/**
 * The link's command policy from the configuration. While "commandPolicy" is invalid its protections are unknown,
 * so every destructive command is refused (only the read-only ones stay allowed) until the profile is fixed.
 */
export function commandPolicyOf(loaded: LoadedConfig): CommandPolicy {
  const policyUnreadable = loaded.problems.some((problem) => problem.key === 'commandPolicy' || problem.key.startsWith('commandPolicy.'));
  return {
    ...DEFAULT_COMMAND_POLICY,
    allowed: policyUnreadable ? { ...DEFAULT_COMMAND_POLICY.allowed } : { ...loaded.config.allowedCommands },
    loginWindowPresets: [...loaded.config.commandPolicy.allowedLoginWindowPresets],
    protectedUsers: [...loaded.config.commandPolicy.protectedAccounts],
  };
}
