// A small RFC 4180 CSV reader for takeover mappings: quoted fields, doubled quotes, CRLF or LF (or a lone
// CR from old spreadsheets), a UTF-8 byte-order mark. Strict where the RFC is: a quote inside an unquoted
// field or text after a closing quote is an error with its line, never a guess. Bounded: bytes, rows and
// field length are capped before anything is kept, so a hostile file cannot exhaust memory.
import { UntetherError } from '../errors.js';

/** Limits for a mapping file. */
export const CSV_LIMITS = {
  /** 5 MB holds ~100 000 mappings of ordinary length. */
  maxBytes: 5 * 1024 * 1024,
  maxRows: 100_000,
  /** Longer than any name, issuer URL or subject a mapping can hold; the mapping checks tighter limits. */
  maxFieldLength: 2048,
  maxFields: 32,
} as const;

export type CsvLimits = { [K in keyof typeof CSV_LIMITS]: number };

/** One record of the file and the line it starts on (1-based; a quoted field may span lines). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A file that is not CSV we accept; the message names the line. */
export class CsvError extends UntetherError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('E_MAPPING_CSV', `reading the mapping CSV: ${message}`, options);
    this.name = 'CsvError';
  }
}

/** Decode bytes as UTF-8 (a BOM is dropped); invalid UTF-8 is an error, never replacement characters. */
export function decodeCsvBytes(bytes: Uint8Array, limits: CsvLimits = CSV_LIMITS): string {
  if (bytes.byteLength > limits.maxBytes) {
    throw new CsvError(`the file is ${bytes.byteLength} bytes; the limit is ${limits.maxBytes} bytes (${limits.maxRows} rows); split it`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw new CsvError('the file is not UTF-8 text; save it as "CSV UTF-8"', { cause: error });
  }
}

/** Parse CSV text into records. Blank lines are skipped. Throws CsvError naming the line. */
export function parseCsv(text: string, limits: CsvLimits = CSV_LIMITS): CsvRecord[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (input.length > limits.maxBytes) throw new CsvError(`the text is longer than ${limits.maxBytes} characters`);
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let afterQuote = false;
  let i = 0;

  const pushField = () => {
    if (fields.length >= limits.maxFields) throw new CsvError(`line ${recordLine}: more than ${limits.maxFields} fields`);
    fields.push(field);
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    pushField();
    const blank = fields.length === 1 && fields[0] === '';
    if (!blank) {
      if (records.length >= limits.maxRows + 1) throw new CsvError(`more than ${limits.maxRows} rows; split the file`);
      records.push({ fields, line: recordLine });
    }
    fields = [];
  };
  const append = (char: string) => {
    if (field.length >= limits.maxFieldLength) throw new CsvError(`line ${line}: a field is longer than ${limits.maxFieldLength} characters`);
    field += char;
  };

  while (i < input.length) {
    const char = input[i]!;
    if (quoted) {
      if (char === '"') {
        if (input[i + 1] === '"') {
          append('"');
          i += 2;
          continue;
        }
        quoted = false;
        afterQuote = true;
        i += 1;
        continue;
      }
      if (char === '\n' || (char === '\r' && input[i + 1] !== '\n')) line += 1;
      append(char);
      i += 1;
      continue;
    }
    if (char === ',') {
      pushField();
      i += 1;
      continue;
    }
    if (char === '\r' || char === '\n') {
      endRecord();
      i += char === '\r' && input[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
      continue;
    }
    if (afterQuote) throw new CsvError(`line ${line}: text after a closing quote; a quoted field must end at a comma or the end of the line`);
    if (char === '"') {
      if (field !== '') throw new CsvError(`line ${line}: a quote inside an unquoted field; quote the whole field and double the quote ("")`);
      quoted = true;
      quoteLine = line;
      i += 1;
      continue;
    }
    append(char);
    i += 1;
  }
  if (quoted) throw new CsvError(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0 || afterQuote) endRecord();
  return records;
}
