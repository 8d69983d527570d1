// The simulator's own XML plist codec (the fakes cannot afford to load the plist package).
import { describe, expect, it } from 'vitest';
import { parseXmlPlist, toXmlPlist } from './src/index.js';

describe('toXmlPlist', () => {
  it('writes like CoreFoundation: header, tabs, sorted keys, %.17g reals, empty containers', () => {
    expect(
      toXmlPlist({ b: [1, 719346785.95490503, true], a: 'x < y & z', Z: [], d: {}, e: new Uint8Array([0, 1, 2]) }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
        '<plist version="1.0">\n<dict>\n' +
        '\t<key>Z</key>\n\t<array/>\n' +
        '\t<key>a</key>\n\t<string>x &lt; y &amp; z</string>\n' +
        '\t<key>b</key>\n\t<array>\n\t\t<integer>1</integer>\n\t\t<real>719346785.95490503</real>\n\t\t<true/>\n\t</array>\n' +
        '\t<key>d</key>\n\t<dict/>\n' +
        '\t<key>e</key>\n\t<data>\n\tAAEC\n\t</data>\n' +
        '</dict>\n</plist>\n',
    );
  });
});

describe('parseXmlPlist', () => {
  it('round-trips every type', () => {
    const value = { s: 'é "q" <>', n: -5, r: 0.5, t: true, f: false, a: ['x', ''], d: { k: new Uint8Array([255]) }, when: new Date('2024-01-02T03:04:05Z') };
    expect(parseXmlPlist(toXmlPlist(value))).toEqual(value);
  });

  it('accepts comments, CDATA, entities, self-closing strings and a bare top-level element', () => {
    expect(parseXmlPlist('<!-- c --><dict><key>a</key><string><![CDATA[<x>]]>&#65;&apos;</string><key>b</key><string/></dict>')).toEqual({ a: "<x>A'", b: '' });
  });

  it('rejects malformed documents', () => {
    for (const bad of ['', '<dict><key>a</key></dict>', '<array><string>x</array>', '<plist><dict/><dict/></plist>', '<dict><key>__proto__</key><string/></dict>', 'junk', '<foo/>']) {
      expect(() => parseXmlPlist(bad), bad).toThrow(/parsing XML plist/);
    }
  });
});
