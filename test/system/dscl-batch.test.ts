// Many dscl commands through one interactive dscl process (agent/src/system/dscl-batch.ts) against the
// simulated Mac's interactive mode (test/macsim/src/tools/dscl-interactive.ts): every value comes back exactly,
// values the interactive parser is not known to carry go through argv, a failing command stops nothing, the
// batch's exit status says nothing, and faults count per command.
import { afterAll, describe, expect, it } from 'vitest';
import { batchLine, quoteBatchWord, runWrites, type DsclWrite } from '../../agent/src/system/dscl-batch.js';
import { readAllRecords, readAllUsersAndGroups, readRecord } from '../../agent/src/system/dscl.js';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import type { SimulatedMac } from '../macsim/src/index.js';
import { tokenizeInteractiveLine } from '../macsim/src/tools/dscl-interactive.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import { FakeMac, fixtureText } from './fake-mac.js';

afterAll(() => setSystemRoot(undefined));

const HOSTILE = [
  'plain',
  'two words',
  '  leading and trailing spaces  ',
  'tab\there',
  'double " quote',
  "single ' quote",
  'back\\slash',
  'ends with backslash\\',
  'mixed \\" and \\\' and \\\\',
  '-leading dash',
  '--',
  '-delete',
  'ünïcødé ✓',
  '',
  'new\nline',
  '"starts with a quote',
  "'starts with an apostrophe",
  '\\starts with a backslash',
  'x'.repeat(5000),
];

/** A value the interactive parser must carry exactly, or refuse (then it goes through argv). */
function roundTrips(value: string): boolean {
  const word = quoteBatchWord(value);
  if (word === undefined) return false;
  expect(tokenizeInteractiveLine(`create ${word}`)).toEqual(['create', value]);
  return true;
}

/** A deterministic pseudo-random string over the characters that matter to the parser. */
function randomValue(seed: number): string {
  const alphabet = ['a', 'Z', ' ', '\t', '"', "'", '\\', '-', '/', 'é', ';', '\n'];
  let state = seed * 2654435761;
  let text = '';
  const length = (seed % 12) + 1;
  for (let index = 0; index < length; index += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

describe('the interactive line encoding', () => {
  it('reads every quoted word back exactly through dscl_get_string, or refuses it', () => {
    const carried = HOSTILE.filter(roundTrips);
    expect(carried).toEqual(HOSTILE.filter((value) => !value.includes('\n') && !/^["'\\]/.test(value)));
    for (const control of ['carriage\rreturn', 'escape\u001b[31m', 'nul\u0000']) expect(quoteBatchWord(control)).toBeUndefined();
    for (let seed = 1; seed <= 2000; seed += 1) roundTrips(randomValue(seed));
  });

  it('keeps dscl_get_string quirks the encoding avoids: a quoted word ends at either quote, an escape at index 0 stays', () => {
    expect(tokenizeInteractiveLine(`create "it's" x`)).toEqual(['create', 'it', 's"', 'x']);
    expect(tokenizeInteractiveLine('create \\\\a\\\\b')).toEqual(['create', '\\\\a\\b']);
    expect(tokenizeInteractiveLine('  -delete\t/Users/x  "" ')).toEqual(['-delete', '/Users/x', '']);
  });

  it('sends a line near the 4096-byte buffer of dscl through argv instead', () => {
    const write: DsclWrite = { verb: 'create', path: '/Users/x', attribute: 'dsAttrTypeNative:note', values: ['y'.repeat(3900)] };
    expect(batchLine(write)).toBeDefined();
    expect(batchLine({ ...write, values: ['y'.repeat(4100)] })).toBeUndefined();
    expect(() => batchLine({ ...write, path: '/Users/../x/y' })).toThrow(TypeError);
  });
});

/** dscl processes among the calls: one per pid (an interactive session records each command under its pid). */
function dsclProcesses(mac: SimulatedMac): number {
  return new Set(mac.calls().filter((call) => call.tool === 'dscl').map((call) => call.pid)).size;
}

describe('runWrites against the simulated Mac', () => {
  it('writes hostile values exactly, the carried ones in one process and the others by argv in their place', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    setSystemRoot(mac.root);
    mac.clearCalls();
    const writes: DsclWrite[] = HOSTILE.map((value, index) => ({ verb: 'create', path: '/Users/zobrien', attribute: `dsAttrTypeNative:batch_test_${index}`, values: [value] }));
    writes.push({ verb: 'append', path: '/Users/zobrien', attribute: 'dsAttrTypeNative:batch_test_0', values: ['two', 'more values'] });
    const report = await runWrites(writes);
    const lookup = await readRecord('/Users/zobrien');
    if (lookup.kind !== 'found') throw new Error('zobrien is gone');
    HOSTILE.forEach((value, index) => expect({ index, values: lookup.record.attributes[`dsAttrTypeNative:batch_test_${index}`] }).toEqual({ index, values: index === 0 ? [value, 'two', 'more values'] : [value] }));
    const viaArgv = HOSTILE.filter((value) => quoteBatchWord(value) === undefined || value.length > 4000).length;
    expect(report).toMatchObject({ viaArgv, batched: writes.length - viaArgv, problems: [] });
    // Each argv write splits the run of carried writes around it.
    expect(report.processes).toBe(dsclProcesses(mac) - 1);
    expect(mac.writeCalls('dscl')).toHaveLength(writes.length);
  });

  it('goes on after a failing command; the batch exits 0 and only its stderr names the error', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    setSystemRoot(mac.root);
    mac.clearCalls();
    const report = await runWrites([
      { verb: 'create', path: '/Users/zobrien', attribute: 'dsAttrTypeNative:first', values: ['1'] },
      { verb: 'change', path: '/Users/zobrien', attribute: 'dsAttrTypeNative:first', values: ['not there', '2'] },
      { verb: 'create', path: '/Users/zobrien', attribute: 'dsAttrTypeNative:third', values: ['3'] },
    ]);
    expect(report.processes).toBe(1);
    expect(report.problems).toEqual(['dscl batch: <main> attribute status: eDSAttributeNotFound', 'dscl batch: <dscl_cmd> DS Error: -14134 (eDSAttributeNotFound)']);
    expect(mac.readUserTyped('zobrien')).toMatchObject({ 'dsAttrTypeNative:first': ['1'], 'dsAttrTypeNative:third': ['3'] });
    const session = mac.calls().find((call) => call.tool === 'dscl' && call.args.join(' ') === '-q -raw .');
    expect(session?.exitCode).toBe(0);
  });

  it('counts an injected fault per command, as it counts argv writes', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    setSystemRoot(mac.root);
    mac.injectFault({ tool: 'dscl', write: 2, mode: 'fail' });
    mac.clearCalls();
    const report = await runWrites(['a', 'b', 'c'].map((name) => ({ verb: 'create', path: '/Users/zobrien', attribute: `dsAttrTypeNative:${name}`, values: [name] })));
    expect(report.problems.some((line) => line.includes('eDSPermissionError'))).toBe(true);
    const typed = mac.readUserTyped('zobrien')!;
    expect([typed['dsAttrTypeNative:a'], typed['dsAttrTypeNative:b'], typed['dsAttrTypeNative:c']]).toEqual([['a'], undefined, ['c']]);
    expect(mac.writeCalls('dscl').map((call) => call.fault !== undefined)).toEqual([false, true, false]);
    expect(dsclProcesses(mac)).toBe(1);
  });
});

describe('readAllUsersAndGroups', () => {
  it('reads what the two readall calls read, with one process', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    setSystemRoot(mac.root);
    mac.clearCalls();
    const both = await readAllUsersAndGroups();
    expect(dsclProcesses(mac)).toBe(1);
    expect(both.users).toEqual(await readAllRecords('/Users'));
    expect(both.groups).toEqual(await readAllRecords('/Groups'));
    expect(both.users.records.length).toBeGreaterThan(5);
  });

  it('falls back to the two argv reads when the interactive output is not two plists (an unconfirmed format)', async () => {
    const fake = FakeMac.create();
    try {
      const readall = fixtureText('macos-14/dscl-plist-readall-Users');
      // A prompt or banner a current dscl might print, then one plist only; the argv reads answer normally.
      fake.install('dscl', [{ stdout: `Entering interactive mode...\n${readall}` }, { stdout: readall }, { stdout: readall }]);
      const both = await readAllUsersAndGroups();
      expect(both.users.records.map((record) => record.recordName)).toEqual(['_amavisd', 'jdoe', 'localadmin']);
      expect(fake.calls('dscl').map((call) => call.args.join(' ')).sort()).toEqual(['-plist . -readall /Groups', '-plist . -readall /Users', '-q -plist .']);
      expect(fake.calls('dscl').find((call) => call.args[0] === '-q')?.stdin).toBe('readall /Users\nreadall /Groups\n');
    } finally {
      fake.dispose();
    }
  });

  it('throws while opendirectoryd does not answer, instead of returning a partial directory', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    setSystemRoot(mac.root);
    mac.setDirectoryRestartWindow({ ms: 0, calls: 1 });
    await mac.run('killall', ['opendirectoryd']);
    await expect(readAllUsersAndGroups()).rejects.toThrow(/eDSOpenNodeFailed/);
    expect((await readAllUsersAndGroups()).groups.records.length).toBeGreaterThan(0);
  });
});

describe('a conversion', () => {
  it('sends every attribute write of every account through one dscl process; staff lists each by name and GeneratedUID, as dseditgroup would', async () => {
    const batched = simulatedMac({ scenario: 'fleet', mobileUsers: 3 });
    batched.logout();
    batched.clearCalls();
    const run = await untether(batched, ['demobilize', '--all', '--yes']);
    expect(run.exitCode).toBe(0);
    const writers = new Set(batched.writeCalls('dscl').map((call) => call.pid));
    expect(writers.size).toBe(1);
    expect(batched.writeCalls('dseditgroup')).toEqual([]);
    const users = batched.userNames().filter((name) => name.startsWith('aduser'));
    expect(users).toHaveLength(3);
    for (const user of users) {
      expect(batched.readUserTyped(user)?.['dsAttrTypeStandard:OriginalNodeName']).toBeUndefined();
      expect(batched.readGroup('staff')?.users).toContain(user);
      expect(batched.readGroup('staff')?.groupmembers).toContain(batched.readUser(user)?.generateduid?.[0]);
    }
  });
});
