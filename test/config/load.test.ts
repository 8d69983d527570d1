import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBinary } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE_PROBLEM_KEY, describeConfigProblem, enabledStages, loadConfig, resolveConfig } from '../../agent/src/config/load.js';
import { CONFIG_FILES, DEFAULT_AGENT_CONFIG } from '../../agent/src/config/schema.js';
import { clearSecretValues, redactString } from '../../agent/src/log/redact.js';
import { buildXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';

let root: string;

function write(file: 'managed' | 'local', content: PlistValue | Buffer | string, format: 'xml' | 'binary' = 'xml'): void {
  const target = path.join(root, CONFIG_FILES[file]);
  mkdirSync(path.dirname(target), { recursive: true });
  const data = Buffer.isBuffer(content) || typeof content === 'string' ? content : format === 'binary' ? Buffer.from(buildBinary(content)) : buildXmlPlist(content);
  writeFileSync(target, data);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'untether-config-'));
  setSystemRoot(root);
});

afterEach(() => {
  setSystemRoot(undefined);
  clearSecretValues();
  rmSync(root, { recursive: true, force: true });
});

const pilot = {
  server: { url: 'https://untether.example.com' },
  inventory: { enabled: true },
  demobilize: { enabled: true, when: 'login', users: ['jdoe'] },
  allowedCommands: { demobilize: true },
};

describe('loadConfig', () => {
  it('gives the all-off defaults and no problem when neither file exists', async () => {
    const loaded = await loadConfig();
    expect(loaded.config).toEqual(DEFAULT_AGENT_CONFIG);
    expect(loaded.problems).toEqual([]);
    expect(Object.values(loaded.origins).every((origin) => origin === 'default')).toBe(true);
    expect(enabledStages(loaded.config)).toEqual([]);
  });

  it('reads the managed preferences whether the profile wrote them as XML or binary', async () => {
    for (const format of ['xml', 'binary'] as const) {
      write('managed', pilot, format);
      const loaded = await loadConfig();
      expect(loaded.problems, format).toEqual([]);
      expect(loaded.config.demobilize).toMatchObject({ enabled: true, when: 'login', users: ['jdoe'] });
      expect(loaded.config.allowedCommands).toMatchObject({ rescan: true, demobilize: true, unbind: false });
      expect(enabledStages(loaded.config)).toEqual(['inventory', 'demobilize']);
      expect(loaded.origins.demobilize).toBe('managed');
    }
  });

  it('lets the profile win per top-level key, replacing the local key whole (no deep merge)', async () => {
    write('local', { logging: { level: 'debug' }, demobilize: { enabled: true, when: 'boot', allUsers: true } });
    write('managed', { demobilize: { enabled: false } });
    const loaded = await loadConfig();
    expect(loaded.config.logging.level).toBe('debug');
    expect(loaded.origins.logging).toBe('local');
    expect(loaded.config.demobilize).toMatchObject({ enabled: false, allUsers: false });
    expect(loaded.origins.demobilize).toBe('managed');
  });

  it('reports a bad key by name, turns that stage off, and still loads the valid rest', async () => {
    write('managed', { ...pilot, demobilize: { enabled: true, when: 'sometimes', users: ['jdoe'] }, unbind: { enabled: true } });
    const loaded = await loadConfig();
    expect(loaded.problems).toEqual([{ key: 'demobilize.when', source: 'managed', message: expect.stringMatching(/demobilize is off$/) }]);
    expect(describeConfigProblem(loaded.problems[0]!)).toMatch(/^demobilize\.when \(managed\): .*; demobilize is off$/);
    expect(loaded.config.demobilize.enabled).toBe(false);
    expect(loaded.config.unbind.enabled).toBe(true);
    expect(loaded.config.inventory.enabled).toBe(true);
    expect(loaded.config.server.url).toBe('https://untether.example.com');
  });

  it('names unknown keys at the top level and inside a section', async () => {
    write('managed', { demobilise: { enabled: true }, unbind: { enabeld: true } });
    const loaded = await loadConfig();
    expect(loaded.problems).toEqual([
      { key: 'demobilise', source: 'managed', message: 'unknown key; ignored' },
      { key: 'unbind.{enabeld}', source: 'managed', message: 'unknown key; unbind is off' },
    ]);
    expect(loaded.config.unbind.enabled).toBe(false);
  });

  it('falls back to defaults for a bad non-destructive key without touching the stages', async () => {
    write('managed', { ...pilot, logging: { level: 'verbose' }, inventory: { enabled: 'yes' } });
    const loaded = await loadConfig();
    expect(loaded.problems.map((problem) => problem.key)).toEqual(['inventory.enabled', 'logging.level']);
    expect(loaded.problems[1]!.message).toMatch(/logging uses its defaults$/);
    expect(loaded.config.logging.level).toBe('info');
    expect(loaded.config.demobilize.enabled).toBe(true);
  });

  it('turns every destructive key off when the profile cannot be read, even if the local file turns them on', async () => {
    write('managed', Buffer.from('bplist00 this is not a plist at all, only its magic'));
    write('local', { ...pilot, logging: { level: 'debug' } });
    const loaded = await loadConfig();
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatchObject({ key: FILE_PROBLEM_KEY, source: 'managed' });
    expect(loaded.problems[0]!.message).toMatch(/every destructive stage and command is off/);
    expect(loaded.config.demobilize.enabled).toBe(false);
    expect(loaded.config.allowedCommands.demobilize).toBe(false);
    // Non-destructive settings still come from the local file, so the agent can report the problem.
    expect(loaded.config.server.url).toBe('https://untether.example.com');
    expect(loaded.config.logging.level).toBe('debug');
  });

  it('reports a file whose top level is not a dictionary', async () => {
    write('local', ['not', 'a', 'dict']);
    const loaded = await loadConfig();
    expect(loaded.problems).toEqual([{ key: FILE_PROBLEM_KEY, source: 'local', message: expect.stringContaining('not a dictionary') }]);
    expect(loaded.config).toEqual(DEFAULT_AGENT_CONFIG);
  });

  it('never puts the enrollment secret in a problem, and registers it with the log redactor', async () => {
    const secret = 'enroll-9f8e7d6c5b4a';
    write('managed', { server: { url: 'ftp://nope', enrollmentSecret: secret } });
    const loaded = await loadConfig();
    expect(JSON.stringify(loaded.problems)).not.toContain(secret);
    expect(loaded.config.server.enrollmentSecret).toBeUndefined(); // the whole server key fell back
    write('managed', { server: { url: 'https://untether.example.com', enrollmentSecret: secret } });
    await loadConfig();
    expect(redactString(`sent ${secret} to the server`)).toBe('sent [REDACTED] to the server');
  });

  it('logs each problem as a config_problem event when given a logger', async () => {
    write('managed', { unbind: { enabled: 1 } });
    const events: Array<[string, unknown]> = [];
    const log = { warn: (event: string, fields: unknown) => events.push([event, fields]) } as unknown as import('winston').Logger;
    await loadConfig({ log });
    expect(events).toEqual([['config_problem', { key: 'unbind.enabled', source: 'managed', message: expect.any(String) }]]);
  });
});

describe('resolveConfig', () => {
  it('is pure: the same raw values give the same result', () => {
    const managed = { kind: 'read', dict: { unbind: { enabled: true } } } as const;
    const first = resolveConfig(managed, { kind: 'absent' });
    const second = resolveConfig(managed, { kind: 'absent' });
    expect(first).toEqual(second);
    expect(first.config.unbind.enabled).toBe(true);
  });
});
