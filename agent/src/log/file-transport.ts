// A size-capped, rotating file transport for winston, our own rather than winston's File transport because
// (docs/decisions/2026-11-24-logging.md):
// - several processes write the same file (the daemon, and admins' `sudo untether ...` commands); winston's
//   transport keeps one file descriptor open and counts the size in memory, so after another process rotates,
//   it keeps writing into the renamed file and rotates on a stale count;
// - winston writes asynchronously, so the last entries before process.exit() (a fatal error under launchd)
//   are lost; here each line is appended synchronously (the agent logs tens of lines a minute at most);
// - winston's non-tailable naming puts the newest entries in the highest-numbered file.
// Files: agent.log (current), agent.log.1 (previous) ... agent.log.<maxFiles-1>. Each line is appended with
// O_APPEND in one write, so concurrent writers never interleave within a line.
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';

/** triple-beam's MESSAGE: the finished line a format produced. */
const MESSAGE = Symbol.for('message');

/** A single entry larger than this is replaced by a stub naming its size (an inventory dump at debug, say). */
export const MAX_LINE_BYTES = 64 * 1024;

/** Log file and directory modes: root only (entries name accounts); admins read them with sudo. Same as the pkg payload. */
export const LOG_FILE_MODE = 0o640;
export const LOG_DIRECTORY_MODE = 0o750;

export interface SizeCappedFileOptions extends TransportStream.TransportStreamOptions {
  /** Absolute path of the current file (already resolved under the system root). */
  filename: string;
  /** Rotate before a write would take the current file past this size. */
  maxBytes: number;
  /** Files kept, the current one included (at least 1). */
  maxFiles: number;
}

/** The rotated files of `filename`, newest first, current one first: agent.log, agent.log.1, ... */
export function rotatedFileNames(filename: string, maxFiles: number): string[] {
  return Array.from({ length: maxFiles }, (_, index) => (index === 0 ? filename : `${filename}.${index}`));
}

// winston exports the base class at runtime as Transport; its type declarations only name the module.
const TransportBase = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/** Appends each entry to a file and rotates by size; never throws into the logger (a log failure must not stop the agent). */
export class SizeCappedFileTransport extends TransportBase {
  readonly filename: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  /** The last write error, e.g. EACCES when a non-root command cannot write the log; undefined when writing works. */
  lastError: Error | undefined;

  constructor(options: SizeCappedFileOptions) {
    super(options);
    if (!path.isAbsolute(options.filename)) throw new TypeError(`log file: "${options.filename}" is not absolute`);
    if (!Number.isInteger(options.maxFiles) || options.maxFiles < 1) throw new RangeError(`log file: maxFiles ${options.maxFiles} is below 1`);
    if (!(options.maxBytes >= 1024)) throw new RangeError(`log file: maxBytes ${options.maxBytes} is below 1024`);
    this.filename = options.filename;
    this.maxBytes = options.maxBytes;
    this.maxFiles = options.maxFiles;
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    let line = `${String(info[MESSAGE] ?? '')}\n`;
    const bytes = Buffer.byteLength(line);
    if (bytes > MAX_LINE_BYTES) {
      line = `${JSON.stringify({ time: new Date().toISOString(), level: info.level, component: info.component, event: 'log_entry_too_large', dropped: info.message, bytes })}\n`;
    }
    try {
      this.append(line);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
    }
    this.emit('logged', info);
    callback();
  }

  private append(line: string): void {
    let size: number;
    try {
      size = statSync(this.filename).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(path.dirname(this.filename), { recursive: true, mode: LOG_DIRECTORY_MODE });
      size = 0;
    }
    if (size > 0 && size + Buffer.byteLength(line) > this.maxBytes) this.rotate();
    appendFileSync(this.filename, line, { mode: LOG_FILE_MODE });
    if (size === 0) chmodSync(this.filename, LOG_FILE_MODE); // the umask may have narrowed or widened the mode
  }

  /** agent.log.N-1 is dropped, each agent.log.i becomes agent.log.i+1, agent.log becomes agent.log.1. */
  private rotate(): void {
    const names = rotatedFileNames(this.filename, this.maxFiles);
    rmSync(names[names.length - 1]!, { force: true });
    for (let index = names.length - 2; index >= 0; index -= 1) {
      try {
        renameSync(names[index]!, names[index + 1]!);
      } catch (error) {
        // Another writer rotated first, or the file was never created: nothing to move.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
}
