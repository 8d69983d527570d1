// The programmatic API of the simulated Mac: create one from a scenario, then read and steer it from tests,
// the demo and benchmarks. The agent only ever sees the system root (UNTETHER_SYSTEM_ROOT) with fake tools
// at their macOS paths; everything here is the harness side.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOOL_PATHS, type ToolName } from '../../../agent/src/system/tools.js';
import { defaultLoginMechanisms, LOGIN_RIGHT, readAuthDb } from './authdb.js';
import { armFault, clearFaults, listFaults, type FaultMode, type FaultSpec } from './faults.js';
import type { CallRecord } from './fake/main.js';
import { isPlistDict, parseXmlPlist, type PlistDict, type PlistValue } from './plist.js';
import { viewRecord } from './records.js';
import { disabledReason } from './account-disabled.js';
import { fakeEntryPath, materialize, prepareDirectory, SIMULATOR_TOOL_PATHS } from './materialize.js';
import { buildScenario, describeScenario, type ScenarioName, type ScenarioOptions } from './scenarios.js';
import { parseMacState, type ConsoleState, type MacState } from './state-schema.js';
import {
  LAYOUT,
  findRecord,
  listRecords,
  primaryName,
  readJsonLines,
  readState,
  rootPath,
  withLock,
  writeRecord,
  writeState,
  type DirRecord,
} from './store.js';
import { stopJob } from './tools/launchd-process.js';
import type { NoticeRecord } from './tools/management.js';

export type { CallRecord, NoticeRecord, FaultSpec, FaultMode, MacState, DirRecord, ScenarioName };
export { fakeEntryPath };

export interface CreateSimulatedMacOptions extends ScenarioOptions {
  /** The directory that becomes the system root. Created if missing; must be empty unless `force`. */
  dir: string;
  /** Replace an existing simulated Mac (a directory holding .macsim/) in `dir`. */
  force?: boolean;
}

export interface FaultOptions {
  /** Tool name (as in the agent's TOOL_PATHS) or "*" for any tool's writes. */
  tool: ToolName | '*';
  /** Fire on this write of the tool, 1-based, counted from now. */
  write: number;
  mode: FaultMode;
  /** kill-caller only: apply the write, then kill the caller. */
  afterWrite?: boolean;
  /** Fire on every write from the Nth on (default: once). */
  persistent?: boolean;
  /** dscl only: the DS error name for `fail` (default eDSPermissionError). */
  dsError?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  input?: string;
  /** Run as this uid/gid (e.g. 65534 to test permission errors); the harness must be root for that. */
  uid?: number;
  gid?: number;
  /** Extra environment (the agent passes none; tests of launchctl asuser might). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The minimal environment the agent gives its tools (agent/src/system/run.ts). */
const TOOL_ENVIRONMENT = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };

/** What the Mac was created from (scenario and options), for openSimulatedMac. */
const SCENARIO_FILE = '.macsim/scenario.json';


/** A login the simulated Mac refuses because the account is disabled. */
export class LoginRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginRefusedError';
  }
}

/** A simulated Mac: its system root plus helpers to inspect and steer it. */
export class SimulatedMac {
  constructor(
    readonly root: string,
    readonly scenario: ScenarioName,
    /** What the scenario seeded, as text (also printed by `macsim create`). */
    readonly description: string,
  ) {}

  /** Environment that points the agent at this Mac. */
  get env(): { UNTETHER_SYSTEM_ROOT: string } {
    return { UNTETHER_SYSTEM_ROOT: this.root };
  }

  /** Absolute path of a Mac path under this root ("/usr/bin/dscl" → "<root>/usr/bin/dscl"). */
  path(macPath: string): string {
    return rootPath(this.root, macPath);
  }

  /** The fake executable of a tool. */
  toolPath(tool: ToolName): string {
    return this.path(TOOL_PATHS[tool]);
  }

  /** A user's dslocal record (on-disk keys, arrays of strings or data), by any RecordName. */
  readUser(name: string): DirRecord | undefined {
    return findRecord(this.root, 'users', name)?.record;
  }

  /**
   * A user's attributes as root sees them through dscl -plist: by FULL type name (dsAttrTypeStandard:X or
   * dsAttrTypeNative:X), data as dscl prints it, computed attributes left out. Compares records type for type.
   */
  readUserTyped(name: string): Record<string, string[]> | undefined {
    const record = this.readUser(name);
    if (!record) return undefined;
    const typed: Record<string, string[]> = {};
    for (const attribute of viewRecord(record, 'users', true)) {
      if (attribute.full === 'dsAttrTypeStandard:AppleMetaNodeLocation' || attribute.full === 'dsAttrTypeStandard:RecordType') continue;
      typed[attribute.full] = attribute.values;
    }
    return typed;
  }

  readGroup(name: string): DirRecord | undefined {
    return findRecord(this.root, 'groups', name)?.record;
  }

  /** Short names of all user records. */
  userNames(): string[] {
    return listRecords(this.root, 'users').map((stored) => primaryName(stored.record)).sort();
  }

  /** Replace (or add) a user record, e.g. to set up an edge case. */
  writeUser(record: DirRecord): void {
    withLock(this.root, () => writeRecord(this.root, 'users', record, findRecord(this.root, 'users', primaryName(record))?.fileName));
  }

  writeGroup(record: DirRecord): void {
    withLock(this.root, () => writeRecord(this.root, 'groups', record, findRecord(this.root, 'groups', primaryName(record))?.fileName));
  }

  /** state.json, validated. */
  readState(): MacState {
    return parseMacState(readState(this.root), `in ${this.root}`);
  }

  /** Change state.json under the simulator lock; the result is validated before it is written. */
  updateState(change: (state: MacState) => void): MacState {
    return withLock(this.root, () => {
      const state = this.readState();
      change(state);
      const valid = parseMacState(state, 'after updateState');
      writeState(this.root, valid);
      return valid;
    });
  }

  /** Install Jamf Connect's login plug-in bundle (what its pkg puts in SecurityAgentPlugins), so its mechanisms can load. */
  installJamfConnect(): void {
    const contents = this.path('/Library/Security/SecurityAgentPlugins/JamfConnectLogin.bundle/Contents');
    mkdirSync(contents, { recursive: true });
    writeFileSync(path.join(contents, 'Info.plist'), '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>CFBundleIdentifier</key><string>com.jamf.connect.login</string></dict></plist>\n');
  }

  /** Take Full Disk Access away from the agent: the TCC database can no longer be read (a directory stands in its place). */
  denyFullDiskAccess(): void {
    const database = this.path('/Library/Application Support/com.apple.TCC/TCC.db');
    rmSync(database, { force: true, recursive: true });
    mkdirSync(database);
  }

  /**
   * Why a login of this user would be refused, or undefined when it is allowed: the account is disabled
   * (a DisabledUser authentication authority in any form, or membership of com.apple.access_disabled).
   */
  loginRefusal(user: string): string | undefined {
    const record = this.readUser(user);
    if (!record) return 'no such user record';
    const reason = disabledReason(this.root, record);
    return reason === undefined ? undefined : `the account is disabled (${reason})`;
  }

  /** Log a user in at the console (scutil, stat and /dev/console follow). A disabled account is refused. */
  login(user: string, options: { nameAlias?: string } = {}): void {
    const record = this.readUser(user);
    if (!record) throw new Error(`logging in "${user}" on the simulated Mac: no such user record`);
    this.#refuseDisabled(user, record);
    this.setConsole({ mode: 'user', user: primaryName(record), nameAlias: options.nameAlias ?? null });
  }

  /** Open a Terminal (host null) or SSH login for a user: `who` lists it and `ps` shows its processes. A disabled account is refused. */
  openLogin(user: string, options: { line?: string; host?: string | null } = {}): void {
    const record = this.readUser(user);
    if (!record) throw new Error(`opening a login for "${user}" on the simulated Mac: no such user record`);
    this.#refuseDisabled(user, record);
    this.updateState((state) => {
      const line = options.line ?? `ttys${String(state.logins.length).padStart(3, '0')}`;
      state.logins.push({ user: primaryName(record), line, host: options.host ?? null });
    });
  }

  /** Give a user a GUI session in the background (fast user switching): scutil, who and ps list it. */
  switchUserAway(user: string): void {
    const record = this.readUser(user);
    if (!record) throw new Error(`switching "${user}" to the background on the simulated Mac: no such user record`);
    this.updateState((state) => {
      if (!state.console.otherSessions.includes(primaryName(record))) state.console.otherSessions.push(primaryName(record));
    });
  }

  /** Leave processes running as a user outside any session (after a logout, a launchd agent). */
  runUserProcesses(user: string, count: number): void {
    const record = this.readUser(user);
    if (!record) throw new Error(`running processes for "${user}" on the simulated Mac: no such user record`);
    this.updateState((state) => {
      state.userProcesses.push({ user: primaryName(record), count });
    });
  }

  /** End every session and process of a user: console (back to the login window), background, terminal, SSH. */
  endSessions(user: string): void {
    const state = this.readState();
    if (state.console.user === user) this.logout();
    this.updateState((current) => {
      current.console.otherSessions = current.console.otherSessions.filter((name) => name !== user);
      current.logins = current.logins.filter((login) => login.user !== user);
      current.userProcesses = current.userProcesses.filter((running) => running.user !== user);
    });
  }

  /** Log the console user out: back to the login window. */
  logout(): void {
    this.setConsole({ mode: 'loginwindow', user: null, nameAlias: null });
  }

  /** Set any console variant (setup = fresh Mac with no Name key, jamf-connect = Jamf Connect login window). */
  setConsole(change: Partial<ConsoleState>): void {
    const state = this.updateState((current) => {
      current.console = { ...current.console, ...change };
      if (current.console.mode !== 'user') current.console.user = null;
      if (current.console.mode === 'user' && current.console.user === null) throw new Error('setting the console: mode "user" needs a user');
    });
    this.#syncConsoleOwner(state);
  }

  #refuseDisabled(user: string, record: DirRecord): void {
    const reason = disabledReason(this.root, record);
    if (reason !== undefined) throw new LoginRefusedError(`logging in "${user}" on the simulated Mac: refused, the account is disabled (${reason})`);
  }

  /** Run pwpolicy (a simulator-only tool: the agent never runs it), e.g. to disable an account "by someone else". */
  pwpolicy(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runFile(this.path(SIMULATOR_TOOL_PATHS.pwpolicy), args, options);
  }

  #syncConsoleOwner(state: MacState): void {
    if (process.geteuid?.() !== 0) return;
    const user = state.console.mode === 'user' && state.console.user !== null ? this.readUser(state.console.user) : undefined;
    const uid = user ? Number(user.uid?.[0]) : 0;
    chownSync(this.path('/dev/console'), uid >>> 0, 0);
  }

  /** Arm a fault on the Nth write of a tool. Returns its id. */
  injectFault(options: FaultOptions): string {
    if (options.tool !== '*' && !Object.hasOwn(TOOL_PATHS, options.tool)) {
      throw new Error(`arming a fault: unknown tool "${options.tool}" (one of ${Object.keys(TOOL_PATHS).join(', ')}, or *)`);
    }
    return armFault(this.root, {
      tool: options.tool,
      write: options.write,
      mode: options.mode,
      afterWrite: options.afterWrite ?? false,
      persistent: options.persistent ?? false,
      ...(options.dsError === undefined ? {} : { dsError: options.dsError }),
    });
  }

  /** Faults still armed (one-shot faults disappear once they fire). */
  faults(): FaultSpec[] {
    return listFaults(this.root);
  }

  clearFaults(): void {
    clearFaults(this.root);
  }

  /** Make the next `count` launchctl bootstraps load their job yet fail with "Bootstrap failed: 5" (Sonoma race). */
  raceNextBootstraps(count = 1): void {
    this.updateState((state) => {
      state.launchd.bootstrapRaces = count;
    });
  }

  /** How long dscl keeps failing after `killall opendirectoryd`: a time window and/or a number of calls. */
  setDirectoryRestartWindow(window: { ms: number; calls?: number }): void {
    this.updateState((state) => {
      state.opendirectoryd.restartWindowMs = window.ms;
      state.opendirectoryd.restartFailCalls = window.calls ?? 0;
    });
  }

  /** Every fake call so far, oldest first. */
  calls(): CallRecord[] {
    return readJsonLines<CallRecord>(this.path(LAYOUT.calls));
  }

  /** Calls that were writes, optionally of one tool. */
  writeCalls(tool?: ToolName): CallRecord[] {
    return this.calls().filter((call) => call.isWrite && (tool === undefined || call.tool === tool));
  }

  clearCalls(): void {
    writeFileSync(this.path(LAYOUT.calls), '');
  }

  /** Notices shown through osascript or jamfHelper, with the session user they were shown to. */
  notices(): NoticeRecord[] {
    return readJsonLines<NoticeRecord>(this.path(LAYOUT.notices));
  }

  /** A right from the live authorization DB. */
  readAuthRight(name: string): PlistDict | undefined {
    const right = readAuthDb(this.root)[name];
    return isPlistDict(right) ? right : undefined;
  }

  /** The current `system.login.console` mechanisms. */
  loginMechanisms(): string[] {
    const mechanisms = this.readAuthRight(LOGIN_RIGHT)?.mechanisms;
    return Array.isArray(mechanisms) ? mechanisms.map(String) : [];
  }

  /** Apple's default mechanisms for this Mac's macOS version. */
  defaultLoginMechanisms(): readonly string[] {
    return defaultLoginMechanisms(this.readState().os.productVersion);
  }

  /** A plist file of this Mac, parsed (undefined when missing). */
  readPlist(macPath: string): PlistValue | undefined {
    const file = this.path(macPath);
    return existsSync(file) ? parseXmlPlist(readFileSync(file, 'utf8')) : undefined;
  }

  exists(macPath: string): boolean {
    return existsSync(this.path(macPath));
  }

  /** Run one fake tool the way the agent does (argument array, minimal environment), for tests. */
  run(tool: ToolName, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runFile(this.toolPath(tool), args, options);
  }

  /** Stop every job process the simulated launchd started (launchd.runJobs), as a shutdown would. */
  stopJobs(): void {
    if (!existsSync(path.join(this.root, LAYOUT.state))) return;
    for (const job of this.readState().launchd.jobs) {
      if (job.running) stopJob(job.pid, 5);
    }
  }

  /** Stop the jobs' processes and delete the whole system root. */
  destroy(): void {
    this.stopJobs();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Spawn an executable with the agent's minimal environment and collect its output. */
export function runFile(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: { ...TOOL_ENVIRONMENT, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode, signal) =>
      resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode, signal }),
    );
    child.stdin.on('error', () => undefined); // a tool that never reads stdin may close it first
    child.stdin.end(options.input ?? '');
  });
}

/** Create a simulated Mac from a scenario in `options.dir` and return its handle. */
export function createSimulatedMac(options: CreateSimulatedMacOptions): SimulatedMac {
  const root = path.resolve(options.dir);
  const built = buildScenario(options);
  parseMacState(built.state, `of scenario ${options.scenario}`);
  prepareDirectory(root, options.force ?? false);
  materialize(root, built);
  const description = describeScenario(built);
  const { dir: _dir, force: _force, ...scenarioOptions } = options;
  writeFileSync(path.join(root, SCENARIO_FILE), `${JSON.stringify({ ...scenarioOptions, description }, null, 2)}\n`);
  const mac = new SimulatedMac(root, options.scenario, description);
  mac.setConsole({});
  return mac;
}

/** Open an existing simulated Mac (created earlier, e.g. by the CLI). */
export function openSimulatedMac(dir: string): SimulatedMac {
  const root = path.resolve(dir);
  if (!existsSync(path.join(root, LAYOUT.state))) throw new Error(`opening a simulated Mac in ${root}: no ${LAYOUT.state}`);
  parseMacState(readState(root), `in ${root}`);
  const saved = JSON.parse(readFileSync(path.join(root, SCENARIO_FILE), 'utf8')) as { scenario: ScenarioName; description: string };
  return new SimulatedMac(root, saved.scenario, saved.description);
}
