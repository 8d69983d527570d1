// A small XML reader and writer for the three XML documents of a flat package (XAR TOC, PackageInfo,
// Distribution). Our own on purpose: the project has no XML dependency, these documents use plain elements,
// attributes, text, CDATA and comments, and a writer we control is what makes the output byte-for-byte
// deterministic. Not handled (refused with an error): DTD internal subsets and entities other than the five
// predefined ones and character references.

/** One element: name, attributes in document order, and children (elements and text). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

/** Escapes text content. */
export function escapeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value written between double quotes (newlines and tabs as references so they survive). */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Builds an element (attributes whose value is undefined are left out, in the given order). */
export function el(name: string, attributes: Record<string, string | number | undefined> = {}, children: XmlNode[] = []): XmlElement {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) kept[key] = String(value);
  return { name, attributes: kept, children };
}

/**
 * Renders a document: declaration, then the root indented by `indent` spaces per level. An element with only
 * text is written on one line; an element without children is self-closed.
 */
export function renderXml(root: XmlElement, indent = 2): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const write = (node: XmlElement, depth: number): void => {
    const pad = ' '.repeat(depth * indent);
    const attrs = Object.entries(node.attributes).map(([k, v]) => ` ${k}="${escapeXmlAttribute(v)}"`).join('');
    if (node.children.length === 0) {
      lines.push(`${pad}<${node.name}${attrs}/>`);
    } else if (node.children.every((child) => typeof child === 'string')) {
      lines.push(`${pad}<${node.name}${attrs}>${escapeXmlText(node.children.join(''))}</${node.name}>`);
    } else {
      lines.push(`${pad}<${node.name}${attrs}>`);
      for (const child of node.children) {
        if (typeof child === 'string') {
          if (child.trim() !== '') lines.push(`${pad}${' '.repeat(indent)}${escapeXmlText(child)}`);
        } else {
          write(child, depth + 1);
        }
      }
      lines.push(`${pad}</${node.name}>`);
    }
  };
  write(root, 0);
  return `${lines.join('\n')}\n`;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

/** Parses a document and returns its root element. `what` names the document in errors. */
export function parseXml(text: string, what: string): XmlElement {
  let pos = 0;
  const fail = (why: string): never => {
    const line = text.slice(0, pos).split('\n').length;
    throw new Error(`parsing ${what}: line ${line}: ${why}`);
  };
  const decode = (raw: string): string =>
    raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) return fail('a bare "&" (must be written &amp;)');
      if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      const value = named[ref];
      return value ?? fail(`unknown entity ${whole}`);
    });
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos += 1;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const match = NAME.exec(text);
    if (!match) return fail(`expected a name at "${text.slice(pos, pos + 20)}"`);
    pos += match[0].length;
    return match[0];
  };
  const skipUntil = (end: string, label: string): string => {
    const at = text.indexOf(end, pos);
    if (at < 0) fail(`unterminated ${label}`);
    const body = text.slice(pos, at);
    pos = at + end.length;
    return body;
  };
  // Prolog: declaration, comments, processing instructions, a DOCTYPE without internal subset.
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<?', pos)) skipUntil('?>', 'processing instruction');
      else if (text.startsWith('<!--', pos)) skipUntil('-->', 'comment');
      else if (text.startsWith('<!DOCTYPE', pos)) {
        const body = skipUntil('>', 'DOCTYPE');
        if (body.includes('[')) fail('DOCTYPE with an internal subset is not supported');
      } else return;
    }
  };
  const readElement = (depth: number): XmlElement => {
    if (depth > 200) fail('elements nested deeper than 200 levels');
    if (text[pos] !== '<') fail('expected an element');
    pos += 1;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        return { name, attributes, children: [] };
      }
      if (text[pos] === '>') {
        pos += 1;
        break;
      }
      const attr = readName();
      skipSpace();
      if (text[pos] !== '=') fail(`attribute ${attr} of <${name}> has no value`);
      pos += 1;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") return fail(`attribute ${attr} of <${name}> is not quoted`);
      pos += 1;
      const raw = skipUntil(quote, `attribute ${attr}`);
      if (raw.includes('<')) fail(`attribute ${attr} of <${name}> contains "<"`);
      if (attr in attributes) fail(`attribute ${attr} of <${name}> appears twice`);
      attributes[attr] = decode(raw);
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (pos >= text.length) fail(`<${name}> is not closed`);
      if (text.startsWith('</', pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== name) fail(`<${name}> closed by </${closing}>`);
        skipSpace();
        if (text[pos] !== '>') fail(`</${closing}> is not terminated`);
        pos += 1;
        return { name, attributes, children };
      }
      if (text.startsWith('<!--', pos)) {
        pos += 4;
        skipUntil('-->', 'comment');
      } else if (text.startsWith('<![CDATA[', pos)) {
        pos += 9;
        children.push(skipUntil(']]>', 'CDATA section'));
      } else if (text.startsWith('<?', pos)) {
        skipUntil('?>', 'processing instruction');
      } else if (text[pos] === '<') {
        children.push(readElement(depth + 1));
      } else {
        const next = text.indexOf('<', pos);
        const end = next < 0 ? text.length : next;
        children.push(decode(text.slice(pos, end)));
        pos = end;
      }
    }
  };
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  skipMisc();
  const root = readElement(0);
  skipMisc();
  if (pos < text.length) fail('content after the root element');
  return root;
}

/** Child elements, optionally only those with a given name. */
export function childElements(parent: XmlElement, name?: string): XmlElement[] {
  return parent.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

/** The first child element with this name, if any. */
export function firstChild(parent: XmlElement, name: string): XmlElement | undefined {
  return childElements(parent, name)[0];
}

/** All text inside an element (descendants included), untrimmed. */
export function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Trimmed text of the first child with this name, if present. */
export function childText(parent: XmlElement, name: string): string | undefined {
  const child = firstChild(parent, name);
  return child === undefined ? undefined : textOf(child).trim();
}
