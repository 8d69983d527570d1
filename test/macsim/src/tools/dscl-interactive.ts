// dscl's interactive mode: `dscl [-q] [-raw] [-plist] <node>` with no command reads commands from stdin,
// one per line, until EOF or a line that is exactly `exit`, `quit` or `q` (DSTools dscl.m
// `dscl_interactive`, [SOURCE], 10.5-era; modern builds UNCONFIRMED, see docs/decisions/2026-12-03-dscl-batches.md).
//
// What is modelled, from that source:
// - With -q there is no prompt and no line editor: each line is read up to "\n" into a 4096-byte buffer
//   (INPUT_LENGTH). A longer line overflows that buffer in the real tool; here it fails loudly (Unsupported).
// - Each line is split into words by `dscl_get_string` (tokenizeInteractiveLine below, quirks included) and
//   handed to the same command dispatcher as the argument-vector form: leading dashes are optional, every
//   verb prints exactly what it prints from argv (stdout/stderr), and a failing command does NOT stop the
//   ones after it.
// - The exit status is 0 at the end of input whatever the commands returned: a batch's status says nothing.
// Without -q dscl uses editline and prints a prompt; what editline does with a pipe is not modelled.
//
// Bookkeeping: every command is one line in calls.jsonl, recorded as its argv equivalent with
// `interactive: true` and the session's pid (processes are counted by pid); the session process itself is
// one more line (no command, not a write). Every write command counts against the armed faults exactly
// like one argv write would.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { EXIT_INTERNAL, FakeContext, Unsupported, type Invocation } from '../fake/context.js';
import type { CallRecord } from '../fake/main.js';
import type { FaultSpec } from '../faults.js';
import { appendJsonLine, LAYOUT } from '../store.js';

/** dscl.m INPUT_LENGTH: the line buffer of the non-editline reader (the terminating NUL included). */
export const INTERACTIVE_LINE_BYTES = 4096;

/** A hung command gives up after this long (as a hung argv call does). */
const HANG_CEILING_MS = 10 * 60_000;

const END_LINES = new Set(['exit', 'quit', 'q']);

/**
 * Split one interactive line into words the way dscl_get_string does:
 * - words are separated by spaces and tabs;
 * - a word that starts with `"` or `'` is quoted: it ends at the next unescaped `"` OR `'` (either kind),
 *   and may hold spaces and tabs;
 * - a backslash makes the next character literal (it never ends a word) and is then removed;
 * - quirk: when the FIRST character of a word (after its opening quote) is a backslash, the unescaping pass
 *   starts at the word's second backslash instead (the source uses index 0 as "no escape seen"), so that
 *   first escape stays in the value. Writers must not start a word with a backslash.
 */
export function tokenizeInteractiveLine(line: string): string[] {
  const words: string[] = [];
  let position = 0;
  for (;;) {
    while (line[position] === ' ' || line[position] === '\t') position += 1;
    if (position >= line.length) return words;
    const quoted = line[position] === '"' || line[position] === "'";
    if (quoted) position += 1;
    const start = position;
    let length = 0;
    let firstEscape = 0;
    for (;;) {
      const char = line[start + length];
      if (char === undefined) break;
      if (quoted && (char === '"' || char === "'")) break;
      if (!quoted && (char === ' ' || char === '\t')) break;
      if (char === '\\') {
        if (firstEscape === 0) firstEscape = length;
        length += 1;
        if (line[start + length] === undefined) break;
      }
      length += 1;
    }
    words.push(unescapeWord([...line.slice(start, start + length)], firstEscape));
    position = start + length + (quoted ? 1 : 0);
  }
}

/** The unescaping pass of dscl_get_string, index-0 quirk included (see tokenizeInteractiveLine). */
function unescapeWord(chars: string[], firstEscape: number): string {
  let escape = firstEscape;
  let end = chars.length;
  while (escape !== 0) {
    let index = escape + 1;
    if (chars[index] === '\\') index += 1;
    escape = 0;
    for (; index < end; index += 1) {
      chars[index - 1] = chars[index]!;
      if (chars[index] === '\\' && escape === 0) escape = index - 1;
    }
    end = index - 1;
  }
  return chars.slice(0, end).join('');
}

/** The options an interactive session was started with, as they would precede each command on argv. */
export interface InteractiveSession {
  options: string[];
  node: string;
  quiet: boolean;
}

type CommandHandler = (ctx: FakeContext) => Invocation;

/** SIGKILL the process that ran dscl (never init), as the kill-caller fault does for argv calls. */
function killCaller(): void {
  if (process.ppid > 1) process.kill(process.ppid, 'SIGKILL');
}

/**
 * Run an interactive session: every line of stdin through `runCommand` (the argv dispatcher), each command
 * recorded and fault-checked on its own. Returns 0 (dscl's status at the end of input).
 */
export function interactiveSession(parent: FakeContext, session: InteractiveSession, runCommand: CommandHandler): Invocation {
  if (!session.quiet) throw new Unsupported('interactive mode without -q (editline prompt on a pipe is not modelled)');
  return {
    isWrite: false,
    run: async () => {
      const lines = parent.stdin().split('\n');
      // The text after the last "\n" is a line too (fscanf reads it at end of input).
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) {
        if (Buffer.byteLength(line, 'utf8') >= INTERACTIVE_LINE_BYTES) {
          throw new Unsupported(`interactive line of ${Buffer.byteLength(line, 'utf8')} bytes (dscl reads lines into a ${INTERACTIVE_LINE_BYTES}-byte buffer)`);
        }
        if (line === '') continue;
        if (END_LINES.has(line)) break;
        const words = tokenizeInteractiveLine(line);
        if (words.length === 0) continue;
        await runOneCommand(parent, session, words, runCommand);
      }
      return 0;
    },
  };
}

/** Run one command of the session. */
async function runOneCommand(parent: FakeContext, session: InteractiveSession, words: string[], runCommand: CommandHandler): Promise<void> {
  const started = performance.now();
  // Recorded (and dispatched) as the argv call it is equivalent to: -q only concerns the prompt, and the
  // leading dash of a command is optional.
  const [command, ...rest] = words as [string, ...string[]];
  const args = [...session.options.filter((option) => option !== '-q'), session.node, command.startsWith('-') ? command : `-${command}`, ...rest];
  const ctx = new FakeContext('dscl', parent.root, args);
  const invocation = runCommand(ctx);
  let fault: FaultSpec | undefined;
  if (invocation.isWrite && ctx.isRoot) {
    const { takeFault } = await import('../faults.js');
    fault = takeFault(parent.root, 'dscl');
  }
  const record = (exitCode: number | null) => {
    const line: CallRecord & { interactive: true } = {
      ts: new Date().toISOString(),
      tool: 'dscl',
      args,
      exitCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      isWrite: invocation.isWrite,
      uid: ctx.uid,
      pid: process.pid,
      ppid: process.ppid,
      interactive: true,
    };
    if (fault) line.fault = { id: fault.id, mode: fault.mode, afterWrite: fault.afterWrite };
    appendJsonLine(path.join(parent.root, LAYOUT.calls), line);
  };
  if (fault?.mode === 'hang') {
    record(null);
    // Until the caller's timeout kills us; the ceiling only keeps a forgotten hang from outliving a CI job.
    await new Promise((resolve) => setTimeout(resolve, HANG_CEILING_MS));
    process.exit(EXIT_INTERNAL);
  }
  if (fault?.mode === 'kill-caller' && !fault.afterWrite) {
    record(null);
    killCaller();
    // The real dscl keeps reading what is already in its stdin: the rest of the batch still runs.
    return;
  }
  const exitCode = fault?.mode === 'fail' ? (invocation.fail ? invocation.fail(fault) : 1) : await invocation.run();
  record(exitCode);
  for (const text of ctx.stdoutParts) parent.out(text);
  for (const text of ctx.stderrParts) parent.err(text);
  if (fault?.mode === 'kill-caller' && fault.afterWrite) killCaller();
}
