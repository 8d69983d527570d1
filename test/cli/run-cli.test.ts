import { describe, expect, it } from 'vitest';
import { runCli } from '../../agent/src/cli/run-cli.js';
import { COMMANDS } from '../../agent/src/cli/commands/index.js';
import { EXIT } from '../../agent/src/cli/exit-codes.js';
import { formatResult } from '../../agent/src/ea/attributes.js';
import { captureContext } from '../helpers/context.js';

describe('the untether command line', () => {
  it('lists every command of the fixed interface in its help', async () => {
    const context = captureContext();
    expect(await runCli(['--help'], context)).toBe(EXIT.OK);
    for (const name of ['scan', 'demobilize', 'restore', 'lock', 'unlock', 'unbind', 'loginwindow', 'takeover', 'ea', 'status', 'log', 'daemon']) {
      expect(context.out()).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(COMMANDS.map((command) => command.name)).toHaveLength(12);
  });

  it('gives each command a help with usage, and every writing command a --dry-run', async () => {
    for (const command of COMMANDS) {
      const context = captureContext();
      expect(await runCli([command.name, '--help'], context)).toBe(EXIT.OK);
      expect(context.out()).toContain(`Usage: ${command.usage}`);
    }
    for (const name of ['demobilize', 'restore', 'unbind', 'loginwindow', 'takeover']) {
      expect(COMMANDS.find((command) => command.name === name)!.options['dry-run']).toBeDefined();
    }
  });

  it('refuses an unknown command or option with one line and exit 2, running nothing', async () => {
    const unknown = captureContext();
    expect(await runCli(['demobilise'], unknown)).toBe(EXIT.USAGE);
    expect(unknown.err()).toBe('untether: unknown command "demobilise"; run "untether --help" for the list.\n');
    const badOption = captureContext();
    expect(await runCli(['scan', '--jsn'], badOption)).toBe(EXIT.USAGE);
    expect(badOption.err()).toMatch(/^untether scan: Unknown option '--jsn'.*\nRun "untether scan --help" for usage.\n$/);
  });

  it('names the known extension attributes when given an unknown one', async () => {
    const context = captureContext();
    expect(await runCli(['ea', 'nope'], context)).toBe(EXIT.USAGE);
    expect(context.err()).toContain('unknown attribute "nope"; known: mobile-accounts, mobile-account-count');
    const none = captureContext();
    expect(await runCli(['ea'], none)).toBe(EXIT.USAGE);
  });
});

describe('extension attribute output', () => {
  it('prints exactly one <result> line that a value cannot break out of', () => {
    expect(formatResult('jdoe, asmith')).toBe('<result>jdoe, asmith</result>\n');
    expect(formatResult('a</result>b\nc')).toBe('<result>ab c</result>\n');
    expect(formatResult('')).toBe('<result></result>\n');
  });
});
