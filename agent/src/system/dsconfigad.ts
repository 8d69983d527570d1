// Active Directory binding through /usr/sbin/dsconfigad: is this Mac bound, to what, and unbinding.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runTool, runToolChecked } from './run.js';

/** The binding as `dsconfigad -show` reports it. */
export type Binding =
  | { bound: false }
  | {
      bound: true;
      forest: string;
      domain: string;
      /** As printed, with the trailing "$" (e.g. "corp-mac123$"). */
      computerAccount: string;
      /** Every other "key = value" line, key trimmed, value as printed ("not set" stays "not set"). */
      options: Record<string, string>;
    };

const FOREST = 'Active Directory Forest';
const DOMAIN = 'Active Directory Domain';
const COMPUTER = 'Computer Account';

// Sample (`dsconfigad -show`, macOS 12 Monterey; identical layout 2016–2022):
//   Active Directory Forest          = example.net
//   Active Directory Domain          = example.net
//   Computer Account                 = corp-mac123$
//
//   Advanced Options - User Experience
//     Create mobile account at login = Enabled
//        Require confirmation        = Disabled
//   …
//   Advanced Options - Administrative
//     Allowed admin groups           = Local Administrators
// Edge cases: unbound ⇒ empty output, exit 0; values may hold spaces and commas
// ("amministratori dominio,amministratori enterprise"); section headers have no "=".
/** Parse `dsconfigad -show`; empty output means unbound. */
export function parseDsconfigadShow(raw: string): Binding {
  if (raw.trim() === '') return { bound: false };
  const values: Record<string, string> = {};
  for (const line of outputLines(raw)) {
    const equals = line.indexOf('=');
    if (equals < 0) continue; // blank line or section header
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).replace(/^ /, '').trimEnd();
    if (key === '') throw new UnexpectedOutputError(`line with "=" but no key: ${excerpt(line)}`);
    if (Object.hasOwn(values, key)) throw new UnexpectedOutputError(`key "${key}" printed twice`);
    Object.defineProperty(values, key, { value, enumerable: true, writable: true });
  }
  const forest = values[FOREST];
  const domain = values[DOMAIN];
  const computerAccount = values[COMPUTER];
  if (forest === undefined || domain === undefined || computerAccount === undefined) {
    throw new UnexpectedOutputError(`non-empty output without "${FOREST}", "${DOMAIN}" and "${COMPUTER}" lines`);
  }
  const options = { ...values };
  delete options[FOREST];
  delete options[DOMAIN];
  delete options[COMPUTER];
  return { bound: true, forest, domain, computerAccount, options };
}

/** Read the current Active Directory binding. */
export async function showBinding(): Promise<Binding> {
  const result = await runToolChecked('dsconfigad', ['-show']);
  return parseToolOutput(result, parseDsconfigadShow);
}

/** What an unbind did. */
export type UnbindOutcome = { kind: 'removed' } | { kind: 'not-bound' };

// -force removes the local binding without contacting AD, so these credentials are never checked;
// they are throwaway values and still marked secret so nothing that looks like a password is logged.
const THROWAWAY_USER = 'untether';
const THROWAWAY_PASSWORD = 'untether';

// Not-bound message [partly UNCONFIRMED]: stderr contains "This computer is not Bound to Active Directory"
// and the exit status is non-zero (exact line and code not captured).
const NOT_BOUND = /not bound to active directory/i;

/** Unbind with `dsconfigad -remove -force` (no AD credentials needed); "not bound" is a typed outcome. */
export async function removeBinding(): Promise<UnbindOutcome> {
  const args = ['-remove', '-force', '-u', THROWAWAY_USER, '-p', THROWAWAY_PASSWORD];
  const result = await runTool('dsconfigad', args, { secretArgs: [5] });
  if (result.exitCode !== 127 && !result.timedOut && NOT_BOUND.test(`${result.stderr}\n${result.stdout}`)) {
    return { kind: 'not-bound' };
  }
  if (!result.failed) return { kind: 'removed' };
  throw SystemToolError.fromResult(result);
}
