import { renderInventory } from '../../inventory/render.js';
import { scanMac } from '../../inventory/collect.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';

/** `untether scan`: the read-only inventory a migration starts from. */
export const scanCommand: Command = {
  name: 'scan',
  summary: 'Show accounts (mobile, local, system), AD binding, FileVault, login window and MDM. Changes nothing.',
  usage: 'untether scan [--json] [--include-system]',
  details: [
    'Reads the whole Mac in one pass with a fixed number of tool calls, whatever the number of users.',
    'Run it as root: FileVault users and some account details are only visible to root.',
    'A fact that cannot be read is shown as "?" with a warning; the rest of the scan stays valid.',
    'The --json format is stable and documented in docs/scan-json.md.',
  ].join('\n'),
  examples: ['sudo untether scan', 'sudo untether scan --json > /tmp/inventory.json'],
  options: {
    json: { type: 'boolean', description: 'Print the inventory as JSON (docs/scan-json.md).' },
    'include-system': { type: 'boolean', description: 'Also list system accounts (root, daemon, _-prefixed).' },
  },
  async run(context, args) {
    const inventory = await scanMac(context.now());
    if (args.values.json === true) context.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
    else context.stdout.write(renderInventory(inventory, { includeSystem: args.values['include-system'] === true }));
    return EXIT.OK;
  },
};
