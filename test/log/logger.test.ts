import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearSecretValues, registerSecretValue } from '../../agent/src/log/redact.js';
import { SizeCappedFileTransport, rotatedFileNames } from '../../agent/src/log/file-transport.js';
import { applyLoggingSettings, closeLogging, configureLogging, createLogger, jsonLineFormat, logFileProblem, readableFormat, redactFormat, setLogLevel } from '../../agent/src/log/logger.js';
import { readLog } from '../../agent/src/log/read.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import winston from 'winston';

const MESSAGE = Symbol.for('message');
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let root: string;
let file: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'untether-log-'));
  file = path.join(root, 'Library/Logs/Untether/agent.log');
  setSystemRoot(root);
});

afterEach(() => {
  closeLogging();
  clearSecretValues();
  setSystemRoot(undefined);
  rmSync(root, { recursive: true, force: true });
});

const lines = (target = file) => readFileSync(target, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('logger', () => {
  it('writes JSON lines with time, level, component, event and the structured fields, under the system root', () => {
    configureLogging({ console: false });
    createLogger({ component: 'demobilize' }).info('step_applied', { user: 'jdoe', step: 'snapshot', durationMs: 12 });
    const [entry] = lines();
    expect(Object.keys(entry!)).toEqual(['time', 'level', 'component', 'event', 'user', 'step', 'durationMs']);
    expect(entry).toMatchObject({ level: 'info', component: 'demobilize', event: 'step_applied', user: 'jdoe', step: 'snapshot', durationMs: 12 });
    expect(Date.parse(String(entry!.time))).not.toBeNaN();
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('never lets a secret reach the file: by key, by value shape, by registered value, inside errors', () => {
    configureLogging({ console: false });
    registerSecretValue('enroll-s3cret-42');
    const log = createLogger({ component: 'link' });
    log.info('enrolling', { server: { url: 'https://u.example', enrollmentSecret: 'enroll-s3cret-42' }, headers: { authorization: 'Bearer tok-123456789' } });
    log.warn('enroll_failed', { detail: 'server echoed enroll-s3cret-42', error: new Error('401 for Bearer tok-123456789') });
    log.error('odd', { note: 'url https://admin:pa55w0rd@u.example/x', token: 'abcdef' });
    const text = readFileSync(file, 'utf8');
    for (const secret of ['enroll-s3cret-42', 'tok-123456789', 'pa55w0rd', 'abcdef"']) expect(text).not.toContain(secret);
    expect(text.match(/\[REDACTED\]/g)!.length).toBeGreaterThanOrEqual(6);
  });

  it('shows readable lines on a terminal through the same redaction', () => {
    process.env.TZ = 'UTC';
    const info = { level: 'warn', message: 'config_problem', component: 'config', key: 'demobilize.when', detail: 'two words', password: 'x1y2z3' };
    const out = winston.format.combine(redactFormat(), readableFormat({ color: false })).transform(info) as Record<symbol, string>;
    expect(out[MESSAGE]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARN  config +config_problem key=demobilize\.when detail="two words" password=\[REDACTED\]$/);
  });

  it('keeps caller fields named like the fixed ones without overwriting them', () => {
    const info = { level: 'info', message: 'x', component: 'c', time: 'caller time', event: 'caller event' };
    const out = jsonLineFormat().transform(info) as Record<symbol, string>;
    expect(JSON.parse(out[MESSAGE]!)).toMatchObject({ event: 'x', field_time: 'caller time', field_event: 'caller event' });
  });

  it('follows a level change for every component logger', () => {
    configureLogging({ console: false, level: 'info' });
    const log = createLogger({ component: 'daemon' });
    log.debug('hidden');
    setLogLevel('debug');
    log.debug('shown');
    expect(lines().map((entry) => entry.event)).toEqual(['shown']);
  });

  it('applies the configuration\'s logging section: level, size and file count', () => {
    applyLoggingSettings({ level: 'warn', maxFileSizeMB: 1, maxFiles: 2 }, { console: false });
    const log = createLogger({ component: 'daemon' });
    log.info('hidden');
    log.warn('shown');
    expect(lines().map((entry) => entry.event)).toEqual(['shown']);
  });

  it('rotates by size, keeps at most maxFiles files, and the reader returns every kept entry in order', async () => {
    configureLogging({ console: false, maxFileBytes: 2048, maxFiles: 3 });
    const log = createLogger({ component: 'test' });
    for (let index = 0; index < 200; index += 1) log.info('tick', { index, pad: 'x'.repeat(40) });
    const names = readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['agent.log', 'agent.log.1', 'agent.log.2']);
    for (const name of names) expect(statSync(path.join(path.dirname(file), name)).size).toBeLessThanOrEqual(2048);
    const read = await readLog(file, {}, 10_000);
    const indexes = read.entries.map(({ entry }) => entry.index as number);
    expect(indexes.at(-1)).toBe(199);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, offset) => indexes[0]! + offset));
  });

  it('keeps a single file when maxFiles is 1, and names rotated files agent.log.N', () => {
    expect(rotatedFileNames('/l/agent.log', 3)).toEqual(['/l/agent.log', '/l/agent.log.1', '/l/agent.log.2']);
    const transport = new SizeCappedFileTransport({ filename: file, maxBytes: 1024, maxFiles: 1, format: jsonLineFormat() });
    const log = winston.createLogger({ transports: [transport] });
    for (let index = 0; index < 50; index += 1) log.info('tick', { index, pad: 'y'.repeat(40) });
    expect(readdirSync(path.dirname(file))).toEqual(['agent.log']);
  });

  it('survives a writer that cannot write (a non-root command) without throwing, and says why', () => {
    writeFileSync(path.join(root, 'Library'), 'a file where a directory should be');
    configureLogging({ console: false });
    expect(() => createLogger({ component: 'cli' }).info('anything')).not.toThrow();
    expect(existsSync(file)).toBe(false);
    expect(logFileProblem()).toMatch(/ENOTDIR|EEXIST/);
  });

  it('replaces an oversized entry by a stub naming its size', () => {
    configureLogging({ console: false });
    createLogger({ component: 'inventory' }).debug('huge');
    createLogger({ component: 'inventory' }).info('inventory_dump', { blob: 'z'.repeat(100_000) });
    expect(lines()).toEqual([expect.objectContaining({ event: 'log_entry_too_large', dropped: 'inventory_dump', bytes: expect.any(Number) })]);
  });

  it('has the last entry on disk when the process exits right after logging (synchronous writes)', async () => {
    const built = path.join(projectRoot, 'dist/agent/src/log/logger.js');
    if (!existsSync(built)) throw new Error('run "npm run build" first: this test starts the built logger in a child process');
    const script = `import { configureLogging, createLogger } from ${JSON.stringify(built)};
configureLogging({ console: false, file: ${JSON.stringify(file)} });
createLogger({ component: 'daemon' }).error('fatal', { code: 'E_X' });
process.exit(1);`;
    const child = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    expect(child.exitCode).toBe(1);
    expect(lines()).toEqual([expect.objectContaining({ event: 'fatal', code: 'E_X' })]);
  });

  it('logs an uncaught exception, redacted, and exits 1 when asked to capture crashes (the daemon)', async () => {
    const built = path.join(projectRoot, 'dist/agent/src/log/logger.js');
    const script = `import { configureLogging } from ${JSON.stringify(built)};
configureLogging({ console: false, captureCrashes: true, file: ${JSON.stringify(file)} });
setTimeout(() => { throw new Error('boom with Bearer abcdefghijklmnop'); }, 0);`;
    const child = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, timeout: 20_000 });
    expect(child.exitCode).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(lines()).toEqual([expect.objectContaining({ level: 'error', component: 'process', event: 'uncaught_exception', error: expect.objectContaining({ name: 'Error' }) })]);
    expect(text).toContain('boom with Bearer [REDACTED]');
    expect(text).not.toContain('abcdefghijklmnop');
  });
});
