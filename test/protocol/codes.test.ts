import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, ERROR_CODES, EVENT_KINDS } from '../../protocol/src/index.js';

const errorsDoc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Codes listed in the doc as table rows: | `CODE` | meaning | */
function documentedCodes(): Set<string> {
  return new Set([...errorsDoc.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((match) => match[1] ?? ''));
}

describe('code registry', () => {
  it('documents every error code and event kind in docs/errors.md', () => {
    const documented = documentedCodes();
    for (const code of [...Object.keys(ERROR_CODES), ...Object.keys(EVENT_KINDS)]) {
      expect(documented, `${code} missing from docs/errors.md`).toContain(code);
    }
  });

  it('documents nothing that the registry does not define', () => {
    const known = new Set<string>([
      ...Object.keys(ERROR_CODES),
      ...Object.keys(EVENT_KINDS),
      ...Object.values(CLOSE_CODES).map((entry) => String(entry.code)),
    ]);
    for (const code of documentedCodes()) {
      expect(known, `docs/errors.md lists ${code}, which the registry does not define`).toContain(code);
    }
  });

  it('uses each close code once and only for registered errors', () => {
    const numbers = Object.values(CLOSE_CODES).map((entry) => entry.code);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const entry of Object.values(CLOSE_CODES)) expect(ERROR_CODES).toHaveProperty(entry.error);
  });

  it('documents every close code', () => {
    const documented = documentedCodes();
    for (const entry of Object.values(CLOSE_CODES)) expect(documented).toContain(String(entry.code));
  });
});
