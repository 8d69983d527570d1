import { restoreAccount } from '../../actions/restore.js';
import { describeOperation } from '../../plan/operations.js';
import { withAccountLock } from '../account-guard.js';
import type { Command } from '../command.js';
import { confirmRealRun } from '../confirm.js';
import { UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { printable } from '../table.js';
import { parseOption, shortNameSchema } from '../validate.js';

/** `untether restore --user NAME`: undo Untether's last change to an account, from its snapshot. */
export const restoreCommand: Command = {
  name: 'restore',
  summary: "Put an account back exactly as it was before Untether's last change to it.",
  usage: 'untether restore --user NAME [--dry-run] [--yes] [--json]',
  details: [
    'Uses the newest snapshot taken before a demobilization or takeover of the account. The restore is a',
    'transaction of its own (snapshot, apply, verify, roll back on failure). The password hash is never',
    'rewritten: if it changed since the snapshot, restore says so (the user then needs a password reset).',
    'Note: a restored mobile account only works while the Mac is still bound to AD.',
  ].join('\n'),
  examples: ['sudo untether restore --user jdoe --dry-run', 'sudo untether restore --user jdoe --yes'],
  options: {
    user: { type: 'string', short: 'u', valueName: 'NAME', description: 'The account to restore from its latest snapshot.' },
    'dry-run': { type: 'boolean', description: 'Print what would be put back and change nothing.' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
    json: { type: 'boolean', description: 'Print the result as JSON.' },
  },
  async run(context, args) {
    if (typeof args.values.user !== 'string') throw new UsageError('--user NAME is required');
    const user = parseOption(shortNameSchema, 'user', args.values.user);
    const dryRun = args.values['dry-run'] === true;
    if (!dryRun && !(await confirmRealRun(context, args, `Restore ${user} from its latest snapshot?`))) return EXIT.REFUSED;
    const report = await withAccountLock(context, 'restore', dryRun, () => restoreAccount(user, { dryRun, now: () => context.now() }));
    if (args.values.json === true) {
      context.stdout.write(`${JSON.stringify({ dryRun, ...report }, null, 2)}\n`);
    } else {
      context.stdout.write(`${printable(user)}: snapshot ${report.snapshot.id} (taken ${report.snapshot.takenAt} before ${report.snapshot.reason})\n`);
      if (report.operations.length === 0) context.stdout.write('  already as in the snapshot; nothing to do\n');
      else if (dryRun || !report.outcome) report.operations.forEach((operation, index) => context.stdout.write(`  ${index + 1}. ${printable(describeOperation(operation))}\n`));
      for (const problem of report.unrestorable) context.stdout.write(`  cannot restore: ${printable(problem)}\n`);
      if (report.outcome?.outcome === 'committed') context.stdout.write(report.remaining?.length ? `  restored, with differences: ${report.remaining.join('; ')}\n` : '  restored and verified\n');
      else if (report.outcome) context.stdout.write(`  restore ${report.outcome.outcome === 'rolled-back' ? 'ROLLED BACK' : 'FAILED'}: ${printable(report.outcome.reason)}\n`);
      if (dryRun) context.stdout.write('Dry run: nothing was changed.\n');
    }
    if (dryRun) return EXIT.OK;
    if (report.outcome && report.outcome.outcome !== 'committed') return EXIT.FAILED;
    return report.unrestorable.length > 0 || (report.remaining?.length ?? 0) > 0 ? EXIT.PARTIAL : EXIT.OK;
  },
};
