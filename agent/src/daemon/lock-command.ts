// The server's lock-account and unlock-account commands: resolve a cloud identity to its local account, guard
// again by that name (protected accounts, the last SecureToken holder), run the lock or unlock, and say what
// happened in the command result. The logged-in user's session is handled afterwards, outside the action lock.
import type { Command } from '../../../protocol/src/index.js';
import { runLockChange, resolveAccount, type LockReport } from '../actions/lock.js';
import { describeSessionOutcome, handleLockedSessions } from '../actions/lock-session.js';
import type { AgentConfig } from '../config/schema.js';
import type { HandlerOutcome } from '../link/link.js';
import type { CryptoUser } from '../system/diskutil.js';
import type { Directory } from '../txn/account-state.js';
import { guardCommand, lastSecureTokenHolder } from './command-guard.js';

type LockCommand = Extract<Command, { type: 'lock-account' | 'unlock-account' }>;

export interface LockCommandStep {
  outcome: HandlerOutcome;
  /** Run after the action lock is released (the logout grace); returns the final outcome. */
  afterwards?: (outcome: HandlerOutcome) => Promise<HandlerOutcome>;
}

function outcomeOf(report: LockReport, command: LockCommand): HandlerOutcome {
  const detail = { user: report.user ?? '', result: report.result, lockId: command.params.lockId };
  const message = `${report.user ? `${report.user}: ` : ''}${report.message}${report.note ? ` (${report.note})` : ''}`.slice(0, 2000);
  switch (report.result) {
    case 'refused':
      return { outcome: 'rejected', code: report.code, message, detail };
    case 'rolled-back':
    case 'failed':
      return { outcome: 'failed', code: report.code, message: `${message}${report.outcome && report.outcome.outcome !== 'committed' ? `: ${report.outcome.problems.join('; ')}` : ''}`.slice(0, 2000), detail };
    default:
      return { outcome: 'succeeded', message, detail };
  }
}

/** Run one lock or unlock command; the caller holds the action lock and read `facts` under it. */
export async function runLockCommand(
  command: LockCommand,
  config: AgentConfig,
  facts: { directory: Directory; cryptoUsers: CryptoUser[] | null },
  now: () => Date,
): Promise<LockCommandStep> {
  let account = command.params.account;
  if (account.by === 'identity') {
    const resolved = resolveAccount(account, facts.directory.users);
    if (!('recordName' in resolved)) return { outcome: { outcome: 'rejected', code: resolved.code, message: resolved.reason } };
    account = { by: 'user', user: resolved.recordName };
    // The link policy and the first guard saw only an identity: guard again by the account's name.
    const tokenHolder = lastSecureTokenHolder(facts.directory.users, facts.cryptoUsers);
    const guard = guardCommand({ ...command, params: { ...command.params, account } }, config.commandPolicy.protectedAccounts, tokenHolder);
    if (guard.refuse) return { outcome: { outcome: 'rejected', code: guard.code, message: guard.reason } };
  }
  const verb = command.type === 'lock-account' ? 'lock' : 'unlock';
  const report = await runLockChange({
    verb,
    account,
    lockId: command.params.lockId,
    requestedBy: command.params.requestedBy,
    reason: command.params.reason,
    source: 'server',
    dryRun: false,
    protectedAccounts: config.commandPolicy.protectedAccounts,
    now,
    facts,
  });
  const outcome = outcomeOf(report, command);
  if (verb !== 'lock' || report.result !== 'applied' || report.user === null) return { outcome };
  const locked = { user: report.user, uid: report.uid, names: report.names };
  return {
    outcome,
    afterwards: async (first) => {
      const session = await handleLockedSessions(locked, config.lock, config.notices);
      const message = `${first.message ?? ''}; ${describeSessionOutcome(session)}`.slice(0, 2000);
      const detail = { ...first.detail, session: session.kind };
      // The lock holds either way; a session that would not end is reported, not rolled back.
      if (session.kind === 'still-logged-in') return { ...first, code: 'E_LOGOUT_FAILED', message, detail };
      return { ...first, message, detail };
    },
  };
}
