// SecureToken state through /usr/sbin/sysadminctl. A conversion must never drop a user's token, so the
// agent reads it before and after.
import { SystemToolError } from './errors.js';
import { runTool } from './run.js';

/** A user's SecureToken state; 'unknown' when sysadminctl did not say (e.g. "Unknown user"). */
export type SecureTokenStatus = 'enabled' | 'disabled' | 'unknown';

// Sample (STDERR, NSLog format, exit 0; stdout empty):
//   2021-01-14 19:21:55.854 sysadminctl[14193:181530] Secure token is ENABLED for user ec2-user
//   2021-01-14 18:17:47.414 sysadminctl[96836:904874] Secure token is DISABLED for user ec2-user
// Edge cases: the trailing name is the RealName ("… for user Tuist Runner Operator", "System
// Administrator" for root), so only the ENABLED/DISABLED words are matched; an unknown user prints
// `… sysadminctl[1056:11522] Unknown user nosuchuser` (its exit code is unconfirmed).
/** Parse sysadminctl's secure token line from its output (stderr first, stdout as a fallback). */
export function parseSecureTokenStatus(raw: string): SecureTokenStatus {
  const answers = new Set([...raw.matchAll(/Secure token is (ENABLED|DISABLED)\b/g)].map((match) => match[1]));
  if (answers.size !== 1) return 'unknown';
  return answers.has('ENABLED') ? 'enabled' : 'disabled';
}

/** Read a user's SecureToken status (`sysadminctl -secureTokenStatus <name>`). */
export async function secureTokenStatus(name: string): Promise<SecureTokenStatus> {
  if (name === '' || name.startsWith('-')) throw new TypeError(`secure token status: "${name}" is not a user name`);
  const result = await runTool('sysadminctl', ['-secureTokenStatus', name]);
  const answer = result.timedOut ? 'unknown' : parseSecureTokenStatus(`${result.stderr}\n${result.stdout}`);
  if (answer !== 'unknown') return answer;
  if (result.failed && !/Unknown user/.test(result.stderr)) throw SystemToolError.fromResult(result);
  return 'unknown';
}
