import type { Command, OptionSpec } from '../command.js';
import { EXIT } from '../exit-codes.js';

/**
 * A command whose interface is fixed (docs, server and tests agree on it) but whose behaviour is not
 * in this version yet: it parses its options, so --help is real, and then says so plainly.
 */
export function notBuiltCommand(spec: {
  name: string;
  summary: string;
  usage: string;
  details?: string;
  examples?: string[];
  options: Record<string, OptionSpec>;
  allowPositionals?: boolean;
}): Command {
  return {
    ...spec,
    async run(context) {
      context.stderr.write(`untether ${spec.name}: not built in this version yet; nothing was changed.\n`);
      return EXIT.NOT_BUILT;
    },
  };
}
