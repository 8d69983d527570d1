// The macOS version through /usr/bin/sw_vers, for reports and for version-specific defaults
// (e.g. which stock login chain to expect).
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runToolChecked } from './run.js';

/** The macOS version of this Mac. */
export interface MacOSVersion {
  productName: string;
  productVersion: string;
  /** Rapid Security Response suffix, e.g. "(a)" (macOS 13+ when one is installed). */
  productVersionExtra?: string;
  buildVersion: string;
  major: number;
  minor: number;
  patch: number;
}

// Sample (`sw_vers`, macOS 14; two tabs after each key since Big Sur, one tab before):
//   ProductName:		macOS
//   ProductVersion:		14.0
//   BuildVersion:		23A344
// Edge cases: 10.15 prints `ProductName:\tMac OS X`; `ProductVersionExtra:\t(a)` appears with an RSR
// (from sw_vers's source, not captured); first releases have two components ("10.13", "14.0"); macOS 26
// may print `ReleaseType:` too. Unknown keys are ignored.
/** Parse `sw_vers` output. */
export function parseSwVers(raw: string): MacOSVersion {
  const fields = new Map<string, string>();
  for (const line of outputLines(raw)) {
    if (line.trim() === '') continue;
    const match = /^(\w+):\s*(.*)$/.exec(line);
    if (!match) throw new UnexpectedOutputError(`line is not "Key:<tab>value": ${excerpt(line)}`);
    fields.set(match[1]!, match[2]!.trim());
  }
  const productName = fields.get('ProductName');
  const productVersion = fields.get('ProductVersion');
  const buildVersion = fields.get('BuildVersion');
  if (!productName || !productVersion || !buildVersion) {
    throw new UnexpectedOutputError('missing ProductName, ProductVersion or BuildVersion');
  }
  const version = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(productVersion);
  if (!version) throw new UnexpectedOutputError(`ProductVersion is not N.N[.N]: ${excerpt(productVersion)}`);
  const parsed: MacOSVersion = {
    productName,
    productVersion,
    buildVersion,
    major: Number(version[1]),
    minor: Number(version[2]),
    patch: Number(version[3] ?? 0),
  };
  const extra = fields.get('ProductVersionExtra');
  if (extra) parsed.productVersionExtra = extra;
  return parsed;
}

/** Read the macOS version. */
export async function macOSVersion(): Promise<MacOSVersion> {
  const result = await runToolChecked('sw_vers', []);
  return parseToolOutput(result, parseSwVers);
}
