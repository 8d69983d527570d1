import { demobilize, type AccountResult } from '../../actions/demobilize.js';
import { createLogger } from '../../log/logger.js';
import { describeConfigProblem, loadConfig } from '../../config/load.js';
import { withAccountLock } from '../account-guard.js';
import type { Command } from '../command.js';
import { confirmRealRun } from '../confirm.js';
import { UsageError } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderAccount, renderSummary } from '../render-plan.js';
import { parseOption, shortNameSchema } from '../validate.js';
import * as z from 'zod';

const log = createLogger({ component: 'demobilize' });

/** Exit code for a run: named accounts must all end converted; with --all, deferred accounts are expected. */
function exitCodeFor(accounts: readonly AccountResult[], named: boolean, dryRun: boolean): ExitCode {
  if (dryRun) return accounts.some((account) => account.plan.action === 'refuse') ? EXIT.REFUSED : EXIT.OK;
  const done = accounts.filter((account) => account.outcome?.outcome === 'committed').length;
  const failed = accounts.filter((account) => account.outcome && account.outcome.outcome !== 'committed').length;
  const refused = accounts.filter((account) => account.plan.action === 'refuse').length;
  const skipped = accounts.filter((account) => account.plan.action === 'skip' && !account.plan.gates.some((gate) => gate.gate === 'not-mobile')).length;
  const notDone = failed + refused + (named ? skipped : 0);
  if (notDone === 0) return EXIT.OK;
  if (done > 0) return EXIT.PARTIAL;
  return failed > 0 ? EXIT.FAILED : EXIT.REFUSED;
}

/** `untether demobilize`: convert AD mobile accounts into local accounts, transactionally. */
export const demobilizeCommand: Command = {
  name: 'demobilize',
  summary: 'Convert AD mobile accounts to local accounts, keeping password, home, SecureToken and FileVault.',
  usage: 'untether demobilize (--user NAME ... | --all) [--dry-run] [--yes] [--json]',
  details: [
    'For each account: safety gates (logged in, FileVault converting, sole SecureToken, user-level profiles,',
    'Full Disk Access), then a root-only snapshot and a journal entry, then the changes: the cached AD',
    'authorities and attributes removed (the password hash and SecureToken are kept), Password set to',
    '********, ~/.account removed, the primary group made resolvable, staff and admin membership kept.',
    'opendirectoryd is restarted once for the batch and every account is verified by re-reading it; any',
    'failure rolls that account back to its snapshot. Running it again on a converted account does nothing.',
    'Without a terminal (Jamf, launchd) a real run needs --yes.',
  ].join('\n'),
  examples: [
    'sudo untether demobilize --all --dry-run',
    'sudo untether demobilize --user jdoe',
    'sudo untether demobilize --all --yes --json',
  ],
  options: {
    user: { type: 'string', multiple: true, short: 'u', valueName: 'NAME', description: 'A mobile account to convert (repeat for several).' },
    all: { type: 'boolean', description: 'Every mobile account that passes the safety gates.' },
    'dry-run': { type: 'boolean', description: 'Print the plan for each account and change nothing.' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
    json: { type: 'boolean', description: 'Print the plans and outcomes as JSON.' },
  },
  async run(context, args) {
    const names = (args.values.user as string[] | undefined) ?? [];
    const all = args.values.all === true;
    if (all === (names.length > 0)) throw new UsageError('give either --user NAME (one or more) or --all');
    const users = all ? ('all' as const) : names.map((name) => parseOption(shortNameSchema, 'user', name));
    const unique = all ? users : parseOption(z.array(z.string()).refine((list) => new Set(list).size === list.length, 'names an account twice'), 'user', users);
    const dryRun = args.values['dry-run'] === true;
    const json = args.values.json === true;
    const target = all ? 'every mobile account that passes the safety gates' : names.join(', ');
    if (!dryRun && !(await confirmRealRun(context, args, `Convert ${target} to local accounts?`))) return EXIT.REFUSED;
    // The configuration profile's policy applies to admins' runs too, so the CLI and the daemon agree.
    const { config, problems } = await loadConfig();
    for (const problem of problems.filter((candidate) => candidate.key.startsWith('demobilize'))) context.stderr.write(`warning: ${describeConfigProblem(problem)}\n`);
    const report = await withAccountLock(context, 'demobilize', dryRun, () =>
      demobilize({ users: unique, dryRun, policy: config.demobilize.policy, now: () => context.now(), onEvent: (event) => log.info('transaction_event', { ...event }) }),
    );
    if (json) {
      context.stdout.write(`${JSON.stringify({ dryRun, warnings: report.warnings, accounts: report.accounts }, null, 2)}\n`);
    } else {
      for (const warning of report.warnings) context.stderr.write(`warning: ${warning}\n`);
      for (const account of report.accounts) context.stdout.write(renderAccount(account, dryRun));
      context.stdout.write(renderSummary(report.accounts, dryRun));
    }
    return exitCodeFor(report.accounts, !all, dryRun);
  },
};
