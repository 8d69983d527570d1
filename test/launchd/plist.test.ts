import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { isSecretKey } from '../../agent/src/log/redact.js';
import { MAC_PATHS } from '../../agent/src/system/paths.js';
import { launchdPaths } from '../../scripts/pkg/check-payload.js';
import { DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS, LAUNCHD_LABEL, payloadItems } from '../../scripts/pkg/layout.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = path.join(repoRoot, 'launchd', 'io.untether.agent.plist');
const text = readFileSync(file, 'utf8');
const job = parse(text) as Record<string, unknown>;

describe('launchd/io.untether.agent.plist', () => {
  it('is named after its label, as launchd.plist(5) expects', () => {
    expect(job.Label).toBe('io.untether.agent');
    expect(path.basename(file)).toBe(`${LAUNCHD_LABEL}.plist`);
    expect(INSTALL_PATHS.launchDaemon).toBe(`/Library/LaunchDaemons/${job.Label}.plist`);
  });

  it('has exactly the keys we decided on, each with its type', () => {
    expect(Object.keys(job).sort()).toEqual(
      [
        'AssociatedBundleIdentifiers',
        'ExitTimeOut',
        'KeepAlive',
        'Label',
        'ProcessType',
        'ProgramArguments',
        'RunAtLoad',
        'StandardErrorPath',
        'StandardOutPath',
        'ThrottleInterval',
        'WorkingDirectory',
      ].sort(),
    );
    // The shipped runtime directly on the bundle: no shell in between (launchd's pid is the agent's). V8's lite
    // mode keeps the idle daemon small (docs/decisions/2026-12-03-daemon-lite-mode.md).
    expect(job.ProgramArguments).toEqual([INSTALL_PATHS.runtime, ...DAEMON_RUNTIME_OPTIONS, INSTALL_PATHS.bundle, 'daemon']);
    expect(job.RunAtLoad).toBe(true);
    // Restart after a crash or a failing exit; a deliberate exit 0 stays down (docs/decisions/2026-11-24-packaging.md).
    expect(job.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(Number.isInteger(job.ThrottleInterval)).toBe(true);
    expect(job.ThrottleInterval).toBeGreaterThanOrEqual(10);
    expect(Number.isInteger(job.ExitTimeOut)).toBe(true);
    expect(job.ProcessType).toBe('Standard');
    expect(job.AssociatedBundleIdentifiers).toEqual(['io.untether.agent']);
    expect(text).toMatch(/<key>ThrottleInterval<\/key>\s*<integer>/);
  });

  it('runs a root-owned program outside /usr/local, by absolute path', () => {
    const program = (job.ProgramArguments as string[])[0]!;
    expect(program.startsWith('/')).toBe(true);
    expect(program.startsWith('/usr/local')).toBe(false);
    expect(program.startsWith(MAC_PATHS.supportDir)).toBe(true);
  });

  it('logs under /Library/Logs/Untether, where the agent writes agent.log', () => {
    expect(path.posix.dirname(job.StandardOutPath as string)).toBe(MAC_PATHS.logDir);
    expect(path.posix.dirname(job.StandardErrorPath as string)).toBe(MAC_PATHS.logDir);
    expect(job.StandardOutPath).not.toBe(job.StandardErrorPath);
  });

  it('names only paths the pkg payload installs', () => {
    const installed = new Set(payloadItems().map((item) => item.macPath));
    const named = launchdPaths(job);
    expect(named.installed).toEqual([INSTALL_PATHS.runtime, INSTALL_PATHS.bundle, INSTALL_PATHS.supportDir]);
    for (const macPath of named.installed) expect(installed, macPath).toContain(macPath);
    for (const macPath of named.createdByLaunchd) expect(installed, macPath).toContain(path.posix.dirname(macPath));
  });

  it('carries no environment (so no secret can ride in it) and no key named like a secret', () => {
    expect(job.EnvironmentVariables).toBeUndefined();
    const keys = [...text.matchAll(/<key>([^<]+)<\/key>/g)].map((match) => match[1]!);
    expect(keys.filter(isSecretKey)).toEqual([]);
  });

  it('is in the layout CoreFoundation writes (tabs, XML header), so `plutil -lint` has nothing to say', () => {
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"')).toBe(true);
    expect(text).not.toMatch(/^ +</m);
  });
});
