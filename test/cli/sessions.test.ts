// "Logged in" means every session of the user, not only the console: an SSH login, a fast-user-switching
// session in the background and processes left running each hold back demobilize, restore and takeover
// writes; once the user has no session left, the same commands go through. Real CLI, simulated Mac.
import { describe, expect, it } from 'vitest';
import { normalizedUser } from '../helpers/accounts.js';
import { simulatedMac, untether } from '../helpers/sim.js';

const SLOW = 240_000;

describe('sessions besides the console', () => {
  it('an SSH-only session and a background fast-user-switching session each block demobilize; a logged-out user is converted', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    mac.openLogin('mchen', { host: '10.20.30.40' });
    mac.switchUserAway('psmith');

    const run = await untether(mac, ['demobilize', '--user', 'mchen', '--user', 'psmith', '--user', 'zobrien', '--yes']);
    expect(run.stdout).toMatch(/mchen[\s\S]*SSH login on ttys000 from 10\.20\.30\.40/);
    expect(run.stdout).toMatch(/psmith[\s\S]*GUI session in the background \(fast user switching\)/);
    expect(normalizedUser(mac, 'mchen')!.original_node_name).toBeDefined();
    expect(normalizedUser(mac, 'psmith')!.original_node_name).toBeDefined();
    // zobrien has no session at all: converted in the same run.
    expect(normalizedUser(mac, 'zobrien')!.original_node_name).toBeUndefined();
    expect(run.exitCode).toBe(6);

    mac.endSessions('mchen');
    mac.runUserProcesses('psmith', 3); // the GUI session ended, a process stayed behind
    mac.endSessions('psmith');
    const after = await untether(mac, ['demobilize', '--user', 'mchen', '--yes']);
    expect(after.exitCode).toBe(0);
    expect(normalizedUser(mac, 'mchen')!.original_node_name).toBeUndefined();
  }, SLOW);

  it('restore refuses while the user has an SSH session, a background session or processes, and restores once logged out', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    expect((await untether(mac, ['demobilize', '--user', 'mchen', '--yes'])).exitCode).toBe(0);

    mac.openLogin('mchen', { host: '192.0.2.9' });
    const ssh = await untether(mac, ['restore', '--user', 'mchen', '--yes']);
    expect(ssh.exitCode).toBe(4);
    expect(ssh.stderr).toContain('the user is logged in (SSH login on ttys000 from 192.0.2.9');
    mac.endSessions('mchen');

    mac.switchUserAway('mchen');
    const background = await untether(mac, ['restore', '--user', 'mchen', '--yes']);
    expect(background.exitCode).toBe(4);
    expect(background.stderr).toContain('fast user switching');
    mac.endSessions('mchen');

    mac.runUserProcesses('mchen', 2);
    const processes = await untether(mac, ['restore', '--user', 'mchen', '--yes']);
    expect(processes.exitCode).toBe(4);
    expect(processes.stderr).toMatch(/2 processes running as uid \d+/);
    expect(normalizedUser(mac, 'mchen')!.original_node_name).toBeUndefined();
    mac.endSessions('mchen');

    const restored = await untether(mac, ['restore', '--user', 'mchen', '--yes']);
    expect(restored.exitCode).toBe(0);
    expect(normalizedUser(mac, 'mchen')!.original_node_name).toBeDefined();
  }, SLOW);

  it('takeover writes nothing for a user with an SSH session or a background session, and links once they are logged out', async () => {
    const mac = simulatedMac({ scenario: 'local-only' });
    const link = () => untether(mac, ['takeover', '--local', 'alex', '--cloud-user', 'alex.rivera@example.com', '--provider', 'generic', '--yes']);
    mac.logout();
    mac.openLogin('alex', { host: '198.51.100.4' });
    const ssh = await link();
    expect(ssh.exitCode).toBe(4);
    expect(ssh.stdout).toContain('"alex" is logged in (SSH login on ttys000 from 198.51.100.4');
    mac.endSessions('alex');

    mac.switchUserAway('alex');
    const background = await link();
    expect(background.exitCode).toBe(4);
    expect(background.stdout).toContain('fast user switching');
    expect(mac.writeCalls('dscl')).toEqual([]);
    mac.endSessions('alex');

    const linked = await link();
    expect(linked.exitCode).toBe(0);
    expect(mac.writeCalls('dscl').length).toBeGreaterThan(0);
  }, SLOW);
});
