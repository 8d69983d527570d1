// A small XML property-list reader and writer. The fakes start once per tool call, and the `plist` package
// (xmldom + xmlbuilder) costs ~50 ms to load, so the simulator carries its own codec. The writer follows
// CFPropertyListCreateXMLData: tab indentation, dictionary keys sorted with a case-sensitive compare
// (CFStringCompare without options), reals printed with %.17g, "</plist>" followed by one newline.

/** A plist value. Integers and reals are both `number`; a non-integer number is written as `<real>`. */
export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

export class PlistSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`parsing XML plist: ${message} at offset ${offset}`);
    this.name = 'PlistSyntaxError';
  }
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

/** Serialize a value as a complete XML plist document, the way CoreFoundation writes it. */
export function toXmlPlist(value: PlistValue): string {
  const parts: string[] = [HEADER];
  writeValue(value, 0, parts);
  parts.push('</plist>\n');
  return parts.join('');
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array)
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function escapeText(text: string): string {
  // indexOf is native and cheap in a cold process; most values need no escaping at all.
  if (text.indexOf('&') < 0 && text.indexOf('<') < 0 && text.indexOf('>') < 0) return text;
  return text.replace(/[&<>]/g, (char) => ESCAPES[char]!);
}

/** Case-sensitive UTF-16 order, as CFStringCompare(a, b, 0). */
export function compareLiteral(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A real as C's "%.17g" prints it (CoreFoundation's format for <real>). */
export function formatReal(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? '+infinity' : '-infinity';
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential(16).split('e') as [string, string];
  const exponent = Number(exponentText);
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits);
  if (exponent < -4 || exponent >= 17) {
    const sign = exponent < 0 ? '-' : '+';
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return trim(value.toFixed(16 - exponent));
}

function writeValue(value: PlistValue, depth: number, parts: string[]): void {
  const indent = '\t'.repeat(depth);
  if (typeof value === 'string') {
    parts.push(`${indent}<string>${escapeText(value)}</string>\n`);
  } else if (typeof value === 'number') {
    parts.push(Number.isInteger(value) ? `${indent}<integer>${value}</integer>\n` : `${indent}<real>${formatReal(value)}</real>\n`);
  } else if (typeof value === 'boolean') {
    parts.push(`${indent}<${value ? 'true' : 'false'}/>\n`);
  } else if (value instanceof Date) {
    parts.push(`${indent}<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>\n`);
  } else if (value instanceof Uint8Array) {
    const base64 = Buffer.from(value).toString('base64');
    const width = Math.max(16, 76 - 8 * depth) & ~3;
    parts.push(`${indent}<data>\n`);
    for (let at = 0; at < base64.length; at += width) parts.push(`${indent}${base64.slice(at, at + width)}\n`);
    parts.push(`${indent}</data>\n`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      parts.push(`${indent}<array/>\n`);
      return;
    }
    parts.push(`${indent}<array>\n`);
    for (const item of value) writeValue(item, depth + 1, parts);
    parts.push(`${indent}</array>\n`);
  } else {
    const keys = Object.keys(value).sort(compareLiteral);
    if (keys.length === 0) {
      parts.push(`${indent}<dict/>\n`);
      return;
    }
    parts.push(`${indent}<dict>\n`);
    for (const key of keys) {
      parts.push(`${indent}\t<key>${escapeText(key)}</key>\n`);
      writeValue(value[key]!, depth + 1, parts);
    }
    parts.push(`${indent}</dict>\n`);
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string, offset: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const decoded = ENTITIES[name];
    if (decoded === undefined) throw new PlistSyntaxError(`unknown entity &${name};`, offset);
    return decoded;
  });
}

// One regex tokenizes the document (the regex engine is native, which matters in a cold process that parses
// a few hundred records): comments, processing instructions, DOCTYPE, CDATA, tags, and text.
const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>|([^<]+)|</g;

const LEAVES = new Set(['string', 'key', 'integer', 'real', 'date', 'data', 'true', 'false']);

interface Frame {
  name: 'plist' | 'dict' | 'array';
  value: PlistDict | PlistValue[] | undefined;
  pendingKey: string | undefined;
}

function leafValue(name: string, text: string, offset: number): PlistValue {
  switch (name) {
    case 'string':
      return text;
    case 'integer': {
      const trimmed = text.trim();
      if (!/^[+-]?(\d+|0x[0-9a-fA-F]+)$/.test(trimmed)) throw new PlistSyntaxError(`bad integer "${trimmed}"`, offset);
      return Number(trimmed.replace(/^\+/, ''));
    }
    case 'real': {
      const trimmed = text.trim();
      const value = Number(trimmed.replace(/^\+?infinity$/i, 'Infinity').replace(/^-infinity$/i, '-Infinity'));
      if (trimmed === '' || (Number.isNaN(value) && trimmed.toLowerCase() !== 'nan')) throw new PlistSyntaxError(`bad real "${trimmed}"`, offset);
      return value;
    }
    case 'date': {
      const date = new Date(text.trim());
      if (Number.isNaN(date.getTime())) throw new PlistSyntaxError(`bad date "${text.trim()}"`, offset);
      return date;
    }
    case 'data': {
      const base64 = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new PlistSyntaxError('bad base64 in <data>', offset);
      return new Uint8Array(Buffer.from(base64, 'base64'));
    }
    case 'true':
    case 'false':
      if (text.trim() !== '') throw new PlistSyntaxError(`text inside <${name}>`, offset);
      return name === 'true';
    default:
      throw new PlistSyntaxError(`unknown element <${name}>`, offset);
  }
}

/** Parse an XML plist document (or a bare top-level element). Throws PlistSyntaxError on anything malformed. */
export function parseXmlPlist(text: string): PlistValue {
  const stack: Frame[] = [];
  let leaf: { name: string; text: string } | undefined;
  let result: PlistValue | undefined;
  let sawPlist = false;
  const tokens = new RegExp(TOKEN.source, 'g');

  const emit = (value: PlistValue, offset: number): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (result !== undefined) throw new PlistSyntaxError('more than one top-level value', offset);
      result = value;
    } else if (top.name === 'array') {
      (top.value as PlistValue[]).push(value);
    } else if (top.name === 'dict') {
      if (top.pendingKey === undefined) throw new PlistSyntaxError('a value in <dict> without a <key>', offset);
      (top.value as PlistDict)[top.pendingKey] = value;
      top.pendingKey = undefined;
    } else {
      if (top.value !== undefined) throw new PlistSyntaxError('more than one value in <plist>', offset);
      top.value = value as PlistDict;
    }
  };

  for (let match = tokens.exec(text); match !== null; match = tokens.exec(text)) {
    const offset = match.index;
    const [whole, cdata, slash, name, selfSlash, chars] = match;
    if (chars !== undefined) {
      if (leaf) leaf.text += decodeText(chars, offset);
      else if (chars.trim() !== '' && !(offset === 0 && chars === '\ufeff')) throw new PlistSyntaxError('text outside an element', offset);
      continue;
    }
    if (cdata !== undefined) {
      if (!leaf) throw new PlistSyntaxError('CDATA outside an element', offset);
      leaf.text += cdata;
      continue;
    }
    if (name === undefined) {
      if (whole === '<') throw new PlistSyntaxError('unterminated tag', offset);
      continue; // comment, processing instruction or DOCTYPE
    }
    const closing = slash === '/';
    const selfClosing = selfSlash === '/';
    if (leaf) {
      if (!closing || name !== leaf.name) throw new PlistSyntaxError(`expected </${leaf.name}>, found <${closing ? '/' : ''}${name}>`, offset);
      const finished = leaf;
      leaf = undefined;
      if (finished.name === 'key') {
        const top = stack[stack.length - 1];
        if (top?.name !== 'dict' || top.pendingKey !== undefined) throw new PlistSyntaxError('<key> outside a dict or twice in a row', offset);
        if (finished.text === '__proto__') throw new PlistSyntaxError('refusing the key "__proto__"', offset);
        top.pendingKey = finished.text;
      } else {
        emit(leafValue(finished.name, finished.text, offset), offset);
      }
      continue;
    }
    if (closing) {
      const frame = stack.pop();
      if (frame === undefined || frame.name !== name) throw new PlistSyntaxError(`unexpected </${name}>`, offset);
      if (frame.name === 'dict' && frame.pendingKey !== undefined) throw new PlistSyntaxError(`<key>${frame.pendingKey}</key> without a value`, offset);
      if (frame.name === 'plist') {
        if (frame.value === undefined) throw new PlistSyntaxError('empty <plist>', offset);
        emit(frame.value, offset);
      } else {
        emit(frame.value!, offset);
      }
      continue;
    }
    if (name === 'plist') {
      if (selfClosing || stack.length > 0 || sawPlist) throw new PlistSyntaxError('misplaced <plist>', offset);
      sawPlist = true;
      stack.push({ name: 'plist', value: undefined, pendingKey: undefined });
    } else if (name === 'dict' || name === 'array') {
      const value = name === 'dict' ? ({} as PlistDict) : ([] as PlistValue[]);
      if (selfClosing) emit(value, offset);
      else stack.push({ name, value, pendingKey: undefined });
    } else if (LEAVES.has(name)) {
      if (selfClosing) {
        if (name === 'key') throw new PlistSyntaxError('empty <key/>', offset);
        emit(leafValue(name, '', offset), offset);
      } else {
        leaf = { name, text: '' };
      }
    } else {
      throw new PlistSyntaxError(`unknown element <${name}>`, offset);
    }
  }
  if (leaf || stack.length > 0) throw new PlistSyntaxError('unexpected end of document', text.length);
  if (result === undefined) throw new PlistSyntaxError('no value', text.length);
  return result;
}
