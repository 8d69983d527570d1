// The fake tools other than dscl, pinned to the captured fixtures where one exists for the same state.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { AUTHCHANGER_RESET_MECHANISMS, SONOMA_LOGIN_MECHANISMS, toXmlPlist, type SimulatedMac } from './src/index.js';
import { fixture, tempMac } from './support.js';

const NSLOG_PREFIX = (tool: string): RegExp => new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${tool}\\[\\d+:\\d+\\]`);

describe('dsconfigad', () => {
  it('prints the bound layout of the macOS 12 capture for the same binding', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.updateState((state) => {
      state.adBinding = {
        ...state.adBinding!,
        forest: 'example.net',
        domain: 'example.net',
        computerAccount: 'corp-mac123$',
        options: {
          ...state.adBinding!.options,
          defaultUserShell: '/bin/bash',
          mapUidAttribute: 'uidNumber',
          mapUserGidAttribute: 'gidNumber',
          mapGroupGidAttribute: 'gidNumber',
          allowedAdminGroups: ['Local Administrators'],
          authenticationFromAnyDomain: false,
        },
      };
    });
    expect(await mac.run('dsconfigad', ['-show'])).toMatchObject({ stdout: fixture('12', 'dsconfigad-show-bound').stdout, stderr: '', exitCode: 0 });
  });

  it('prints nothing and exits 0 when unbound, and refuses -remove then', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    expect(await mac.run('dsconfigad', ['-show'])).toMatchObject({ stdout: fixture('any', 'dsconfigad-show-unbound').stdout, exitCode: 0 });
    expect(await mac.run('dsconfigad', ['-remove', '-force', '-u', 'none', '-p', 'none'])).toMatchObject({
      stderr: 'dsconfigad: This computer is not Bound to Active Directory.\n',
      exitCode: 1,
    });
  });

  it('unbinds silently with -force, leaving the search policy to the caller', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    expect(await mac.run('dsconfigad', ['-remove', '-force', '-username', 'none', '-password', 'none'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect(mac.readState().adBinding).toBeNull();
    expect((await mac.run('dsconfigad', ['-show'])).stdout).toBe('');
    expect(mac.readState().searchPolicy.search.cspSearchPath).toContain('/Active Directory/CORP/All Domains');
  });
});

describe('security authorizationdb', () => {
  it('reads the Sonoma default exactly as captured, with YES (0) on stderr', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const captured = fixture('14', 'security-authorizationdb-read-system.login.console');
    expect(await mac.run('security', ['authorizationdb', 'read', 'system.login.console'])).toMatchObject(captured);
  });

  it('reads the Ventura default (PSSOAuthPlugin, version 10) exactly as captured', async () => {
    const mac = tempMac({ scenario: 'local-only', os: '13.6.7' });
    const captured = fixture('13', 'security-authorizationdb-read-system.login.console');
    expect(await mac.run('security', ['authorizationdb', 'read', 'system.login.console'])).toMatchObject(captured);
    expect(mac.readState().os).toEqual({ productName: 'macOS', productVersion: '13.6.7', buildVersion: '22G720' });
  });

  it('answers NO (-60005), exit 255, for an unknown right', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    expect(await mac.run('security', ['authorizationdb', 'read', 'bogus-right-name'])).toMatchObject(fixture('13', 'security-authorizationdb-read-bogus-right-name'));
  });

  it('writes a right from stdin (YES (0) on stderr) and stamps modified', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const before = mac.readAuthRight('system.login.console')!;
    const mechanisms = [...SONOMA_LOGIN_MECHANISMS];
    mechanisms.splice(mechanisms.indexOf('loginwindow:done') + 1, 0, 'Untether:Link,privileged');
    const input = toXmlPlist({ ...before, mechanisms });
    const result = await mac.run('security', ['authorizationdb', 'write', 'system.login.console'], { input });
    expect(result).toMatchObject({ stdout: '', stderr: fixture('14', 'security-authorizationdb-write').stderr, exitCode: 0 });
    const after = mac.readAuthRight('system.login.console')!;
    expect(mac.loginMechanisms()).toEqual(mechanisms);
    expect(after.created).toBe(before.created);
    expect(after.modified).not.toBe(before.modified);
  });

  it('exits 255 without a YES/NO line when stdin is not a plist, and changes nothing', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const result = await mac.run('security', ['authorizationdb', 'write', 'system.login.console'], { input: 'not a plist' });
    expect(result).toMatchObject({ stdout: '', stderr: '', exitCode: 255 });
    expect(mac.loginMechanisms()).toEqual(SONOMA_LOGIN_MECHANISMS);
  });

  it('keeps the OS defaults in /System/Library/Security/authorization.plist', () => {
    const mac = tempMac({ scenario: 'local-only', os: '13.6.7' });
    const defaults = mac.readPlist('/System/Library/Security/authorization.plist') as { rights: Record<string, Record<string, unknown>> };
    expect(defaults.rights['system.login.console']).toMatchObject({ class: 'evaluate-mechanisms', shared: true, tries: 10000, version: 10 });
    expect(defaults.rights['system.login.console']?.mechanisms).toContain('PSSOAuthPlugin:login-auth');
  });
});

/** Parse `authchanger -print` into entry → key → value or list. */
function parseAuthchangerPrint(text: string): Record<string, Record<string, string | string[]>> {
  const entries: Record<string, Record<string, string | string[]>> = {};
  let entry: Record<string, string | string[]> | undefined;
  let list: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('Entry: ')) entries[line.slice(7)] = entry = {};
    else if (/^ {3}\w+:$/.test(line)) entry![line.trim().slice(0, -1)] = list = [];
    else if (line.startsWith('      ')) list!.push(line.trim());
    else if (line.startsWith('   ')) entry![line.slice(3, line.indexOf(' : '))] = line.slice(line.indexOf(' : ') + 3);
  }
  return entries;
}

describe('authchanger', () => {
  it('is only installed when the scenario asks for it', () => {
    expect(tempMac({ scenario: 'ad-bound' }).exists('/usr/local/bin/authchanger')).toBe(false);
    expect(tempMac({ scenario: 'ad-bound', authchanger: true }).exists('/usr/local/bin/authchanger')).toBe(true);
  });

  it('-JamfConnect swaps the Apple UI for Jamf Connect; -print matches the reconstructed capture', async () => {
    const mac = tempMac({ scenario: 'ad-bound', authchanger: true });
    expect(await mac.run('authchanger', ['-JamfConnect'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    const printed = await mac.run('authchanger', ['-print']);
    const ours = parseAuthchangerPrint(printed.stdout);
    const captured = parseAuthchangerPrint(fixture('any', 'authchanger-print-jamfconnect').stdout);
    expect(Object.keys(ours)).toEqual(Object.keys(captured));
    for (const [name, entry] of Object.entries(captured)) {
      for (const [key, value] of Object.entries(entry)) expect([name, key, ours[name]?.[key]]).toEqual([name, key, value]);
    }
  });

  it('-reset writes its own hard-coded list (policy-banner first), not Apple default', async () => {
    const mac = tempMac({ scenario: 'ad-bound', authchanger: true });
    await mac.run('authchanger', ['-reset', '-JamfConnect']);
    expect(mac.loginMechanisms()).toContain('JamfConnectLogin:LoginUI');
    await mac.run('authchanger', ['-ReSeT']);
    expect(mac.loginMechanisms()).toEqual(AUTHCHANGER_RESET_MECHANISMS);
    expect(mac.loginMechanisms()).not.toEqual(mac.defaultLoginMechanisms());
  });

  it('-reset -preAuth inserts before builtin:login-begin; a second -reset wipes it', async () => {
    const mac = tempMac({ scenario: 'ad-bound', authchanger: true });
    await mac.run('authchanger', ['-reset', '-preAuth', 'JamfConnectLogin:DeMobilize,privileged']);
    const chain = mac.loginMechanisms();
    expect(chain[chain.indexOf('builtin:login-begin') - 1]).toBe('JamfConnectLogin:DeMobilize,privileged');
    expect(chain[chain.indexOf('builtin:login-begin') - 2]).toBe('loginwindow:login');
    await mac.run('authchanger', ['-reset', '-prelogin', 'A:pre', '-postAuth', 'B:post']);
    expect(mac.loginMechanisms()).toEqual(['builtin:policy-banner', 'A:pre', ...AUTHCHANGER_RESET_MECHANISMS.slice(1), 'B:post']);
  });

  it('fails loudly on flags it does not model', async () => {
    const mac = tempMac({ scenario: 'ad-bound', authchanger: true });
    expect(await mac.run('authchanger', ['-reset', '-OIDC'])).toMatchObject({ exitCode: 99 });
  });
});

describe('fdesetup', () => {
  const cases: Array<[string, string, 'On' | 'Off', string[]]> = [
    ['10.15', 'fdesetup-status-on', 'On', ['FileVault master keychain appears to be installed.']],
    ['any', 'fdesetup-status-off', 'Off', []],
    ['any', 'fdesetup-status-on-encrypting', 'On', ['Encryption in progress: percent completed = 42.17']],
    ['any', 'fdesetup-status-on-encryption-pending', 'On', ['Encryption in progress: Pending']],
    ['any', 'fdesetup-status-off-decrypting', 'Off', ['Decryption in progress: Percent completed = 63']],
    ['any', 'fdesetup-status-off-deferred', 'Off', ["Deferred enablement appears to be active for user 'jdoe'."]],
  ];
  it.each(cases)('status matches macos-%s/%s', async (version, name, status, statusLines) => {
    const mac = tempMac({ scenario: 'local-only' });
    mac.updateState((state) => {
      state.fileVault.status = status;
      state.fileVault.statusLines = statusLines;
    });
    expect(await mac.run('fdesetup', ['status'])).toMatchObject(fixture(version, name));
    expect(await mac.run('fdesetup', ['isactive'])).toMatchObject(fixture('any', `fdesetup-isactive-${status === 'On' ? 'true' : 'false'}`));
  });

  it('list prints name,UUID for crypto users that are user records, like the capture', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    mac.writeUser({ name: ['fvuser'], uid: ['505'], gid: ['20'], generateduid: ['85F41F44-22B3-6CB7-85A1-BCC2EA2B887A'] });
    mac.updateState((state) => {
      state.fileVault.cryptoUsers = [
        { uuid: '85F41F44-22B3-6CB7-85A1-BCC2EA2B887A', type: 'Local Open Directory User', volumeOwner: true },
        { uuid: '0E9A2C11-0000-4000-A000-000000000001', type: 'Personal Recovery User', volumeOwner: false },
      ];
    });
    expect(await mac.run('fdesetup', ['list'])).toMatchObject(fixture('any', 'fdesetup-list'));
  });
});

describe('sysadminctl -secureTokenStatus', () => {
  it('writes an NSLog line with the RealName on stderr, nothing on stdout, exit 0', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const captured = fixture('any', 'sysadminctl-secureTokenStatus-enabled').stderr;
    expect(captured).toMatch(NSLOG_PREFIX('sysadminctl'));
    const enabled = await mac.run('sysadminctl', ['-secureTokenStatus', 'zobrien']);
    expect(enabled).toMatchObject({ stdout: '', exitCode: 0 });
    expect(enabled.stderr).toMatch(NSLOG_PREFIX('sysadminctl'));
    expect(enabled.stderr.replace(NSLOG_PREFIX('sysadminctl'), '')).toBe(" Secure token is ENABLED for user Zoë O'Brien\n");
    const disabled = await mac.run('sysadminctl', ['-secureTokenStatus', 'mchen']);
    expect(disabled.stderr.replace(NSLOG_PREFIX('sysadminctl'), '')).toBe(' Secure token is DISABLED for user Mei Chen\n');
  });

  it('follows the ;SecureToken; authority, so dropping it shows DISABLED', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    await mac.run('dscl', ['.', '-delete', '/Users/jdoe', 'AuthenticationAuthority', ';SecureToken;']);
    expect((await mac.run('sysadminctl', ['-secureTokenStatus', 'jdoe'])).stderr).toContain('Secure token is DISABLED for user John Doe');
  });

  it('reports an unknown user on stderr', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const result = await mac.run('sysadminctl', ['-secureTokenStatus', 'nosuchuser']);
    expect(result.stderr.replace(NSLOG_PREFIX('sysadminctl'), '')).toBe(' Unknown user nosuchuser\n');
    expect(result.exitCode).toBe(0);
  });
});

describe('diskutil apfs listCryptoUsers', () => {
  it('draws the captured tree (last entry indented with spaces)', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    mac.updateState((state) => {
      state.fileVault.volume = 'disk1s5';
      state.fileVault.cryptoUsers = [
        { uuid: 'FB756838-XXXX-XXXX-XXXX-40FB5E7D5D3F', type: 'Local Open Directory User', volumeOwner: false },
        { uuid: 'EBC6C064-XXXX-XXXX-XXXX-00306543ECAC', type: 'Personal Recovery User', volumeOwner: false },
        { uuid: 'C22BDCD3-XXXX-XXXX-XXXX-65D3332605C3', type: 'Local Open Directory User', volumeOwner: false },
        { uuid: '2457711A-XXXX-XXXX-XXXX-F48A571D5036', type: 'MDM Bootstrap Token External Key', volumeOwner: false },
      ];
    });
    expect(await mac.run('diskutil', ['apfs', 'listCryptoUsers', '/'])).toMatchObject(fixture('10.15', 'diskutil-apfs-listCryptoUsers-4-users'));
    mac.updateState((state) => {
      state.fileVault.volume = 'disk1s1';
      state.fileVault.cryptoUsers = [];
    });
    expect(await mac.run('diskutil', ['apfs', 'listUsers', '/'])).toMatchObject(fixture('any', 'diskutil-apfs-listCryptoUsers-none'));
  });

  it('adds Volume Owner lines for owners', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const { stdout } = await mac.run('diskutil', ['apfs', 'listCryptoUsers', '/']);
    expect(stdout).toContain('+-- C4713E84-50C7-419E-ABC4-766DFE170F56\n|   Type: Local Open Directory User\n|   Volume Owner: Yes\n|\n');
  });
});

describe('console user: scutil and stat', () => {
  function erikMac(): SimulatedMac {
    const mac = tempMac({ scenario: 'local-only' });
    mac.writeUser({ name: ['erikberglund'], uid: ['501'], gid: ['20'], realname: ['Erik Berglund'], generateduid: ['1B2C3D4E-0000-4000-A000-00000000E81C'] });
    mac.login('erikberglund');
    return mac;
  }
  const show = { input: 'show State:/Users/ConsoleUser\n' };

  it('prints the captured dictionary for a logged-in user', async () => {
    const mac = erikMac();
    expect(await mac.run('scutil', [], show)).toMatchObject(fixture('any', 'scutil-ConsoleUser-user'));
    expect(await mac.run('stat', ['-f%Su', '/dev/console'])).toMatchObject(fixture('any', 'stat-console-user'));
  });

  it('prints the login-window variants, and stat says root', async () => {
    const mac = erikMac();
    mac.logout();
    expect(await mac.run('scutil', [], show)).toMatchObject(fixture('any', 'scutil-ConsoleUser-loginwindow'));
    expect(await mac.run('stat', ['-f', '%Su', '/dev/console'])).toMatchObject(fixture('any', 'stat-console-root'));
    mac.setConsole({ mode: 'setup', auditSessionId: 100084, sessionId: 258 });
    expect(await mac.run('scutil', [], show)).toMatchObject(fixture('any', 'scutil-ConsoleUser-no-name'));
    mac.setConsole({ mode: 'jamf-connect' });
    expect((await mac.run('scutil', [], show)).stdout).toContain('  Name : \n');
    expect((await mac.run('stat', ['-f%Su', '/dev/console'])).stdout).toBe('root\n');
  });

  it('shows a login alias as Name while stat keeps the short name', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.login('jdoe', { nameAlias: 'john.doe' });
    expect((await mac.run('scutil', [], show)).stdout).toContain('  Name : john.doe\n');
    expect((await mac.run('stat', ['-f%Su', '/dev/console'])).stdout).toBe('jdoe\n');
  });

  it('n.watch prints a notification callback when the console user changes, and exits at end of stdin', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const { spawn } = await import('node:child_process');
    const child = spawn(mac.toolPath('scutil'), [], { env: { PATH: '/usr/bin:/bin' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const waitFor = async (predicate: () => boolean): Promise<void> => {
      for (let waited = 0; !predicate(); waited += 20) {
        if (waited > 15_000) throw new Error(`timed out; output so far: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // Commands run in order, so once the `show` answer is out the watch is in place.
    child.stdin.write('n.add State:/Users/ConsoleUser\nn.watch\nshow State:/Users/ConsoleUser\n');
    await waitFor(() => output.endsWith('}\n'));
    output = '';
    mac.logout();
    await waitFor(() => output.includes('changedKey [0]'));
    expect(output).toMatch(/^notification callback \(store address = 0x[0-9a-f]+\)\.\n  [ \d]\d:\d\d:\d\d\.\d{3} changedKey \[0\] = State:\/Users\/ConsoleUser\n$/);
    mac.login('zobrien');
    await waitFor(() => output.split('changedKey').length === 3);
    expect(output).toMatch(/changedKey \[0\] = State:\/Users\/ConsoleUser\n.*\(\+\d+\.\d{3}\) changedKey \[0\]/s);
    const exit = new Promise((resolve) => child.on('close', resolve));
    child.stdin.end();
    expect(await exit).toBe(0);
  });
});

describe('sessions: who, ps and sudo', () => {
  it('who lists every GUI session as console, then Terminal and SSH logins with the host; ps counts processes per uid', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    mac.switchUserAway('mchen');
    mac.openLogin('psmith', { host: '10.0.0.5' });
    mac.runUserProcesses('zobrien', 3);
    const who = await mac.run('who', []);
    expect(who.exitCode).toBe(0);
    const lines = who.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s+/).slice(0, 2))).toEqual([['jdoe', 'console'], ['mchen', 'console'], ['psmith', 'ttys000']]);
    expect(lines[0]).toMatch(/^jdoe {13}console {6}[A-Z][a-z]{2} [ \d]\d \d\d:\d\d$/);
    expect(lines[2]).toMatch(/ \(10\.0\.0\.5\)$/);
    const ps = await mac.run('ps', ['-axo', 'uid=']);
    const counts = new Map<string, number>();
    for (const line of ps.stdout.trimEnd().split('\n')) {
      expect(line).toMatch(/^ *\d+$/);
      counts.set(line.trim(), (counts.get(line.trim()) ?? 0) + 1);
    }
    const uid = (name: string) => String(mac.readUser(name)!.uid![0]);
    expect([counts.get(uid('jdoe')), counts.get(uid('mchen')), counts.get(uid('psmith')), counts.get(uid('zobrien'))]).toEqual([60, 60, 2, 3]);
    expect(counts.get('0')).toBeGreaterThan(100);
    mac.endSessions('mchen');
    mac.endSessions('psmith');
    mac.logout();
    expect((await mac.run('who', [])).stdout).toBe('');
  });

  it('sudo -u drops a tool to the user inside launchctl asuser; the notice records both uids', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const result = await mac.run('launchctl', ['asuser', '502', '/usr/bin/sudo', '-n', '-u', '#502', '--', '/usr/bin/osascript', '-e', 'display dialog "Hi"']);
    expect(result.exitCode).toBe(0);
    expect(mac.notices()).toEqual([expect.objectContaining({ tool: 'osascript', uid: 502, user: 'alex', processUid: 502 })]);
    const unknown = await mac.run('sudo', ['-u', 'ghost', '/usr/bin/osascript', '-e', 'x']);
    expect(unknown).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('sudo: unknown user ghost') });
  });
});

describe('launchctl', () => {
  function withDaemon(mac: SimulatedMac): string {
    const plist = '/Library/LaunchDaemons/com.untether.agent.plist';
    writeFileSync(mac.path(plist), toXmlPlist({ Label: 'com.untether.agent', ProgramArguments: ['/usr/local/bin/untether', 'daemon'], RunAtLoad: true }));
    return plist;
  }

  it('bootstraps, prints, kickstarts and boots out a job, with the captured errors', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const plist = withDaemon(mac);
    expect(await mac.run('launchctl', ['bootstrap', 'system', plist])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect(await mac.run('launchctl', ['bootstrap', 'system', plist])).toMatchObject(fixture('any', 'launchctl-bootstrap-failed-5'));
    const printed = await mac.run('launchctl', ['print', 'system/com.untether.agent']);
    expect(printed.stdout).toMatch(/^system\/com\.untether\.agent = \{\n\tactive count = 1\n\tpath = \/Library\/LaunchDaemons\/com\.untether\.agent\.plist\n/);
    expect(printed.stdout).toContain('\tprogram = /usr/local/bin/untether\n');
    expect(await mac.run('launchctl', ['kickstart', '-k', 'system/com.untether.agent'])).toMatchObject({ exitCode: 0 });
    expect(await mac.run('launchctl', ['bootout', 'system/com.untether.agent'])).toMatchObject({ exitCode: 0 });
    expect(await mac.run('launchctl', ['bootout', 'system/com.untether.agent'])).toMatchObject(fixture('any', 'launchctl-bootout-failed-3'));
    expect(await mac.run('launchctl', ['kickstart', '-k', 'system/org.nixos.darwin-store'])).toMatchObject(fixture('any', 'launchctl-kickstart-not-found'));
  });

  it('models the Sonoma race: bootstrap says 5 although the job loaded', async () => {
    const mac = tempMac({ scenario: 'local-only' });
    const plist = withDaemon(mac);
    mac.raceNextBootstraps(1);
    expect(await mac.run('launchctl', ['bootstrap', 'system', plist])).toMatchObject(fixture('any', 'launchctl-bootstrap-failed-5'));
    expect((await mac.run('launchctl', ['print', 'system/com.untether.agent'])).exitCode).toBe(0);
  });

  it('asuser runs a tool in the user session and the notice is attributed to that user', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const result = await mac.run('launchctl', ['asuser', '1104562915', '/usr/bin/osascript', '-e', 'display notification "Your account is moving" with title "IT"']);
    expect(result).toMatchObject({ exitCode: 0 });
    await mac.run('launchctl', [
      'asuser',
      '1853244162',
      '/Library/Application Support/JAMF/bin/jamfHelper.app/Contents/MacOS/jamfHelper',
      '-windowType',
      'utility',
      '-title',
      'IT',
      '-description',
      'Please log out',
    ]);
    expect(mac.notices().map((notice) => [notice.tool, notice.user, notice.uid])).toEqual([
      ['osascript', 'jdoe', 1104562915],
      ['jamfHelper', 'zobrien', 1853244162],
    ]);
    expect(mac.notices()[1]?.text).toBe('title: IT\ndescription: Please log out');
    const launchctlCall = mac.calls().find((call) => call.tool === 'osascript');
    expect(launchctlCall?.sessionUid).toBe(1104562915);
  });
});

describe('dseditgroup and id', () => {
  it('answers checkmember with the captured yes/no lines and exit codes', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const yes = fixture('any', 'dseditgroup-checkmember-yes');
    expect(await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'kod', 'admin'])).toMatchObject({ stderr: 'Unable to find the user record\n', exitCode: 64 });
    expect(await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'zobrien', 'admin'])).toMatchObject({ ...yes, stdout: yes.stdout.replace('kod', 'zobrien') });
    const no = fixture('any', 'dseditgroup-checkmember-no');
    expect(await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'mchen', 'admin'])).toMatchObject({ ...no, stdout: no.stdout.replace('agent', 'mchen') });
    expect(await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'mchen', 'nogroup-here'])).toMatchObject({ stderr: 'Group not found.\n', exitCode: 64 });
  });

  it('adds and removes members; the mobile user is not in staff until added', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    expect((await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'jdoe', 'staff'])).exitCode).toBe(67);
    expect(await mac.run('dseditgroup', ['-o', 'edit', '-a', 'jdoe', '-t', 'user', 'staff'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect((await mac.run('dseditgroup', ['-o', 'checkmember', '-m', 'jdoe', 'staff'])).exitCode).toBe(0);
    expect(mac.readGroup('staff')?.users).toEqual(['root', 'jdoe']);
    await mac.run('dseditgroup', ['-o', 'edit', '-d', 'jdoe', '-t', 'user', 'staff']);
    expect(mac.readGroup('staff')?.users).toEqual(['root']);
    expect(await mac.run('dseditgroup', ['-o', 'edit', '-a', 'ghost', '-t', 'user', 'staff'])).toMatchObject({ stderr: 'Record was not found.\n', exitCode: 200 });
  });

  it('prints id in the captured format, with a bare number for the AD primary group', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const captured = fixture('any', 'id-user').stdout;
    const format = /^uid=\d+\(\w+\) gid=\d+(\(\w+\))? groups=\d+(\([\w.]+\))?(,\d+(\([\w.]+\))?)*\n$/;
    expect(captured).toMatch(format);
    const admin = await mac.run('id', ['localadmin']);
    expect(admin.stdout).toMatch(format);
    expect(admin.stdout).toMatch(/^uid=501\(localadmin\) gid=20\(staff\) groups=20\(staff\),12\(everyone\),61\(localaccounts\),.*80\(admin\)/);
    expect((await mac.run('id', ['jdoe'])).stdout).toBe('uid=1104562915(jdoe) gid=1522360086 groups=1522360086,12(everyone),61(localaccounts)\n');
    expect(await mac.run('id', ['-u', 'zobrien'])).toMatchObject({ stdout: '1853244162\n', exitCode: 0 });
    expect(await mac.run('id', ['nosuch'])).toMatchObject({ stdout: '', stderr: 'id: nosuch: no such user\n', exitCode: 1 });
  });
});

describe('profiles, defaults, sw_vers, ioreg', () => {
  it('lists profiles per computer and user, or the "no profiles" line', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    const { stdout } = await mac.run('profiles', ['-P']);
    expect(stdout).toBe(
      '_computerlevel[1] attribute: profileIdentifier: com.example.mdm\n' +
        '_computerlevel[2] attribute: profileIdentifier: com.example.loginwindow\n' +
        '_computerlevel[3] attribute: profileIdentifier: com.example.filevault.escrow\n' +
        'psmith[1] attribute: profileIdentifier: com.example.user.wifi\n' +
        'There are 4 configuration profiles installed\n',
    );
    const captured = fixture('any', 'profiles-P-computer-and-user').stdout.trimEnd().split('\n');
    for (const line of stdout.trimEnd().split('\n').slice(0, -1)) expect(line).toMatch(/^\w+\[\d+\] attribute: profileIdentifier: \S+$/);
    for (const line of captured.slice(0, -1)) expect(line).toMatch(/^\w+\[\d+\] attribute: profileIdentifier: \S+$/);
    mac.updateState((state) => {
      state.profiles = { computer: [], users: {} };
    });
    expect(await mac.run('profiles', ['-P'])).toMatchObject(fixture('any', 'profiles-P-none'));
  });

  it.each([
    ['profiles-status-enrollment-none', false, 'No', null],
    ['profiles-status-enrollment-dep', true, 'Yes (User Approved)', null],
    ['profiles-status-enrollment-user-approved', false, 'Yes (User Approved)', 'https://example.com/mdm/ServerURL'],
  ] as const)('status -type enrollment matches %s', async (name, enrolledViaDep, enrollment, serverUrl) => {
    const mac = tempMac({ scenario: 'local-only' });
    mac.updateState((state) => {
      state.mdm = { enrolledViaDep, enrollment, serverUrl };
    });
    expect(await mac.run('profiles', ['status', '-type', 'enrollment'])).toMatchObject(fixture('any', name));
  });

  it('reads DisableFDEAutoLogin: true on ad-bound, absent (2-line stderr, exit 1) on ad-bound-fv-autologin', async () => {
    const domain = '/Library/Preferences/com.apple.loginwindow';
    const bound = tempMac({ scenario: 'ad-bound' });
    expect(await bound.run('defaults', ['read', domain, 'DisableFDEAutoLogin'])).toMatchObject({ stdout: '1\n', exitCode: 0 });
    const autologin = tempMac({ scenario: 'ad-bound-fv-autologin' });
    const absent = await autologin.run('defaults', ['read', domain, 'DisableFDEAutoLogin']);
    expect(absent).toMatchObject({ stdout: '', exitCode: 1 });
    const captured = fixture('any', 'defaults-read-absent-key');
    const [ourStamp, ourMessage] = absent.stderr.split('\n');
    const [capturedStamp] = captured.stderr.split('\n');
    expect(capturedStamp).toMatch(new RegExp(`${NSLOG_PREFIX('defaults').source}$`));
    expect(ourStamp).toMatch(new RegExp(`${NSLOG_PREFIX('defaults').source}$`));
    expect(ourMessage).toBe(`The domain/default pair of (${domain}, DisableFDEAutoLogin) does not exist`);
    const guest = await autologin.run('defaults', ['read', domain, 'GuestEnabled_NONEXISTENT']);
    expect(guest.stderr.split('\n').slice(1)).toEqual(captured.stderr.split('\n').slice(1));
    expect(await autologin.run('defaults', ['write', domain, 'DisableFDEAutoLogin', '-bool', 'YES'])).toMatchObject({ exitCode: 0 });
    expect(await autologin.run('defaults', ['read', domain, 'DisableFDEAutoLogin'])).toMatchObject({ stdout: '1\n', exitCode: 0 });
  });

  it('prints sw_vers and ioreg as captured for the same machine', async () => {
    const mac = tempMac({ scenario: 'local-only', os: '14.0' });
    expect(await mac.run('sw_vers', [])).toMatchObject(fixture('14', 'sw_vers'));
    expect(await mac.run('sw_vers', ['-productVersion'])).toMatchObject({ stdout: '14.0\n', exitCode: 0 });
    mac.updateState((state) => {
      state.hardware = { model: 'iMacPro1,1', platformUuid: '3F1C2B7A-9D4E-5A6B-8C7D-0E1F2A3B4C5D', serialNumber: 'C02PXXXXXXXX' };
    });
    expect(await mac.run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'])).toMatchObject(fixture('any', 'ioreg-IOPlatformExpertDevice'));
  });
});

describe('small tools', () => {
  it('dscacheutil -flushcache is silent; killall finds opendirectoryd and logs the user out with loginwindow', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    expect(await mac.run('dscacheutil', ['-flushcache'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect(await mac.run('killall', ['-HUP', 'loginwindow'])).toMatchObject({ exitCode: 0 });
    expect(mac.readState().console.mode).toBe('loginwindow');
    expect(await mac.run('killall', ['NoSuchDaemon'])).toMatchObject({ stderr: 'No matching processes were found\n', exitCode: 1 });
  });

  it('pkgutil forgets receipts, jamf recon answers, chown checks paths and users', async () => {
    const mac = tempMac({ scenario: 'ad-bound' });
    expect(await mac.run('pkgutil', ['--forget', 'com.jamfsoftware.osxenrollment'])).toMatchObject({
      stdout: "Forgot package 'com.jamfsoftware.osxenrollment' on '/'.\n",
      exitCode: 0,
    });
    expect(await mac.run('pkgutil', ['--forget', 'com.jamfsoftware.osxenrollment'])).toMatchObject({ exitCode: 1 });
    expect(await mac.run('jamf', ['recon'])).toMatchObject({ exitCode: 0 });
    expect(await mac.run('chown', ['-R', 'jdoe', '/Users/jdoe'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
    expect(await mac.run('chown', ['-R', 'jdoe', '/Users/nobody-here'])).toMatchObject({ stderr: 'chown: /Users/nobody-here: No such file or directory\n', exitCode: 1 });
    expect(mac.writeCalls('chown')).toHaveLength(2);
  });

  it('has no jamf tools on local-only unless asked', () => {
    expect(tempMac({ scenario: 'local-only' }).exists('/usr/local/bin/jamf')).toBe(false);
    expect(tempMac({ scenario: 'local-only', jamf: true }).exists('/usr/local/bin/jamf')).toBe(true);
  });
});
