// Authorization rights (the login window's `system.login.console` chain) through
// `security authorizationdb read|write`. The right is parsed with zod but every key is kept, known or
// not, so a right read and written back loses nothing.
import * as z from 'zod';
import type { ToolResult } from './errors.js';
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, parseToolOutput } from './output.js';
import { buildXmlPlist, parseXmlPlist, type PlistValue } from './plist.js';
import { runTool } from './run.js';

const rightSchema = z.looseObject({
  class: z.string(),
  mechanisms: z.array(z.string()).optional(),
  rule: z.union([z.string(), z.array(z.string())]).optional(),
  comment: z.string().optional(),
  version: z.number().int().optional(),
  shared: z.boolean().optional(),
  tries: z.number().int().optional(),
  created: z.number().optional(),
  modified: z.number().optional(),
});

/** An authorization right as the database stores it; unknown keys are preserved for the round trip. */
export type AuthorizationRight = z.infer<typeof rightSchema>;

/** The right that defines the login window's mechanism chain. */
export const LOGIN_CONSOLE_RIGHT = 'system.login.console';

/** Keys CoreFoundation writes as <real> (absolute times) even when the number happens to be whole. */
const REAL_KEYS: ReadonlySet<string> = new Set(['created', 'modified']);

/** `security authorizationdb` answered `NO (<OSStatus>)`, e.g. -60005 for an unknown right or a non-root write. */
export class AuthorizationDbError extends SystemToolError {
  /** The OSStatus from the `NO (…)` line (-60005 = errAuthorizationDenied). */
  readonly status: number;

  constructor(result: ToolResult, status: number) {
    const command = [result.tool, ...result.args].join(' ');
    super('E_TOOL_FAILED', result, `running ${command}: the authorization database answered NO (${status})`);
    this.name = 'AuthorizationDbError';
    this.status = status;
  }
}

/** The YES/NO status line `security authorizationdb` prints on stderr; undefined when there is none. */
export type AuthorizationStatus = { ok: true } | { ok: false; status: number };

// Sample (stderr, macOS 13 and 14): `YES (0)` after a successful read or write; `NO (-60005)` for
// `read bogus-right-name` or a write as non-root. An unparsable stdin plist exits non-zero with no line.
/** Parse the YES/NO status line from stderr. */
export function parseAuthorizationStatus(stderr: string): AuthorizationStatus | undefined {
  const match = /^(YES|NO) \((-?\d+)\)$/m.exec(stderr);
  if (!match) return undefined;
  return match[1] === 'YES' ? { ok: true } : { ok: false, status: Number(match[2]) };
}

// Sample (stdout of `security authorizationdb read system.login.console`, macOS 14 Sonoma, tabs):
//   <?xml version="1.0" encoding="UTF-8"?> … <plist version="1.0">
//   <dict>
//   	<key>class</key>
//   	<string>evaluate-mechanisms</string>
//   	<key>created</key>
//   	<real>719346785.95490503</real>
//   	<key>mechanisms</key>
//   	<array>
//   		<string>builtin:prelogin</string>
//   		…
//   		<string>loginwindow:done</string>
//   	</array>
//   	<key>shared</key>
//   	<true/>
//   	<key>tries</key>
//   	<integer>10000</integer>
//   	<key>version</key>
//   	<integer>11</integer>
//   </dict>
// Edge cases: macOS 13 has 18 mechanisms (PSSOAuthPlugin:login-auth) and version 10; rule-class rights
// carry `rule` (a string or an array) instead of `mechanisms`; other rights add keys we do not model.
/** Parse a right's plist into the typed model, keeping unknown keys. */
export function parseAuthorizationRight(raw: string): AuthorizationRight {
  const parsed = rightSchema.safeParse(parseXmlPlist(raw));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new UnexpectedOutputError(`authorization right does not match the model: ${issues.join('; ')}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function checkRightName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new TypeError(`authorization right name: "${name}" is not a right name`);
  return name;
}

function failure(result: ToolResult): SystemToolError {
  const status = parseAuthorizationStatus(result.stderr);
  if (status && !status.ok && !result.timedOut) return new AuthorizationDbError(result, status.status);
  return SystemToolError.fromResult(result);
}

/** Read a right (`security authorizationdb read <name>`); NO (…) becomes an AuthorizationDbError. */
export async function readAuthorizationRight(name: string): Promise<AuthorizationRight> {
  const result = await runTool('security', ['authorizationdb', 'read', checkRightName(name)]);
  const status = parseAuthorizationStatus(result.stderr);
  if (result.failed || (status && !status.ok)) throw failure(result);
  return parseToolOutput(result, parseAuthorizationRight);
}

/** Print a right as the XML plist `security authorizationdb write` reads from stdin. */
export function buildAuthorizationRight(right: AuthorizationRight): string {
  return buildXmlPlist(right as PlistValue, { realKeys: REAL_KEYS });
}

/** Write a right from a plist on stdin; success means exit 0 AND `YES (0)` on stderr. */
export async function writeAuthorizationRight(name: string, right: AuthorizationRight): Promise<void> {
  const checked = rightSchema.safeParse(right);
  if (!checked.success) throw new TypeError(`writing authorization right ${name}: the right does not match the model: ${checked.error.message}`);
  const result = await runTool('security', ['authorizationdb', 'write', checkRightName(name)], {
    input: buildAuthorizationRight(right),
  });
  if (result.failed) throw failure(result);
  const status = parseAuthorizationStatus(result.stderr);
  if (!status) throw SystemToolError.badOutput(result, 'exit 0 without the "YES (0)" status line on stderr');
  if (!status.ok) throw failure(result);
}
