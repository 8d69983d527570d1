// Many dscl commands through ONE /usr/bin/dscl process: `dscl -q -raw .` (or `-q -plist .`) with no command
// reads commands from stdin, one per line (docs/decisions/2026-12-03-dscl-batches.md). Two uses: the attribute writes of a batch of
// account changes, and reading every user and group at once.
//
// What the design relies on, and what it does not:
// - [SOURCE, 10.5-era dscl.m; UNCONFIRMED on current macOS] each stdin line is split into words by
//   dscl_get_string (quotes, backslash escapes); -q means no prompt; a line is read into a 4096-byte buffer;
//   a failing command prints its DS error on stderr and the next command still runs; the exit status is 0.
// - Nothing is decided from the batch: not its exit status, not its stderr. The transaction layer re-reads
//   the records afterwards and verification decides; stderr only enriches the problems it reports.
// - A value the interactive parser is not known to carry exactly (a newline or other control character, a
//   leading backslash or quote, a line near the buffer size) is written with the argument-vector form
//   instead, in its place in the order, so a batch never depends on an unconfirmed parsing rule.
import { parseDsclPlistRecords, type AttributeType, type RecordListing } from './directory-record.js';
import { parseDsErrorName } from './dscl-text.js';
import { SystemToolError } from './errors.js';
import { UnexpectedOutputError, parseToolOutput } from './output.js';
import { DEFAULT_TOOL_TIMEOUT_MS, runTool } from './run.js';

/** The attribute writes a batch carries (the verbs of dscl.ts's argv writes). */
export type DsclWriteVerb = 'create' | 'append' | 'merge' | 'delete' | 'change';

/** One attribute write: `<verb> <record path> <full attribute type> [values…]`. */
export interface DsclWrite {
  verb: DsclWriteVerb;
  path: string;
  attribute: AttributeType;
  values: readonly string[];
}

/** What running a list of writes did. Success is never read from here: re-read the records. */
export interface WriteBatchReport {
  /** dscl processes started (interactive batches plus argv fallbacks). */
  processes: number;
  /** Writes sent through an interactive batch. */
  batched: number;
  /** Writes sent as their own argv call (values the interactive parser is not known to carry). */
  viaArgv: number;
  /** DS error lines and failed processes, in order; empty does not mean every write landed. */
  problems: string[];
}

/** dscl.m INPUT_LENGTH is 4096 bytes with the NUL; stay well below it. */
export const MAX_BATCH_LINE_BYTES = 4000;
/** Lines per interactive process: bounds one process's stdin and the work a timeout would cut short. */
export const MAX_BATCH_LINES = 500;
/** A batch may take the usual tool time plus this per line (each line is an opendirectoryd round trip). */
const BATCH_TIME_PER_LINE_MS = 100;

const RECORD_PATH = /^\/(Users|Groups)\/[^/\n]+$/;
// Tab is fine inside a quoted word; every other control character (newline ends the line) goes via argv.
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * One word as dscl_get_string reads it back exactly: double-quoted, with `\`, `"` and `'` escaped by a
 * backslash (a quoted word ends at EITHER quote character). Undefined when the word cannot be carried: a
 * control character other than tab, or a first character that would need an escape (dscl's unescaping
 * skips an escape at index 0 of a word).
 */
export function quoteBatchWord(word: string): string | undefined {
  if (UNSAFE_CHARACTER.test(word)) return undefined;
  if (/^["'\\]/.test(word)) return undefined;
  return `"${word.replace(/["'\\]/g, (char) => `\\${char}`)}"`;
}

/** The interactive line of a write, or undefined when it must go through argv instead. */
export function batchLine(write: DsclWrite): string | undefined {
  if (!RECORD_PATH.test(write.path)) throw new TypeError(`directory record path: "${write.path}" is not /Users/<name> or /Groups/<name>`);
  const words = [write.path, write.attribute, ...write.values].map(quoteBatchWord);
  if (words.some((word) => word === undefined)) return undefined;
  const line = `${write.verb} ${words.join(' ')}`;
  return Buffer.byteLength(line, 'utf8') <= MAX_BATCH_LINE_BYTES ? line : undefined;
}

/** DS error lines of a dscl run's stderr (the lines verification's problems quote). */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

async function runInteractive(lines: readonly string[], report: WriteBatchReport): Promise<void> {
  report.processes += 1;
  report.batched += lines.length;
  const result = await runTool('dscl', ['-q', '-raw', '.'], { input: `${lines.join('\n')}\n`, timeoutMs: DEFAULT_TOOL_TIMEOUT_MS + lines.length * BATCH_TIME_PER_LINE_MS });
  report.problems.push(...errorLines(result.stderr).map((line) => `dscl batch: ${line}`));
  if (result.failed) report.problems.push(`dscl batch of ${lines.length} write(s): ${SystemToolError.fromResult(result).message}`);
}

async function runArgv(write: DsclWrite, report: WriteBatchReport): Promise<void> {
  report.processes += 1;
  report.viaArgv += 1;
  const result = await runTool('dscl', ['-raw', '.', `-${write.verb}`, write.path, write.attribute, ...write.values]);
  if (result.failed) report.problems.push(`dscl -${write.verb} ${write.path} ${write.attribute}: ${SystemToolError.fromResult(result).message}`);
}

/**
 * Run writes in order: runs of writes the interactive parser carries exactly go through one `dscl -q -raw .`
 * process each, any other write through its own argv call at its place. A failing write does not stop the
 * ones after it (as in dscl's interactive mode). Never throws for a failed write: callers verify by re-reading.
 */
export async function runWrites(writes: readonly DsclWrite[]): Promise<WriteBatchReport> {
  const report: WriteBatchReport = { processes: 0, batched: 0, viaArgv: 0, problems: [] };
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length > 0) await runInteractive(pending, report);
    pending = [];
  };
  for (const write of writes) {
    const line = batchLine(write);
    if (line === undefined) {
      await flush();
      await runArgv(write, report);
      continue;
    }
    pending.push(line);
    if (pending.length >= MAX_BATCH_LINES) await flush();
  }
  await flush();
  return report;
}

/** Split stdout holding several XML plists (one per command) into the documents. */
export function splitPlistDocuments(raw: string): string[] {
  const documents: string[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('</plist>');
    if (end < 0) break;
    documents.push(rest.slice(0, end + '</plist>'.length));
    rest = rest.slice(end + '</plist>'.length);
  }
  if (rest.trim() !== '') throw new UnexpectedOutputError(`text after the last plist: ${rest.trim().slice(0, 120)}`);
  return documents;
}

/** Every user and group record. */
export interface UsersAndGroups {
  users: RecordListing;
  groups: RecordListing;
}

/**
 * Every user and every group with ONE dscl process (`dscl -q -plist .` reading `readall /Users` and
 * `readall /Groups` from stdin). A DS error (opendirectoryd not answering, …) throws like an argv readall
 * would. Output that is not exactly two plists (an unconfirmed interactive format) falls back to the two
 * argv reads, which the callers used before.
 */
export async function readUsersAndGroups(fallback: () => Promise<UsersAndGroups>): Promise<UsersAndGroups> {
  const result = await runTool('dscl', ['-q', '-plist', '.'], { input: 'readall /Users\nreadall /Groups\n' });
  if (result.failed || parseDsErrorName(result.stderr) !== undefined || /DS Error/.test(result.stderr)) {
    throw result.failed ? SystemToolError.fromResult(result) : SystemToolError.badOutput(result, `DS error while reading users and groups: ${result.stderr.trim().slice(0, 200)}`);
  }
  let parsed: UsersAndGroups | undefined;
  try {
    const documents = splitPlistDocuments(result.stdout);
    if (documents.length === 2) {
      const [users, groups] = documents.map((document) => parseToolOutput({ ...result, stdout: `${document.trimStart()}\n` }, parseDsclPlistRecords)) as [RecordListing, RecordListing];
      parsed = { users, groups };
    }
  } catch (error) {
    if (!(error instanceof UnexpectedOutputError || (error instanceof SystemToolError && error.code === 'E_TOOL_OUTPUT'))) throw error;
  }
  // Not the two plists this format was expected to give: the argv reads decide (and throw if they fail too).
  return parsed ?? fallback();
}
