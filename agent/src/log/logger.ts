// The agent's loggers: events with a fixed name and structured fields (`log.info('step_applied', { user, step })`),
// written as JSON lines to /Library/Logs/Untether/agent.log (size-capped, rotated) and, when a person is at a
// terminal, as readable lines on stderr. Every transport gets the same redaction first, so a secret can reach
// neither the file nor the screen. One process-wide root logger owns the transports; createLogger() returns
// a child that adds its `component`.
import path from 'node:path';
import winston from 'winston';
import { MAC_PATHS, systemPath } from '../system/paths.js';
import { renderEntry, type LogEntry, type LogLevel } from './entry.js';
import { SizeCappedFileTransport } from './file-transport.js';
import { redactValue } from './redact.js';

/** The current log file's name inside the log directory. */
export const LOG_FILE_NAME = 'agent.log';
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;

/** The Mac path of the current log file. */
export const LOG_FILE_MAC_PATH = path.posix.join(MAC_PATHS.logDir, LOG_FILE_NAME);

/** How the process logs. Every field has a default, so `configureLogging()` alone gives the daemon's setup. */
export interface LoggingOptions {
  level?: LogLevel;
  /** Readable lines on stderr: true, false, or 'auto' (only when stderr is a terminal). Default 'auto'. */
  console?: boolean | 'auto';
  /** Least severe level shown on the terminal (e.g. 'warn' for CLI commands). Default: `level`. */
  consoleLevel?: LogLevel;
  /** Real path of the log file, or false for none. Default: <system root>/Library/Logs/Untether/agent.log. */
  file?: string | false;
  maxFileBytes?: number;
  maxFiles?: number;
  /** Also log uncaught exceptions and unhandled rejections (the daemon). The file write is synchronous, so the entry survives the exit. */
  captureCrashes?: boolean;
}

const MESSAGE = Symbol.for('message');

/** Removes secrets from the whole entry; runs first in every transport's format. */
export const redactFormat = winston.format((info) => redactValue(info) as winston.Logform.TransformableInfo);

/** The stored shape: time, level, component, event, then the event's fields (see log/entry.ts). */
function toEntry(info: winston.Logform.TransformableInfo): LogEntry {
  const raw = info as Record<string, unknown>;
  if (raw.exception === true || raw.rejection === true) {
    // winston's crash entries carry the message in prose plus os/process/trace dumps: keep a fixed event and the error.
    return {
      time: new Date().toISOString(),
      level: String(raw.level),
      component: 'process',
      event: raw.rejection === true ? 'unhandled_rejection' : 'uncaught_exception',
      error: raw.error,
      pid: process.pid,
    };
  }
  const { level, message, component, timestamp: _timestamp, ...fields } = raw;
  const entry: LogEntry = {
    time: new Date().toISOString(),
    level: String(level),
    ...(typeof component === 'string' ? { component } : {}),
    event: String(message),
  };
  for (const [key, value] of Object.entries(fields)) {
    // A field named like a fixed one would overwrite it; keep it under another name.
    entry[key in entry ? `field_${key}` : key] = value;
  }
  return entry;
}

/** JSON lines for the file. */
export const jsonLineFormat = winston.format((info) => {
  (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(toEntry(info));
  return info;
});

/** Readable lines for a terminal. */
export const readableFormat = winston.format((info, options: unknown) => {
  const color = (options as { color?: boolean } | undefined)?.color ?? false;
  (info as Record<symbol, unknown>)[MESSAGE] = renderEntry(toEntry(info), { color });
  return info;
});

let root: winston.Logger | undefined;
let fileTransport: SizeCappedFileTransport | undefined;

function buildTransports(options: LoggingOptions): winston.transport[] {
  const transports: winston.transport[] = [];
  fileTransport = undefined;
  const file = options.file ?? systemPath(LOG_FILE_MAC_PATH);
  if (file !== false) {
    fileTransport = new SizeCappedFileTransport({
      filename: file,
      maxBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxFiles: options.maxFiles ?? DEFAULT_MAX_FILES,
      format: winston.format.combine(redactFormat(), jsonLineFormat()),
      handleExceptions: options.captureCrashes ?? false,
      handleRejections: options.captureCrashes ?? false,
    });
    transports.push(fileTransport);
  }
  const consoleWanted = options.console ?? 'auto';
  const tty = Boolean(process.stderr.isTTY);
  if (consoleWanted === true || (consoleWanted === 'auto' && tty)) {
    transports.push(
      new winston.transports.Console({
        // Everything to stderr: stdout belongs to the command's own output (JSON, <result> for Jamf).
        stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
        ...(options.consoleLevel === undefined ? {} : { level: options.consoleLevel }),
        format: winston.format.combine(redactFormat(), readableFormat({ color: tty })),
      }),
    );
  }
  return transports;
}

/**
 * Set up the process's logging (the daemon and the CLI call this once at start; calling again replaces the
 * transports). Loggers created before keep working: they are children of the same root.
 */
export function configureLogging(options: LoggingOptions = {}): winston.Logger {
  const transports = buildTransports(options);
  if (root === undefined) {
    // exitOnError: after logging an uncaught exception the process exits 1, so launchd restarts it cleanly
    // (KeepAlive SuccessfulExit=false) rather than a daemon running on in an unknown state.
    root = winston.createLogger({ level: options.level ?? 'info', transports, exitOnError: true });
  } else {
    root.clear();
    for (const transport of transports) root.add(transport);
    root.level = options.level ?? 'info';
  }
  return root;
}

/** The configuration's `logging` section (agent/src/config/schema.ts), as the daemon applies it at start and on change. */
export interface LoggingSettings {
  level: LogLevel;
  maxFileSizeMB: number;
  maxFiles: number;
}

/** Reconfigure logging from the configuration, keeping the other options (console, crash capture) as given. */
export function applyLoggingSettings(settings: LoggingSettings, options: LoggingOptions = {}): winston.Logger {
  return configureLogging({ ...options, level: settings.level, maxFileBytes: settings.maxFileSizeMB * 1024 * 1024, maxFiles: settings.maxFiles });
}

/** A logger for one component: `createLogger({ component: 'demobilize' }).info('step_applied', { user, step })`. */
export function createLogger(options: { component: string }): winston.Logger {
  return (root ?? configureLogging()).child({ component: options.component });
}

/** Change the level of every logger (the configuration's logging.level changed). */
export function setLogLevel(level: LogLevel): void {
  (root ?? configureLogging()).level = level;
}

/** Why the log file cannot be written (e.g. EACCES when not root), or undefined when it can. */
export function logFileProblem(): string | undefined {
  return fileTransport?.lastError?.message;
}

/** Close every transport (before exit); the file transport writes synchronously, so nothing is pending. */
export function closeLogging(): void {
  root?.close();
  root = undefined;
  fileTransport = undefined;
}
