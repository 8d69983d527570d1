// Takeover mappings (local account → cloud identity) from their three sources: the command line, a CSV
// file, or the server. Every value is checked the same way, whatever the source, and every problem is
// reported with the row it is on; nothing from a mapping is ever executed or interpreted.
//
// CSV format (header required, names case-insensitive, any order, UTF-8, comma-separated, RFC 4180 quoting):
//   local_user   optional  the local account's short name; empty = the account named like the cloud user
//   cloud_user   required  the user's name at the identity provider, e.g. jdoe@example.com
//   provider     optional  jamf-connect | xcreds | generic; empty = the command's --provider
//   issuer       optional  the IdP's OIDC issuer URL (https), e.g. https://login.microsoftonline.com/<tenant>/v2.0
//   subject      optional  the user's stable subject ("sub") at that issuer; needs issuer
import * as z from 'zod';
import { UntetherError } from '../errors.js';
import { CSV_LIMITS, decodeCsvBytes, parseCsv, type CsvLimits } from './csv.js';

/** The columns a mapping CSV may have. */
export const MAPPING_COLUMNS = ['local_user', 'cloud_user', 'provider', 'issuer', 'subject'] as const;

type Column = (typeof MAPPING_COLUMNS)[number];

/** The products a takeover links accounts for; generic writes Untether's own attributes. */
export const TAKEOVER_PROVIDERS = ['jamf-connect', 'xcreds', 'generic'] as const;

export type TakeoverProvider = (typeof TAKEOVER_PROVIDERS)[number];

export const takeoverProviderSchema = z.enum(TAKEOVER_PROVIDERS);

/** Length limits: macOS short names, e-mail addresses (RFC 5321: 254), issuer URLs, subjects. */
export const MAPPING_LIMITS = { localUser: 128, cloudUser: 254, issuer: 512, subject: 255 } as const;

/** Where a mapping came from, to name it in messages: "row 3 (line 4)", "the command line", "mapping 2". */
export interface MappingSource {
  kind: 'cli' | 'csv' | 'server';
  /** CSV: the row as a spreadsheet numbers it (the header is row 1); server: the 1-based index. */
  row: number | null;
  /** CSV: the line the row starts on, when it differs from the row (a quoted field spans lines). */
  line: number | null;
}

/** One requested link, checked: every value is plain text of a known shape. */
export interface Mapping {
  source: MappingSource;
  localUser: string | null;
  cloudUser: string;
  provider: TakeoverProvider | null;
  issuer: string | null;
  subject: string | null;
}

/** How a mapping is named in messages. */
export function describeSource(source: MappingSource): string {
  switch (source.kind) {
    case 'cli':
      return 'the command line';
    case 'server':
      return `server mapping ${source.row}`;
    case 'csv':
      return source.line !== null && source.line !== source.row ? `row ${source.row} (line ${source.line})` : `row ${source.row}`;
    default: {
      const unreachable: never = source.kind;
      return String(unreachable);
    }
  }
}

/** Mappings that cannot be used; every problem is listed, each with its row. */
export class MappingError extends UntetherError {
  readonly problems: string[];

  constructor(doing: string, problems: string[]) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    super('E_MAPPING_INVALID', `${doing}: ${shown.join('; ')}${more}; nothing was changed`);
    this.name = 'MappingError';
    this.problems = problems;
  }
}

// Spreadsheet formula injection: a cell starting with one of these (or a tab/CR before one) is run as a
// formula when a CSV is opened in Excel or Numbers. We never execute values, but a mapping file exported
// from or re-opened in a spreadsheet must not carry them, so they are refused, not "cleaned".
const FORMULA_START = /^[\t\r ]*[=+\-@]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LOCAL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const CLOUD_NAME = /^[A-Za-z0-9_][A-Za-z0-9._%+'-]*(@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)?$/;
const SUBJECT = /^[\x21-\x7e]+$/;

function controlName(text: string): string {
  const char = CONTROL.exec(text)![0];
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Check one value; returns the problem, or undefined. Empty optional values are fine. */
function checkValue(column: Column, raw: string): string | undefined {
  if (CONTROL.test(raw)) return `${column} contains a control character (${controlName(raw)})`;
  if (FORMULA_START.test(raw)) return `${column} starts with "${raw.trim()[0]}", which a spreadsheet runs as a formula; refused`;
  const value = raw.trim();
  if (value === '') return column === 'cloud_user' ? 'cloud_user is empty' : undefined;
  switch (column) {
    case 'local_user':
      if (value.length > MAPPING_LIMITS.localUser) return `local_user is longer than ${MAPPING_LIMITS.localUser} characters`;
      if (/[/\\]/.test(value)) return `local_user "${value}" contains a path separator`;
      if (!LOCAL_NAME.test(value) || value === '.' || value === '..') return `local_user "${value}" may only contain letters, digits, ".", "_" and "-" (not first)`;
      return undefined;
    case 'cloud_user':
      if (value.length > MAPPING_LIMITS.cloudUser) return `cloud_user is longer than ${MAPPING_LIMITS.cloudUser} characters`;
      if (/[/\\]/.test(value)) return `cloud_user "${value}" contains a path separator`;
      if (!CLOUD_NAME.test(value)) return `cloud_user "${value}" is not a user name or name@domain (ASCII letters, digits and . _ % + ' -)`;
      return undefined;
    case 'provider':
      return takeoverProviderSchema.safeParse(value).success ? undefined : `provider "${value}" is not one of ${TAKEOVER_PROVIDERS.join(', ')}`;
    case 'issuer': {
      if (value.length > MAPPING_LIMITS.issuer) return `issuer is longer than ${MAPPING_LIMITS.issuer} characters`;
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (url === undefined || url.protocol !== 'https:' || /\s/.test(value) || url.username !== '' || url.password !== '') return `issuer "${value}" is not an https URL`;
      return undefined;
    }
    case 'subject':
      if (value.length > MAPPING_LIMITS.subject) return `subject is longer than ${MAPPING_LIMITS.subject} characters`;
      if (!SUBJECT.test(value)) return `subject "${value}" may only contain printable ASCII without spaces`;
      return undefined;
    default: {
      const unreachable: never = column;
      return String(unreachable);
    }
  }
}

type RawMapping = Partial<Record<Column, string>>;

/** Check a raw mapping; returns the mapping or the list of problems (without the source label). */
function checkMapping(raw: RawMapping, source: MappingSource): { mapping: Mapping } | { problems: string[] } {
  const problems: string[] = [];
  for (const column of MAPPING_COLUMNS) {
    const problem = checkValue(column, raw[column] ?? '');
    if (problem !== undefined) problems.push(problem);
  }
  const value = (column: Column) => {
    const text = (raw[column] ?? '').trim();
    return text === '' ? null : text;
  };
  if (value('subject') !== null && value('issuer') === null) problems.push('subject needs an issuer (a subject is only unique at its issuer)');
  if (problems.length > 0) return { problems };
  return {
    mapping: {
      source,
      localUser: value('local_user'),
      cloudUser: value('cloud_user')!,
      provider: value('provider') as TakeoverProvider | null,
      issuer: value('issuer'),
      subject: value('subject'),
    },
  };
}

/** The mapping given with --local / --cloud-user (and --issuer / --subject); throws MappingError. */
export function mappingFromCli(values: { localUser?: string; cloudUser: string; provider?: string; issuer?: string; subject?: string }): Mapping {
  const checked = checkMapping(
    { local_user: values.localUser, cloud_user: values.cloudUser, provider: values.provider, issuer: values.issuer, subject: values.subject },
    { kind: 'cli', row: null, line: null },
  );
  if ('problems' in checked) throw new MappingError('checking the mapping on the command line', checked.problems);
  return checked.mapping;
}

/** Mappings sent by the server in a takeover command ({ localUser, identity }); throws MappingError. */
export function mappingsFromServer(list: ReadonlyArray<{ localUser: string; identity: string }>): Mapping[] {
  const mappings: Mapping[] = [];
  const problems: string[] = [];
  list.forEach((item, index) => {
    const source: MappingSource = { kind: 'server', row: index + 1, line: null };
    const checked = checkMapping({ local_user: item.localUser, cloud_user: item.identity }, source);
    if ('problems' in checked) problems.push(...checked.problems.map((problem) => `${describeSource(source)}: ${problem}`));
    else mappings.push(checked.mapping);
  });
  if (problems.length > 0) throw new MappingError('checking the mappings from the server', problems);
  return mappings;
}

function headerColumns(fields: readonly string[]): Column[] {
  const names = fields.map((field) => field.trim().toLowerCase());
  const unknown = names.filter((name) => !(MAPPING_COLUMNS as readonly string[]).includes(name));
  if (unknown.length === names.length) {
    throw new MappingError('reading the mapping CSV', [
      `the first row must be a header such as "local_user,cloud_user", found ${JSON.stringify(fields.join(',').slice(0, 80))}`,
    ]);
  }
  const problems: string[] = [];
  if (unknown.length > 0) {
    problems.push(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name.slice(0, 40))).join(', ')} in the header; known columns: ${MAPPING_COLUMNS.join(', ')}`);
  }
  const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
  if (duplicates.length > 0) problems.push(`column ${JSON.stringify(duplicates[0]!.slice(0, 40))} appears twice in the header`);
  if (!names.includes('cloud_user')) problems.push('the header has no cloud_user column');
  if (problems.length > 0) throw new MappingError('reading the mapping CSV', problems);
  return names as Column[];
}

/**
 * Parse and check a mapping CSV (bytes as read from disk). Every problem in the file is collected and
 * reported with its row; any problem refuses the whole file. Throws CsvError or MappingError.
 */
export function parseMappingCsv(bytes: Uint8Array, limits: CsvLimits = CSV_LIMITS): Mapping[] {
  const records = parseCsv(decodeCsvBytes(bytes, limits), limits);
  const [header, ...rows] = records;
  if (header === undefined) throw new MappingError('reading the mapping CSV', ['the file is empty; it needs a header row such as "local_user,cloud_user"']);
  const columns = headerColumns(header.fields);
  if (rows.length === 0) throw new MappingError('reading the mapping CSV', ['the file has a header but no mappings']);
  const mappings: Mapping[] = [];
  const problems: string[] = [];
  rows.forEach((record, index) => {
    const source: MappingSource = { kind: 'csv', row: index + 2, line: record.line };
    if (record.fields.length !== columns.length) {
      problems.push(`${describeSource(source)}: ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${columns.length}`);
      return;
    }
    const raw: RawMapping = {};
    columns.forEach((column, position) => {
      raw[column] = record.fields[position]!;
    });
    const checked = checkMapping(raw, source);
    if ('problems' in checked) problems.push(...checked.problems.map((problem) => `${describeSource(source)}: ${problem}`));
    else mappings.push(checked.mapping);
  });
  if (problems.length > 0) throw new MappingError('reading the mapping CSV', problems);
  return mappings;
}
