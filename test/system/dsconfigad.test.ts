import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDsconfigadShow, removeBinding, showBinding } from '../../agent/src/system/dsconfigad.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { FakeMac, fixtureText } from './fake-mac.js';

describe('parseDsconfigadShow', () => {
  it('reads a Monterey binding: forest, domain, computer account and every option', () => {
    const binding = parseDsconfigadShow(fixtureText('macos-12/dsconfigad-show-bound'));
    expect(binding).toMatchObject({ bound: true, forest: 'example.net', domain: 'example.net', computerAccount: 'corp-mac123$' });
    if (!binding.bound) throw new Error('expected bound');
    expect(binding.options['Create mobile account at login']).toBe('Enabled');
    expect(binding.options['Network protocol to be used']).toBe('smb');
    expect(binding.options['Allowed admin groups']).toBe('Local Administrators');
    expect(binding.options['Preferred Domain controller']).toBe('not set');
    expect(Object.keys(binding.options)).toHaveLength(19);
  });

  it('keeps values with spaces and commas whole', () => {
    const raw = fixtureText('macos-12/dsconfigad-show-bound').replace(
      'Local Administrators',
      'amministratori dominio,amministratori enterprise',
    );
    const binding = parseDsconfigadShow(raw);
    expect(binding.bound && binding.options['Allowed admin groups']).toBe('amministratori dominio,amministratori enterprise');
  });

  it('reads empty output as unbound', () => {
    expect(parseDsconfigadShow(fixtureText('macos-any/dsconfigad-show-unbound'))).toEqual({ bound: false });
    expect(parseDsconfigadShow('\n')).toEqual({ bound: false });
  });

  it('refuses non-empty output without the binding lines', () => {
    expect(() => parseDsconfigadShow('Something unexpected\nKey = value\n')).toThrow(UnexpectedOutputError);
  });
});

describe('dsconfigad tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('shows the binding with dsconfigad -show', async () => {
    mac.installFixture('dsconfigad', 'macos-12/dsconfigad-show-bound');
    await expect(showBinding()).resolves.toMatchObject({ bound: true, domain: 'example.net' });
    expect(mac.calls('dsconfigad')[0]!.args).toEqual(['-show']);
  });

  it('unbinds with -remove -force and throwaway credentials, never showing the password argument', async () => {
    mac.install('dsconfigad', {});
    const seen: unknown[] = [];
    const { observeToolCalls } = await import('../../agent/src/system/run.js');
    const stop = observeToolCalls((result) => seen.push(result.args));
    await expect(removeBinding()).resolves.toEqual({ kind: 'removed' });
    stop();
    expect(mac.calls('dsconfigad')[0]!.args).toEqual(['-remove', '-force', '-u', 'untether', '-p', 'untether']);
    expect(seen).toEqual([['-remove', '-force', '-u', 'untether', '-p', '<redacted>']]);
  });

  it('answers not-bound when dsconfigad says the computer is not bound', async () => {
    mac.install('dsconfigad', { stderr: 'dsconfigad: This computer is not Bound to Active Directory.\n', exitCode: 1 });
    await expect(removeBinding()).resolves.toEqual({ kind: 'not-bound' });
  });

  it('throws a SystemToolError with redacted arguments for any other failure', async () => {
    mac.install('dsconfigad', { stderr: 'Some other failure\n', exitCode: 70 });
    const error = await removeBinding().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_TOOL_FAILED', exitCode: 70, args: ['-remove', '-force', '-u', 'untether', '-p', '<redacted>'] });
    expect((error as Error).message).not.toMatch(/-p untether/);
  });
});
