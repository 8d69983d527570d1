import { unbind } from '../../actions/unbind.js';
import { withAccountLock } from '../account-guard.js';
import type { Command } from '../command.js';
import { confirmRealRun } from '../confirm.js';
import { EXIT } from '../exit-codes.js';

/** `untether unbind`: leave Active Directory once every account is local. */
export const unbindCommand: Command = {
  name: 'unbind',
  summary: 'Remove the Active Directory binding once no mobile account is left.',
  usage: 'untether unbind [--dry-run] [--yes] [--json]',
  details: [
    'Refuses while any mobile account remains: demobilize first, while the domain is still reachable.',
    'Removes the binding with dsconfigad -remove -force (no AD credentials are needed or passed), removes',
    'the AD node from the /Search and /Search/Contacts search paths, and verifies dsconfigad -show is empty.',
    'The computer object stays in AD; delete it there if you want it gone.',
  ].join('\n'),
  examples: ['sudo untether unbind --dry-run', 'sudo untether unbind --yes'],
  options: {
    'dry-run': { type: 'boolean', description: 'Print what would be done and change nothing.' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
    json: { type: 'boolean', description: 'Print the result as JSON.' },
  },
  async run(context, args) {
    const dryRun = args.values['dry-run'] === true;
    if (!dryRun && !(await confirmRealRun(context, args, 'Remove this Mac from Active Directory?'))) return EXIT.REFUSED;
    const report = await withAccountLock(context, 'unbind', dryRun, () => unbind({ dryRun }));
    if (args.values.json === true) {
      context.stdout.write(`${JSON.stringify({ dryRun, ...report }, null, 2)}\n`);
      return EXIT.OK;
    }
    if (report.steps.length === 0) {
      context.stdout.write('Not bound to Active Directory and no AD search path left; nothing to do.\n');
      return EXIT.OK;
    }
    for (const step of report.steps) context.stdout.write(`${dryRun ? 'would ' : ''}${step.description}\n`);
    context.stdout.write(dryRun ? 'Dry run: nothing was changed.\n' : 'Unbound and verified: dsconfigad -show is empty and no AD search path is left.\n');
    return EXIT.OK;
  },
};
