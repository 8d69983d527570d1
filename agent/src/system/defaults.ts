// Preference values through /usr/bin/defaults (e.g. DisableFDEAutoLogin in com.apple.loginwindow).
// Only for values written in /Library/Preferences; profile-managed values live elsewhere (files.ts).
import type { ToolResult } from './errors.js';
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, parseToolOutput } from './output.js';
import { runTool } from './run.js';

// Sample (`defaults read /Library/Preferences/com.apple.loginwindow DisableFDEAutoLogin`): `1` exit 0.
// Absent key or domain (stderr, exit 1):
//   2026-06-06 16:18:21.429 defaults[26240:7838602]
//   The domain/default pair of (/Library/Preferences/com.apple.loginwindow, GuestEnabled_NONEXISTENT) does not exist
const ABSENT = /The domain\/default pair of \(.*\) does not exist/;

async function readResult(domain: string, key: string): Promise<ToolResult | undefined> {
  if (domain === '' || domain.startsWith('-') || key === '' || key.startsWith('-')) {
    throw new TypeError(`defaults read: "${domain}" "${key}" is not a domain and key`);
  }
  const result = await runTool('defaults', ['read', domain, key]);
  if (!result.failed) return result;
  if (result.exitCode === 1 && ABSENT.test(result.stderr)) return undefined;
  throw SystemToolError.fromResult(result);
}

/** Read a preference as `defaults` prints it (trailing newline removed); undefined when the key is absent. */
export async function readDefault(domain: string, key: string): Promise<string | undefined> {
  const result = await readResult(domain, key);
  return result?.stdout.replace(/\n$/, '');
}

/** Interpret a `defaults read` value as a boolean (`1`/`0`, also `true`/`false`/`YES`/`NO`); anything else throws. */
export function parseDefaultsBool(raw: string): boolean {
  const text = raw.trim();
  if (['1', 'true', 'YES', 'yes'].includes(text)) return true;
  if (['0', 'false', 'NO', 'no'].includes(text)) return false;
  throw new UnexpectedOutputError(`not a boolean preference value: ${excerpt(text)}`);
}

/** Read a boolean preference; undefined when absent. A non-boolean value is a badOutput error. */
export async function readBoolDefault(domain: string, key: string): Promise<boolean | undefined> {
  const result = await readResult(domain, key);
  return result === undefined ? undefined : parseToolOutput(result, parseDefaultsBool);
}
