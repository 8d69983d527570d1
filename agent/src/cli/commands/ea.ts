import * as z from 'zod';
import { EXTENSION_ATTRIBUTES, formatResult } from '../../ea/attributes.js';
import { scanMac } from '../../inventory/collect.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';

const names = EXTENSION_ATTRIBUTES.map((attribute) => attribute.name);
const width = Math.max(...names.map((name) => name.length));

/** `untether ea NAME`: a Jamf Pro extension attribute, printed as <result>…</result>. */
export const eaCommand: Command = {
  name: 'ea',
  summary: 'Print a Jamf Pro extension attribute as <result>…</result>.',
  usage: 'untether ea NAME',
  details: [
    'In Jamf Pro, add a computer extension attribute with input type "Script" whose script is:',
    '  #!/bin/sh',
    '  exec "/Library/Application Support/Untether/bin/untether" ea mobile-accounts',
    '',
    'Attributes:',
    ...EXTENSION_ATTRIBUTES.map((attribute) => `  ${attribute.name.padEnd(width)}  ${attribute.description}`),
  ].join('\n'),
  examples: ['untether ea mobile-accounts', 'untether ea migration-stage'],
  options: {},
  allowPositionals: true,
  async run(context, args) {
    const parsed = z.tuple([z.string()]).safeParse(args.positionals);
    if (!parsed.success) throw new UsageError(`expected exactly one attribute name, one of: ${names.join(', ')}`);
    const attribute = EXTENSION_ATTRIBUTES.find((candidate) => candidate.name === parsed.data[0]);
    if (!attribute) throw new UsageError(`unknown attribute "${parsed.data[0]}"; known: ${names.join(', ')}`);
    const inventory = await scanMac(context.now());
    context.stdout.write(formatResult(attribute.value(inventory)));
    return EXIT.OK;
  },
};
