import { describe, expect, it } from 'vitest';
import { CSV_LIMITS, CsvError, parseCsv } from '../../agent/src/takeover/csv.js';
import { MappingError, mappingFromCli, mappingsFromServer, parseMappingCsv } from '../../agent/src/takeover/mapping.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error.problems;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields, doubled quotes, commas and line breaks inside quotes', () => {
    const records = parseCsv('a,"b,c","say ""hi"""\r\n"multi\r\nline",x,\n');
    expect(records).toEqual([
      { fields: ['a', 'b,c', 'say "hi"'], line: 1 },
      { fields: ['multi\r\nline', 'x', ''], line: 2 },
    ]);
  });

  it('accepts LF, CRLF and lone CR line ends, a BOM, blank lines and no final newline', () => {
    expect(parseCsv('\uFEFFa,b\n\nc,d\re,f').map((record) => record.fields)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
  });

  it('numbers lines across quoted line breaks', () => {
    expect(parseCsv('h\n"x\ny"\nz\n').map((record) => record.line)).toEqual([1, 2, 4]);
  });

  it('refuses a stray quote, text after a closing quote and an unclosed quote, naming the line', () => {
    expect(() => parseCsv('h\nab"c\n')).toThrow(/line 2: a quote inside an unquoted field/);
    expect(() => parseCsv('h\n"ab"c\n')).toThrow(/line 2: text after a closing quote/);
    expect(() => parseCsv('h\nx\n"open\nstill open')).toThrow(/line 3: a quoted field is never closed/);
  });

  it('stops at the row, field and size limits', () => {
    const limits = { ...CSV_LIMITS, maxRows: 3, maxFieldLength: 10, maxFields: 4 };
    expect(() => parseCsv('h\n1\n2\n3\n4\n', limits)).toThrow(/more than 3 rows/);
    expect(() => parseCsv(`h\n${'x'.repeat(11)}\n`, limits)).toThrow(/longer than 10 characters/);
    expect(() => parseCsv('a,b,c,d,e\n', limits)).toThrow(/more than 4 fields/);
    expect(() => parseMappingCsv(new Uint8Array(CSV_LIMITS.maxBytes + 1))).toThrow(CsvError);
    expect(() => parseMappingCsv(new Uint8Array(CSV_LIMITS.maxBytes + 1))).toThrow(/limit is 5242880 bytes/);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parseMappingCsv(new Uint8Array([0x63, 0x6c, 0xff, 0x0a]))).toThrow(/not UTF-8/);
  });
});

describe('parseMappingCsv', () => {
  it('reads local_user and cloud_user in any order and case, trimming spaces', () => {
    const mappings = parseMappingCsv(bytes('Cloud_User , LOCAL_USER\r\n jdoe@example.com ,jdoe\r\nasmith@example.com,\r\n'));
    expect(mappings).toEqual([
      { source: { kind: 'csv', row: 2, line: 2 }, localUser: 'jdoe', cloudUser: 'jdoe@example.com', provider: null, issuer: null, subject: null },
      { source: { kind: 'csv', row: 3, line: 3 }, localUser: null, cloudUser: 'asmith@example.com', provider: null, issuer: null, subject: null },
    ]);
  });

  it('reads provider, issuer and subject', () => {
    const [mapping] = parseMappingCsv(bytes('local_user,cloud_user,provider,issuer,subject\njdoe,jdoe@example.com,xcreds,https://login.example.com/v2.0,00u1abcd\n'));
    expect(mapping).toMatchObject({ provider: 'xcreds', issuer: 'https://login.example.com/v2.0', subject: '00u1abcd' });
  });

  it('requires a header and names unknown columns', () => {
    expect(problemsOf(() => parseMappingCsv(bytes('jdoe,jdoe@example.com\n')))[0]).toMatch(/first row must be a header/);
    expect(problemsOf(() => parseMappingCsv(bytes('local_user,cloud_user,password,Notes\njdoe,j@x.io,secret,hi\n')))[0]).toBe(
      'unknown columns "password", "notes" in the header; known columns: local_user, cloud_user, provider, issuer, subject',
    );
    expect(problemsOf(() => parseMappingCsv(bytes('local_user,local_user\nx,y\n')))).toEqual([
      'column "local_user" appears twice in the header',
      'the header has no cloud_user column',
    ]);
    expect(problemsOf(() => parseMappingCsv(bytes('')))[0]).toMatch(/empty/);
    expect(problemsOf(() => parseMappingCsv(bytes('local_user,cloud_user\n')))[0]).toMatch(/no mappings/);
  });

  it('refuses spreadsheet formulas, control characters, slashes and over-long names, with their rows', () => {
    const csv = [
      'local_user,cloud_user',
      'jdoe,"=HYPERLINK(""http://evil"",""x"")"',
      '"@SUM(A1)",asmith@example.com',
      'bob,"\t+cmd|calc"',
      'eve,"-2+3"',
      '../root,eve@example.com',
      'mal\u0007lory,mallory@example.com',
      `${'a'.repeat(129)},long@example.com`,
      'ok,"line\nbreak@example.com"',
      'fine,fine@example.com',
    ].join('\n');
    const problems = problemsOf(() => parseMappingCsv(bytes(csv)));
    expect(problems).toEqual([
      'row 2: cloud_user starts with "=", which a spreadsheet runs as a formula; refused',
      'row 3: local_user starts with "@", which a spreadsheet runs as a formula; refused',
      'row 4: cloud_user contains a control character (U+0009)',
      'row 5: cloud_user starts with "-", which a spreadsheet runs as a formula; refused',
      'row 6: local_user "../root" contains a path separator',
      'row 7: local_user contains a control character (U+0007)',
      'row 8: local_user is longer than 128 characters',
      'row 9: cloud_user contains a control character (U+000A)',
    ]);
  });

  it('refuses a formula with unquoted quotes at the CSV level, naming its line', () => {
    expect(() => parseMappingCsv(bytes('local_user,cloud_user\njdoe,=HYPERLINK("http://evil","x")\n'))).toThrow(/line 2: a quote inside an unquoted field/);
  });

  it('names the line when a quoted field spans lines, and a wrong number of fields', () => {
    const problems = problemsOf(() => parseMappingCsv(bytes('local_user,cloud_user,subject\n"a\nb",x@y.io,s\njdoe,jdoe@example.com\n')));
    expect(problems).toContain('row 3 (line 4): 2 fields, the header has 3');
    expect(problems.some((problem) => problem.startsWith('row 2: local_user contains a control character'))).toBe(true);
  });

  it('refuses an unknown provider, a non-https issuer and a subject without an issuer', () => {
    const problems = problemsOf(() =>
      parseMappingCsv(bytes('cloud_user,provider,issuer,subject\na@x.io,okta,,\nb@x.io,,http://idp.example.com,\nc@x.io,,,sub-1\nd@x.io,,https://user:pw@idp.example.com,\n')),
    );
    expect(problems).toEqual([
      'row 2: provider "okta" is not one of jamf-connect, xcreds, generic',
      'row 3: issuer "http://idp.example.com" is not an https URL',
      'row 4: subject needs an issuer (a subject is only unique at its issuer)',
      'row 5: issuer "https://user:pw@idp.example.com" is not an https URL',
    ]);
  });

  it('caps the message but keeps every problem', () => {
    const rows = Array.from({ length: 30 }, (_, index) => `=x${index},a${index}@x.io`);
    try {
      parseMappingCsv(bytes(`local_user,cloud_user\n${rows.join('\n')}\n`));
      expect.unreachable();
    } catch (error) {
      expect((error as MappingError).problems).toHaveLength(30);
      expect((error as MappingError).message).toMatch(/and 10 more; nothing was changed$/);
    }
  });

  it('handles a large file of 100 000 rows within the limits', () => {
    const rows = Array.from({ length: 100_000 }, (_, index) => `u${index},u${index}@example.com`);
    const started = performance.now();
    expect(parseMappingCsv(bytes(`local_user,cloud_user\n${rows.join('\n')}\n`))).toHaveLength(100_000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('mappings from the command line and the server', () => {
  it('checks the command line mapping the same way', () => {
    expect(mappingFromCli({ localUser: 'jdoe', cloudUser: 'JDoe@Example.com' })).toMatchObject({ source: { kind: 'cli' }, localUser: 'jdoe', cloudUser: 'JDoe@Example.com' });
    expect(() => mappingFromCli({ localUser: 'a/b', cloudUser: 'x@y.io' })).toThrow(/checking the mapping on the command line: local_user "a\/b" contains a path separator/);
  });

  it('checks server mappings and names them by position', () => {
    expect(mappingsFromServer([{ localUser: 'jdoe', identity: 'jdoe@example.com' }])).toHaveLength(1);
    expect(() => mappingsFromServer([{ localUser: 'ok', identity: 'ok@x.io' }, { localUser: 'x', identity: '=cmd' }])).toThrow(/server mapping 2: cloud_user starts with "="/);
  });
});
