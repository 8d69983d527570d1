// XML property lists as the macOS tools print them (dscl -plist, security authorizationdb) and as
// they accept them on stdin. Parsing goes through the `plist` package but only for XML: binary
// (bplist00) and OpenStep text are refused here, so a caller never gets a value from a format it did
// not ask for. Building is our own, to print exactly CoreFoundation's layout (tabs, <real> kept real).
import { parse as parsePlist, type PlistValue } from 'plist';
import { UnexpectedOutputError, excerpt } from './output.js';

/** A parsed property list value (the `plist` package's type). */
export type { PlistValue };

/** The first bytes of a binary property list (on-disk DSLocal records, many preference files). */
export const BINARY_PLIST_MAGIC = 'bplist00';

/** Whether text or bytes start like a binary property list. */
export function isBinaryPlist(raw: string | Uint8Array): boolean {
  if (typeof raw === 'string') return raw.startsWith(BINARY_PLIST_MAGIC);
  return Buffer.from(raw.subarray(0, BINARY_PLIST_MAGIC.length)).toString('latin1') === BINARY_PLIST_MAGIC;
}

/** Parse an XML property list; throws UnexpectedOutputError saying why when the text is not one. */
export function parseXmlPlist(raw: string): PlistValue {
  if (isBinaryPlist(raw)) {
    throw new UnexpectedOutputError('expected an XML property list, got a binary one (bplist00)');
  }
  const start = raw.trimStart();
  if (start === '') throw new UnexpectedOutputError('expected an XML property list, got empty output');
  if (!start.startsWith('<')) {
    throw new UnexpectedOutputError(`expected an XML property list, got text starting ${excerpt(start.slice(0, 40))}`);
  }
  try {
    return parsePlist(raw);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UnexpectedOutputError(`malformed XML property list: ${why}`, { cause: error });
  }
}

/** Whether a parsed plist value is a dictionary (not an array, data, date or null). */
export function isPlistDict(value: PlistValue | undefined): value is { [key: string]: PlistValue } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

/** Options for buildXmlPlist. */
export interface BuildPlistOptions {
  /** Dictionary keys whose numbers are written as <real> even when integral (e.g. "created"). */
  realKeys?: ReadonlySet<string>;
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function realText(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) || !Number.isFinite(value) ? text : `${text}.0`;
}

function buildValue(value: PlistValue, depth: number, forceReal: boolean, options: BuildPlistOptions, out: string[]): void {
  const indent = '\t'.repeat(depth);
  if (value === null || !['string', 'boolean', 'number', 'object'].includes(typeof value)) {
    throw new TypeError(`building a property list: ${value === null ? 'null' : typeof value} has no plist representation`);
  }
  if (typeof value === 'string') out.push(`${indent}<string>${escapeXml(value)}</string>`);
  else if (typeof value === 'boolean') out.push(`${indent}<${value ? 'true' : 'false'}/>`);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`building a property list: ${value} is not a finite number`);
    if (forceReal || !Number.isInteger(value)) out.push(`${indent}<real>${realText(value)}</real>`);
    else out.push(`${indent}<integer>${value}</integer>`);
  } else if (value instanceof Date) out.push(`${indent}<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
  else if (value instanceof Uint8Array) out.push(`${indent}<data>${Buffer.from(value).toString('base64')}</data>`);
  else if (Array.isArray(value)) {
    if (value.length === 0) return void out.push(`${indent}<array/>`);
    out.push(`${indent}<array>`);
    for (const item of value) buildValue(item, depth + 1, false, options, out);
    out.push(`${indent}</array>`);
  } else {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined);
    if (keys.length === 0) return void out.push(`${indent}<dict/>`);
    out.push(`${indent}<dict>`);
    for (const key of keys) {
      out.push(`${indent}\t<key>${escapeXml(key)}</key>`);
      buildValue(value[key] as PlistValue, depth + 1, options.realKeys?.has(key) ?? false, options, out);
    }
    out.push(`${indent}</dict>`);
  }
}

/** Print a value as an XML property list in CoreFoundation's layout (tab indentation, trailing newline). */
export function buildXmlPlist(value: PlistValue, options: BuildPlistOptions = {}): string {
  const out: string[] = [];
  buildValue(value, 0, false, options, out);
  return `${HEADER}${out.join('\n')}\n</plist>\n`;
}
