// Issue 11 item 7, performed: Homebrew on Intel Macs gives /usr/local/bin to a user, who can then replace
// authchanger with anything. Root must refuse to run a tool outside the system volume unless the file and
// every directory above it are root's alone, say which path is wrong, and run it again once they are.
import { chmodSync, chownSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { runTool, untrustedToolReason } from '../../agent/src/system/run.js';
import { SystemToolError } from '../../agent/src/system/errors.js';
import { simulatedMac, untether } from '../helpers/sim.js';

const USER_UID = 502; // alex, the local user of the local-only scenario

afterAll(() => setSystemRoot(undefined));

describe('tools outside the system volume', () => {
  it('refuses authchanger in a user-owned /usr/local/bin, and the login window apply reports it; root-owned again, it runs', async () => {
    const mac = simulatedMac({ scenario: 'local-only', authchanger: true });
    mac.installJamfConnect();
    chownSync(mac.path('/usr/local/bin'), USER_UID, 20);
    mac.clearCalls();
    const refused = await untether(mac, ['loginwindow', 'apply', 'jamf-connect', '--yes']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('untrusted tool: /usr/local/bin is owned by uid 502, not root');
    expect(mac.calls().filter((call) => call.tool === 'authchanger')).toEqual([]); // never started
    expect(mac.loginMechanisms()).toEqual([...mac.defaultLoginMechanisms()]);

    chownSync(mac.path('/usr/local/bin'), 0, 0);
    const applied = await untether(mac, ['loginwindow', 'apply', 'jamf-connect', '--yes']);
    expect(applied.exitCode).toBe(0);
    expect(mac.writeCalls('authchanger').map((call) => call.args)).toEqual([['-reset', '-JamfConnect']]);
  }, 120_000);

  it('names the offending path: a world-writable folder, a group-writable tool, a symbolic link, a user-owned tool', async () => {
    const mac = simulatedMac({ scenario: 'local-only', authchanger: true, jamf: true });
    setSystemRoot(mac.root);
    await expect(untrustedToolReason('authchanger')).resolves.toBeUndefined();
    await expect(untrustedToolReason('dscl')).resolves.toBeUndefined(); // system volume: not checked

    chmodSync(mac.path('/usr/local/bin'), 0o777);
    expect(await untrustedToolReason('authchanger')).toContain('/usr/local/bin is writable by group or others (mode 0777)');
    chmodSync(mac.path('/usr/local/bin'), 0o755);

    chmodSync(mac.path('/usr/local/bin/authchanger'), 0o775);
    expect(await untrustedToolReason('authchanger')).toContain('/usr/local/bin/authchanger is writable by group or others (mode 0775)');
    chmodSync(mac.path('/usr/local/bin/authchanger'), 0o755);

    chownSync(mac.path('/Library/Application Support/JAMF'), USER_UID, 20);
    const result = await runTool('jamfHelper', ['-windowType', 'utility']);
    expect(result).toMatchObject({ failed: true, exitCode: 126 });
    expect(SystemToolError.fromResult(result).code).toBe('E_TOOL_UNTRUSTED');
    expect(result.stderr).toContain('/Library/Application Support/JAMF is owned by uid 502');
    chownSync(mac.path('/Library/Application Support/JAMF'), 0, 0);

    // A symbolic link in place of the tool is never followed, wherever it points.
    renameSync(mac.path('/usr/local/bin/authchanger'), mac.path('/usr/local/bin/authchanger.real'));
    symlinkSync(mac.path('/usr/local/bin/authchanger.real'), mac.path('/usr/local/bin/authchanger'));
    expect(await untrustedToolReason('authchanger')).toContain('/usr/local/bin/authchanger is a symbolic link');
    renameSync(mac.path('/usr/local/bin/authchanger.real'), mac.path('/usr/local/bin/authchanger'));

    writeFileSync(mac.path('/usr/local/bin/jamf'), '#!/bin/sh\n', { mode: 0o755 });
    chownSync(mac.path('/usr/local/bin/jamf'), USER_UID, 20);
    expect(await untrustedToolReason('jamf')).toContain('/usr/local/bin/jamf is owned by uid 502, not root');
  });
});
