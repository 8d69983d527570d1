import type { CommandContext, ParsedArgs } from './command.js';
import { UsageError } from './command.js';

/**
 * Whether a real (not dry) run may go ahead: --yes says so; a person at a terminal is asked; without a
 * terminal and without --yes it is a usage error, so a Jamf policy never hangs on a question. When the
 * answer is no, it says nothing was changed.
 */
export async function confirmRealRun(context: CommandContext, args: ParsedArgs, question: string): Promise<boolean> {
  if (args.values.yes === true) return true;
  if (!context.interactive) throw new UsageError('a real run needs --yes when there is no terminal to ask (or use --dry-run)');
  if (await context.confirm(question)) return true;
  context.stderr.write('Nothing was changed.\n');
  return false;
}
