import { randomUUID } from 'node:crypto';
import os from 'node:os';
import * as z from 'zod';
import type { AccountRef } from '../../../../protocol/src/index.js';
import { exitCodeOf, runLockChange, type LockReport } from '../../actions/lock.js';
import { describeSessionOutcome, handleLockedSessions, type SessionOutcome } from '../../actions/lock-session.js';
import { loadConfig } from '../../config/load.js';
import { describeOperation } from '../../plan/operations.js';
import { withAccountLock } from '../account-guard.js';
import type { Command, CommandContext, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { confirmRealRun } from '../confirm.js';
import { EXIT } from '../exit-codes.js';
import { printable } from '../table.js';
import { parseOption, shortNameSchema } from '../validate.js';

const reasonSchema = z
  .string()
  .max(2000, 'is longer than 2000 characters')
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'contains a control character');

const identitySchema = z.string().min(1, 'is empty').max(255, 'is longer than 255 characters').refine((text) => !/[\u0000-\u001f\u007f]/.test(text) && !text.startsWith('-'), 'contains a control character or starts with "-"');

/** Who ran the command: the admin behind sudo when there is one, else the account running it. */
function requester(): string {
  const sudoUser = process.env.SUDO_USER;
  if (sudoUser && shortNameSchema.safeParse(sudoUser).success) return sudoUser;
  try {
    return os.userInfo().username || 'root';
  } catch {
    return 'root';
  }
}

function accountOf(args: ParsedArgs): AccountRef {
  const user = args.values.user;
  const identity = args.values.identity;
  if (typeof user === 'string' && typeof identity === 'string') throw new UsageError('give either --user NAME or --identity ID, not both');
  if (typeof user === 'string') return { by: 'user', user: parseOption(shortNameSchema, 'user', user) };
  if (typeof identity === 'string') return { by: 'identity', identity: parseOption(identitySchema, 'identity', identity) };
  throw new UsageError('--user NAME or --identity ID is required');
}

function describeAccount(account: AccountRef): string {
  return account.by === 'user' ? account.user : `the account linked to ${account.identity}`;
}

function print(context: CommandContext, report: LockReport, session: SessionOutcome | undefined, dryRun: boolean): void {
  const name = report.user ?? '(no account)';
  if (report.result === 'refused') {
    context.stderr.write(`untether ${report.verb}: ${printable(name)}: refused (${report.code}): ${printable(report.message)}; nothing was changed\n`);
    return;
  }
  context.stdout.write(`${printable(name)}: ${printable(report.message)}\n`);
  if (report.operations.length > 0 && (dryRun || report.result !== 'applied')) report.operations.forEach((operation, index) => context.stdout.write(`  ${index + 1}. ${printable(describeOperation(operation))}\n`));
  if (report.note) context.stdout.write(`  note: ${printable(report.note)}\n`);
  if (report.outcome && report.outcome.outcome !== 'committed') for (const problem of report.outcome.problems) context.stdout.write(`  problem: ${printable(problem)}\n`);
  if (session) context.stdout.write(`  session: ${printable(describeSessionOutcome(session))}\n`);
  if (dryRun) context.stdout.write('Dry run: nothing was changed.\n');
}

function lockCommandOf(verb: 'lock' | 'unlock'): Command {
  const locking = verb === 'lock';
  return {
    name: verb,
    summary: locking
      ? 'Disable logins of a local account (offboarding), keeping its password, SecureToken and home.'
      : 'Allow logins of an account Untether locked, exactly as before the lock.',
    usage: `untether ${verb} --user NAME|--identity ID [--reason TEXT] [--dry-run] [--yes] [--json]`,
    details: (locking
      ? [
          'Adds the AuthenticationAuthority value ";DisabledUser;" to the account as one transaction (snapshot,',
          'journal, apply, verify by re-reading, roll back on failure); nothing else in the record changes.',
          'Refused for system accounts, accounts in commandPolicy.protectedAccounts, the last SecureToken holder',
          'and the only administrator who can still log in. Locking an account Untether already locked changes',
          'nothing. If the user is logged in, lock.loggedInUser decides: "leave" keeps the session (the lock',
          'applies at the next login), "logout" shows a notice and ends the session after lock.logoutGraceSeconds.',
          '`untether status` lists locked accounts with who asked and why; `untether unlock` or `untether restore`',
          'undo a lock.',
        ]
      : [
          'Deletes exactly the value Untether\'s lock added; the account is then compared with the snapshot taken',
          'before the lock. An account disabled by something else (pwpolicy -disableuser, an admin, another tool)',
          'is refused: Untether lifts only its own locks. Unlocking an unlocked account changes nothing.',
        ]
    ).join('\n'),
    examples: locking
      ? ['sudo untether lock --user jdoe --reason "left the company" --dry-run', 'sudo untether lock --user jdoe --reason "left the company" --yes', 'sudo untether lock --identity jdoe@example.com --yes']
      : ['sudo untether unlock --user jdoe --reason "rehired" --yes'],
    options: {
      user: { type: 'string', short: 'u', valueName: 'NAME', description: `The local account to ${verb}: short name or alias, in any case when only one account matches.` },
      identity: { type: 'string', valueName: 'ID', description: 'The cloud identity a takeover linked the account to, instead of --user.' },
      reason: { type: 'string', valueName: 'TEXT', description: 'Why (kept with the lock; shown by untether status).' },
      'dry-run': { type: 'boolean', description: 'Print what would change and change nothing.' },
      yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
      json: { type: 'boolean', description: 'Print the result as JSON.' },
    },
    async run(context, args) {
      const account = accountOf(args);
      const reason = typeof args.values.reason === 'string' ? parseOption(reasonSchema, 'reason', args.values.reason) : '';
      const dryRun = args.values['dry-run'] === true;
      const loaded = await loadConfig();
      if (!dryRun && !(await confirmRealRun(context, args, `${locking ? 'Lock' : 'Unlock'} ${describeAccount(account)}?`))) return EXIT.REFUSED;
      const report = await withAccountLock(context, verb, dryRun, () =>
        runLockChange({
          verb,
          account,
          lockId: randomUUID(),
          requestedBy: requester(),
          reason,
          source: 'cli',
          dryRun,
          protectedAccounts: loaded.config.commandPolicy.protectedAccounts,
          now: () => context.now(),
        }),
      );
      // After the action lock is released: the grace before a logout may be long.
      const session = locking && report.result === 'applied' && report.user !== null ? await handleLockedSessions({ user: report.user, uid: report.uid, names: report.names }, loaded.config.lock, loaded.config.notices) : undefined;
      if (args.values.json === true) context.stdout.write(`${JSON.stringify({ dryRun, ...report, ...(session ? { session } : {}) }, null, 2)}\n`);
      else print(context, report, session, dryRun);
      const code = exitCodeOf(report);
      if (code === EXIT.OK && session?.kind === 'still-logged-in') return EXIT.PARTIAL;
      return code;
    },
  };
}

/** `untether lock`: disable logins of one account, reversibly. */
export const lockCommand = lockCommandOf('lock');
/** `untether unlock`: lift Untether's lock of one account. */
export const unlockCommand = lockCommandOf('unlock');
