// Jamf's /usr/local/bin/authchanger (Jamf Connect / NoMAD Login): an optional tool that rewrites the
// login window chain from presets. The agent uses it only when it is installed and policy asks for it.
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runTool, runToolChecked, toolExists } from './run.js';

/** One `Entry:` block of `authchanger -print`. */
export interface AuthchangerEntry {
  right: string;
  mechanisms?: string[];
  rule?: string[];
  /** Every other `key : value` line, value as printed (e.g. shared "1"). */
  properties: Record<string, string>;
}

/** Whether authchanger is installed on this Mac. */
export async function isInstalled(): Promise<boolean> {
  return toolExists('authchanger');
}

// Sample (`authchanger -print`, format from authchanger 2.1.0 authorizationDBPrettyPrint; Jamf Connect 2
// keeps it) [reconstructed: no full capture]:
//   Entry: system.login.console
//      mechanisms:
//         builtin:policy-banner
//         JamfConnectLogin:LoginUI
//         …
//      tries : 10000
//      comment : Login mechanism based rule.  Not for general use, yet.
//   (blank line)
// Edge cases: entry and key order follow a Swift dictionary (not stable); list keys are `mechanisms`
// and `rule`; a comment value may contain " : ".
/** Parse `authchanger -print` into its entries. */
export function parseAuthchangerPrint(raw: string): AuthchangerEntry[] {
  const entries: AuthchangerEntry[] = [];
  let entry: AuthchangerEntry | undefined;
  let list: string[] | undefined;
  for (const line of outputLines(raw)) {
    const header = /^Entry: (\S+)\s*$/.exec(line);
    if (header) {
      entry = { right: header[1]!, properties: {} };
      entries.push(entry);
      list = undefined;
      continue;
    }
    if (line.trim() === '') {
      list = undefined;
      continue;
    }
    if (!entry) throw new UnexpectedOutputError(`line before the first "Entry:": ${excerpt(line)}`);
    const item = /^ {6}(\S.*)$/.exec(line);
    if (item && list) {
      list.push(item[1]!.trimEnd());
      continue;
    }
    const listKey = /^ {3}(mechanisms|rule):\s*$/.exec(line);
    if (listKey) {
      list = [];
      entry[listKey[1] as 'mechanisms' | 'rule'] = list;
      continue;
    }
    const scalar = /^ {3}(\S[^:]*?) : (.*)$/.exec(line);
    if (scalar) {
      list = undefined;
      Object.defineProperty(entry.properties, scalar[1]!, { value: scalar[2]!, enumerable: true, writable: true });
      continue;
    }
    throw new UnexpectedOutputError(`line in entry ${entry.right} has an unknown layout: ${excerpt(line)}`);
  }
  return entries;
}

/** Print the current chains as authchanger sees them (works without root). */
export async function printChain(): Promise<AuthchangerEntry[]> {
  const result = await runToolChecked('authchanger', ['-print']);
  return parseToolOutput(result, parseAuthchangerPrint);
}

/** The authchanger presets the agent runs; nothing else is passed through. */
export type AuthchangerPreset =
  | { kind: 'reset' }
  | { kind: 'reset-jamfconnect' }
  | { kind: 'reset-preauth'; mechanisms: readonly string[] };

/** What an authchanger write did. */
export type AuthchangerOutcome = { kind: 'applied' } | { kind: 'not-root' };

// Mechanism names are `Plugin:Mechanism` with an optional `,privileged` (Elliot Jordan's check).
const MECHANISM = /^[^,:\s]+:[^,:\s]+(,privileged)?$/;

function presetArgs(preset: AuthchangerPreset): string[] {
  switch (preset.kind) {
    case 'reset':
      return ['-reset'];
    case 'reset-jamfconnect':
      return ['-reset', '-JamfConnect'];
    case 'reset-preauth': {
      if (preset.mechanisms.length === 0) throw new TypeError('authchanger -preAuth: no mechanisms given');
      for (const mechanism of preset.mechanisms) {
        if (!MECHANISM.test(mechanism)) throw new TypeError(`authchanger -preAuth: "${mechanism}" is not Plugin:Mechanism[,privileged]`);
      }
      return ['-reset', '-preAuth', ...preset.mechanisms];
    }
    default: {
      const never: never = preset;
      throw new TypeError(`authchanger: unknown preset ${JSON.stringify(never)}`);
    }
  }
}

// Sample (authchanger source, exit 1, stdout): `Not Running as root, please execute with sudo privilege to do this function`
const NOT_ROOT = /Not Running as root/;

/** Apply a preset (`-reset`, `-reset -JamfConnect`, `-reset -preAuth X…`); "not root" is a typed outcome. */
export async function run(preset: AuthchangerPreset): Promise<AuthchangerOutcome> {
  const result = await runTool('authchanger', presetArgs(preset));
  if (result.exitCode !== 127 && NOT_ROOT.test(`${result.stdout}\n${result.stderr}`)) return { kind: 'not-root' };
  if (result.failed) throw SystemToolError.fromResult(result);
  return { kind: 'applied' };
}
