// What every command that changes accounts does first: be root, hold the one action lock (shared with
// the daemon), and finish or roll back whatever an interrupted run left in the journal.
import { UntetherError } from '../errors.js';
import { isRunningAsRoot } from '../system/privileges.js';
import { openEntries } from '../txn/journal.js';
import { runExclusive } from '../txn/exclusive.js';
import type { CommandContext } from './command.js';
import { EXIT } from './exit-codes.js';

/** Refuse plainly when a writing command is not run as root. */
export function requireRoot(command: string): void {
  if (!isRunningAsRoot()) {
    throw new UntetherError('E_NOT_ROOT', `${command} changes the Mac and must run as root (sudo untether ${command} ...); nothing was changed`, { exitCode: EXIT.NOT_ROOT });
  }
}

/**
 * Run `work` under the action lock after recovering the journal. A dry run takes no lock and recovers
 * nothing (it must not write); it only warns when an interrupted change is waiting.
 */
export async function withAccountLock<T>(context: CommandContext, command: string, dryRun: boolean, work: () => Promise<T>): Promise<T> {
  if (dryRun) {
    const pending = await openEntries().catch(() => ({ entries: [], unreadable: [] }));
    if (pending.entries.length > 0) {
      context.stderr.write(`warning: ${pending.entries.length} interrupted change(s) will be finished or rolled back by the next real run (${pending.entries.map((entry) => entry.user).join(', ')})\n`);
    }
    return work();
  }
  requireRoot(command);
  const result = await runExclusive(command, () => context.now(), work, (recovery) => {
    for (const outcome of recovery.outcomes) {
      const detail = outcome.outcome === 'failed' ? `: ${outcome.problems.join('; ')}` : '';
      context.stderr.write(`recovered an interrupted change of ${outcome.user}: ${outcome.outcome}${detail}\n`);
    }
    for (const problem of recovery.unreadable) context.stderr.write(`warning: unreadable journal entry ${problem}\n`);
  });
  if (!result.ran) {
    const who = result.owner ? `untether ${result.owner.command} (pid ${result.owner.pid}, since ${result.owner.since})` : 'another untether process';
    throw new UntetherError('E_BUSY', `${who} is changing this Mac; try again when it finishes`, { exitCode: EXIT.BUSY });
  }
  return result.value;
}
