// Pure parsers for dscl's TEXT output (`list`, `read`) and its DS error lines. The agent reads records
// with -plist (directory-record.ts); these exist because `list` has no plist form worth using and
// because logs, fixtures and the simulator speak text. Every rule below is from macos-tools.md §1.
import { NATIVE_PREFIX, STANDARD_PREFIX } from './directory-record.js';
import { UnexpectedOutputError, excerpt, outputLines } from './output.js';

/** One line of `dscl . list <path> <attr>`: the record and the WHOLE rest of the line. */
export interface DsclListEntry {
  recordName: string;
  /** All values joined by single spaces as dscl printed them; a value may itself contain spaces. */
  value: string;
}

// Sample (`dscl . -list /Users UniqueID`, any macOS; longest name `_reportmemoryexception` ⇒ values at column 25):
//   _accessoryupdater        278
//   _amavisd                 83
// and with a value holding spaces (mobile account, derived): `jdoe                     /Active Directory/CORP/corp.example.com`
// Rule (DSTools PathRecordType.m): name, then (maxLen - len + 2) spaces, then " " + value for each value.
// So every value starts at the same column, maxLen + 3, which is 3 spaces after the longest name. Records
// without the attribute are not listed at all. Several values share one line, separated by single spaces,
// which is ambiguous when values contain spaces: callers needing exact values use -plist -readall.
/** Parse `dscl . list <path> <attr>`; keeps the whole rest of each line (replaces `awk '{print $2}'`). */
export function parseDsclList(raw: string): DsclListEntry[] {
  const lines = outputLines(raw).filter((line) => line !== '');
  if (lines.length === 0) return [];
  const starts = lines.map((line) => {
    const match = / {3,}/.exec(line);
    if (!match) throw new UnexpectedOutputError(`list line without the 3-space value column: ${excerpt(line)}`);
    return match.index + match[0].length;
  });
  // The longest name's line has exactly 3 spaces before its value, which gives the shared column.
  const column = Math.min(...starts);
  return lines.map((line) => {
    const gap = line.slice(column - 3, column);
    const recordName = line.slice(0, column - 3).trimEnd();
    if (gap !== '   ' || recordName === '' || /^\s/.test(line)) {
      throw new UnexpectedOutputError(`list line not aligned at column ${column}: ${excerpt(line)}`);
    }
    return { recordName, value: line.slice(column) };
  });
}

/** Parse `dscl . list <path>` (no attribute): one record name per line, names kept whole. */
export function parseDsclNames(raw: string): string[] {
  return outputLines(raw)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

/** What a text-mode `dscl . read` printed: attributes by full type name, and the keys it said it lacks. */
export interface DsclReadResult {
  attributes: Record<string, string[]>;
  missingKeys: string[];
}

const ATTRIBUTE_LINE = /^((?:dsAttrTypeNative:|dsAttrTypeStandard:)?[^\s:]+):(?: (.*))?$/;
const NO_SUCH_KEY = /^No such key: (.+)$/;

function fullType(printed: string): string {
  return printed.startsWith(NATIVE_PREFIX) || printed.startsWith(STANDARD_PREFIX) ? printed : `${STANDARD_PREFIX}${printed}`;
}

// Sample (`dscl . -read /Users/_nixbld1`, macOS 13; plist indentation is tabs):
//   dsAttrTypeNative:_writers_passwd: _nixbld1
//   dsAttrTypeNative:accountPolicyData:
//    <?xml version="1.0" encoding="UTF-8"?>
//   <!DOCTYPE plist …>
//   …
//   </plist>
//   (empty line: the value's own trailing newline)
//   AppleMetaNodeLocation: /Local/Default
//   RealName:
//    It's a feature
// Rules (DSTools PathItem.m): native attributes first (case-insensitive sort on the full name), the
// standard prefix stripped; if ANY value of an attribute holds a space, every value goes on its own
// line with one leading space, else all values share the name's line; an empty value prints `Name: `;
// a multi-line value only gets the leading space on its first line; requested keys that are missing
// print `No such key: X`. Multi-line values other than plists are ambiguous in text mode: use -plist.
/** Parse text-mode `dscl . read` output into attributes keyed by full type name. */
export function parseDsclRead(raw: string): DsclReadResult {
  const result: DsclReadResult = { attributes: {}, missingKeys: [] };
  let current: string[] | undefined;
  let inPlist = false;
  for (const line of outputLines(raw)) {
    if (inPlist && current) {
      current[current.length - 1] += `\n${line}`;
      if (line === '</plist>') inPlist = false;
      continue;
    }
    if (current && line === '' && current[current.length - 1]?.endsWith('</plist>')) {
      current[current.length - 1] += '\n';
      continue;
    }
    if (line.startsWith(' ') && current) {
      const value = line.slice(1);
      current.push(value);
      inPlist = /^<\?xml|^<plist/.test(value) && !value.includes('</plist>');
      continue;
    }
    if (line === '') continue;
    const missing = NO_SUCH_KEY.exec(line);
    if (missing) {
      result.missingKeys.push(missing[1]!);
      current = undefined;
      continue;
    }
    const attribute = ATTRIBUTE_LINE.exec(line);
    if (!attribute) throw new UnexpectedOutputError(`read line is neither an attribute nor a value: ${excerpt(line)}`);
    const type = fullType(attribute[1]!);
    if (Object.hasOwn(result.attributes, type)) throw new UnexpectedOutputError(`attribute ${type} printed twice`);
    const rest = attribute[2];
    current = rest === undefined ? [] : rest.split(' ');
    Object.defineProperty(result.attributes, type, { value: current, enumerable: true });
  }
  if (inPlist) throw new UnexpectedOutputError('output ended inside a plist value (no </plist> line)');
  return result;
}

/** The DS errors the agent tells apart; any other DS error keeps its name in SystemToolError.dsError. */
export type DsErrorName = 'eDSRecordNotFound' | 'eDSAttributeNotFound' | 'eDSPermissionError' | 'eDSUnknownNodeName';

/** Each known DS error with its status and the process exit code dscl gives it ((-status) & 0xFF). */
export const DS_ERRORS: Readonly<Record<DsErrorName, { status: number; exitCode: number }>> = {
  eDSRecordNotFound: { status: -14136, exitCode: 56 },
  eDSAttributeNotFound: { status: -14134, exitCode: 54 },
  eDSPermissionError: { status: -14120, exitCode: 40 },
  eDSUnknownNodeName: { status: -14009, exitCode: 185 },
};

// Samples (stderr, any macOS):
//   <dscl_cmd> DS Error: -14136 (eDSRecordNotFound)                       exit 56
//   <main> attribute status: eDSPermissionError
//   <dscl_cmd> DS Error: -14120 (eDSPermissionError)                      exit 40
//   <main> delete status: eDSPermissionError  (record delete refused even as root, macOS 13)
// stdout may add `delete: Invalid Path` (with eDSUnknownNodeName, exit 185).
/** Which known DS error dscl's stderr names (the `DS Error:` line, else a `… status:` line); undefined if none. */
export function parseDsErrorName(stderr: string): DsErrorName | undefined {
  const named = /DS Error: -?\d+ \((\w+)\)/.exec(stderr) ?? /<main> \w+ status: (\w+)/.exec(stderr);
  const name = named?.[1];
  return name !== undefined && Object.hasOwn(DS_ERRORS, name) ? (name as DsErrorName) : undefined;
}
