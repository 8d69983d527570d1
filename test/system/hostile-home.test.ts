// The attack of issue 11 item 1, performed: a process running as the user swaps ~/.account (and root's
// temporary files next to it) for a symbolic link to a root-only file, a hard link to it, a directory or a
// plain file, in a tight loop, while root reads, restores and removes ~/.account directly and through the
// real CLI (demobilize, then restore, which roll back on failure). Root must never change the root file's
// owner, mode or content, and its content must never land in a snapshot or in ~/.account.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, chownSync, chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { readAccountFileForSnapshot, removeAccountFile, restoreAccountFile } from '../../agent/src/system/files.js';
import { simulatedMac, untether } from '../helpers/sim.js';
import type { SimulatedMac } from '../macsim/src/index.js';

/** How long the racer may run at most, whatever happens to the test. */
const RACER_CEILING_MS = 120_000;
const DIRECT_ITERATIONS = 200;
const CLI_ROUNDS = 2;

// The racer: plain Node, run as the user's uid. Each turn plants one weapon at ~/.account (atomically, with
// rename) and replaces any temporary file root is writing beside it with a symbolic link to the root file.
const RACER = `
const fs = require('node:fs');
const path = require('node:path');
const [home, target, stopFile, deadline] = process.argv.slice(1);
const account = path.join(home, '.account');
const stash = path.join(home, '.weapons');
let turns = 0;
const tmp = () => path.join(home, '.racer-' + process.pid + '-' + turns);
const quiet = (f) => { try { f(); } catch {} };
while (Date.now() < Number(deadline) && !fs.existsSync(stopFile) && turns < 5000000) {
  turns += 1;
  for (const name of (() => { try { return fs.readdirSync(home); } catch { return []; } })()) {
    if (name.startsWith('.account.untether-')) quiet(() => { const t = tmp() + 's'; fs.symlinkSync(target, t); fs.renameSync(t, path.join(home, name)); });
  }
  switch (turns % 4) {
    case 0: quiet(() => { const t = tmp(); fs.symlinkSync(target, t); fs.renameSync(t, account); }); break;
    case 1: quiet(() => { const hard = path.join(stash, 'hard'); if (fs.existsSync(hard)) fs.renameSync(hard, account); }); break;
    case 2: quiet(() => { const t = tmp() + 'd'; fs.mkdirSync(t); quiet(() => fs.unlinkSync(account)); fs.renameSync(t, account); }); break;
    case 3: quiet(() => { quiet(() => fs.rmdirSync(account)); const t = tmp(); fs.writeFileSync(t, 'user-owned'); fs.renameSync(t, account); }); break;
  }
}
process.stdout.write(String(turns));
`;

interface Racer {
  child: ChildProcess;
  turns: Promise<number>;
  stop(): Promise<number>;
}

function startRacer(home: string, target: string, uid: number, gid: number): Racer {
  const stopFile = path.join(path.dirname(home), `.stop-racer-${process.pid}`);
  const child = spawn(process.execPath, ['-e', RACER, home, target, stopFile, String(Date.now() + RACER_CEILING_MS)], { uid, gid, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const turns = new Promise<number>((resolve) => child.on('close', () => resolve(Number(out) || 0)));
  return {
    child,
    turns,
    async stop() {
      writeFileSync(stopFile, '');
      return turns;
    },
  };
}

interface RootFile {
  macPath: string;
  content: Buffer;
}

function uidOf(mac: SimulatedMac, user: string): { uid: number; gid: number } {
  const record = mac.readUser(user)!;
  return { uid: Number(record.uid![0]), gid: Number(record.gid![0]) };
}

/** A hostile home: owned by the user, with a root-only "sudoers" in the Mac and a hard link to it in the home. */
function armHome(mac: SimulatedMac, user: string): { home: string; sudoers: RootFile; uid: number; gid: number; replenish(): void } {
  const { uid, gid } = uidOf(mac, user);
  const home = mac.path(`/Users/${user}`);
  mkdirSync(mac.path('/etc'), { recursive: true, mode: 0o755 });
  const sudoers = { macPath: '/etc/sudoers', content: Buffer.from(`ROOT-ONLY ${process.pid} ${Date.now()} %admin ALL=(ALL) ALL\n`) };
  writeFileSync(mac.path(sudoers.macPath), sudoers.content, { mode: 0o440 });
  chmodSync(mac.path(sudoers.macPath), 0o440);
  chownSync(home, uid, gid);
  chmodSync(home, 0o755);
  chownSync(path.join(home, '.account'), uid, gid);
  const stash = path.join(home, '.weapons');
  mkdirSync(stash, { mode: 0o700 });
  chownSync(stash, uid, gid);
  // macOS lets a user hard-link any file on the same volume; Linux forbids it (protected_hardlinks), so the
  // test (root) plants the link in the user's stash and the racer moves it into place.
  const replenish = () => {
    if (!existsSync(path.join(stash, 'hard'))) linkSync(mac.path(sudoers.macPath), path.join(stash, 'hard'));
  };
  replenish();
  return { home, sudoers, uid, gid, replenish };
}

function expectUntouched(mac: SimulatedMac, file: RootFile): void {
  const stats = statSync(mac.path(file.macPath));
  expect({ uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777 }).toEqual({ uid: 0, gid: 0, mode: 0o440 });
  expect(readFileSync(mac.path(file.macPath)).equals(file.content)).toBe(true);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

/** Neither the snapshots/journal nor ~/.account (when a regular file) hold the root file's content, raw or base64. */
function expectNoLeak(mac: SimulatedMac, home: string, file: RootFile): void {
  const needles = [file.content.toString('utf8').trim(), file.content.toString('base64')];
  for (const stored of filesUnder(mac.path('/Library/Application Support/Untether'))) {
    const text = readFileSync(stored, 'utf8');
    for (const needle of needles) expect({ stored, leaked: text.includes(needle) }).toEqual({ stored, leaked: false });
  }
  const account = path.join(home, '.account');
  if (existsSync(account) && lstatSync(account).isFile() && lstatSync(account).nlink === 1) {
    expect(readFileSync(account, 'utf8')).not.toContain(needles[0]);
  }
}

afterAll(() => setSystemRoot(undefined));

describe('a user racing root in their home', () => {
  it('never gets root to read, chown or chmod another file through ~/.account (direct reads, restores, removals)', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    const { home, sudoers, uid, gid, replenish } = armHome(mac, 'mchen');
    setSystemRoot(mac.root);
    const racer = startRacer(home, mac.path(sudoers.macPath), uid, gid);
    const refusals = new Map<string, number>();
    const count = (error: unknown) => {
      const code = (error as { code?: string }).code ?? 'other';
      refusals.set(code, (refusals.get(code) ?? 0) + 1);
    };
    try {
      for (let index = 0; index < DIRECT_ITERATIONS; index += 1) {
        replenish();
        const read = await readAccountFileForSnapshot('/Users/mchen', uid).catch(count);
        if (read) expect(read.content.toString('utf8')).not.toContain('ROOT-ONLY');
        await restoreAccountFile('/Users/mchen', Buffer.from(`restored ${index}`), { uid, gid, mode: 0o644 }, uid).catch(count);
        await removeAccountFile('/Users/mchen', uid).catch(count);
        expectUntouched(mac, sudoers);
      }
    } finally {
      const turns = await racer.stop();
      expect(turns).toBeGreaterThan(0);
    }
    expectUntouched(mac, sudoers);
    expectNoLeak(mac, home, sudoers);
    // The race really happened: root ran into planted links and swapped files, and refused them.
    expect([...refusals.keys()].some((code) => code.startsWith('E_FILE_'))).toBe(true);
  }, 300_000);

  it('keeps root files intact through the real CLI: demobilize, restore and their rollbacks under attack', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    mac.logout();
    const { home, sudoers, uid, gid, replenish } = armHome(mac, 'mchen');
    const racer = startRacer(home, mac.path(sudoers.macPath), uid, gid);
    try {
      for (let round = 0; round < CLI_ROUNDS; round += 1) {
        replenish();
        const demobilize = await untether(mac, ['demobilize', '--user', 'mchen', '--yes']);
        expect([0, 1, 4]).toContain(demobilize.exitCode);
        expectUntouched(mac, sudoers);
        replenish();
        const restore = await untether(mac, ['restore', '--user', 'mchen', '--yes']);
        expect([0, 1, 4]).toContain(restore.exitCode);
        expectUntouched(mac, sudoers);
      }
    } finally {
      expect(await racer.stop()).toBeGreaterThan(0);
    }
    expectUntouched(mac, sudoers);
    expectNoLeak(mac, home, sudoers);
  }, 600_000);

  it('refuses a home another user can write, or that is not the account\'s, before touching anything in it', async () => {
    const mac = simulatedMac({ scenario: 'ad-bound' });
    const { uid, gid } = uidOf(mac, 'mchen');
    const home = mac.path('/Users/mchen');
    setSystemRoot(mac.root);
    chownSync(home, uid, gid);
    chmodSync(home, 0o777);
    await expect(readAccountFileForSnapshot('/Users/mchen', uid)).rejects.toMatchObject({ code: 'E_FILE_UNSAFE', message: expect.stringContaining('writable by group or others') });
    chmodSync(home, 0o755);
    chownSync(home, uidOf(mac, 'psmith').uid, gid);
    await expect(restoreAccountFile('/Users/mchen', Buffer.from('x'), { uid, gid, mode: 0o600 }, uid)).rejects.toMatchObject({ code: 'E_FILE_UNSAFE', message: expect.stringContaining('is owned by uid') });
    chownSync(home, uid, gid);
    chmodSync(mac.path('/Users'), 0o777);
    await expect(removeAccountFile('/Users/mchen', uid)).rejects.toMatchObject({ code: 'E_FILE_UNSAFE', path: '/Users' });
    chmodSync(mac.path('/Users'), 0o755);
    // A sound home reads, and a ~/.account over 1 MiB is refused rather than read.
    await expect(readAccountFileForSnapshot('/Users/mchen', uid)).resolves.toMatchObject({ mode: 0o644 });
    writeFileSync(path.join(home, '.account'), Buffer.alloc(1024 * 1024 + 1));
    await expect(readAccountFileForSnapshot('/Users/mchen', uid)).rejects.toMatchObject({ code: 'E_FILE_UNSAFE', message: expect.stringContaining('limit') });
  });
});
