// Fake /usr/sbin/dseditgroup, /usr/bin/id, /usr/bin/dscacheutil and /usr/bin/killall
// (macos-tools.md §8, §9).
import { randomUUID } from 'node:crypto';
import { chownSync } from 'node:fs';
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { groupIdsOf, isMember, loadGroups, toGroupInfo, toUserInfo, unsigned32, type GroupInfo } from '../membership.js';
import { firstValue, stringValues } from '../records.js';
import type { MacState } from '../state-schema.js';
import { deleteRecordFile, findRecord, isStorableName, listRecords, rootPath, updateState, withLock, writeRecord, type DirRecord } from '../store.js';

/** sysexits.h */
const EX_USAGE = 64;
const EX_NOUSER = 67;
/** exit(eDSRecordNotFound) truncated to a byte: (-14136) & 0xFF. */
const EXIT_RECORD_NOT_FOUND = 200;

interface DseditgroupRequest {
  operation: string;
  member: string | undefined;
  add: string | undefined;
  remove: string | undefined;
  memberType: 'user' | 'group';
  gid: string | undefined;
  realName: string | undefined;
  group: string | undefined;
}

function parseDseditgroup(args: readonly string[]): DseditgroupRequest {
  const request: DseditgroupRequest = {
    operation: '',
    member: undefined,
    add: undefined,
    remove: undefined,
    memberType: 'user',
    gid: undefined,
    realName: undefined,
    group: undefined,
  };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    const value = (): string => {
      const next = args[++index];
      if (next === undefined) throw new Unsupported(`${arg} without a value`);
      return next;
    };
    switch (arg) {
      case '-o':
        request.operation = value();
        break;
      case '-m':
        request.member = value();
        break;
      case '-a':
        request.add = value();
        break;
      case '-d':
        request.remove = value();
        break;
      case '-t': {
        const type = value();
        if (type !== 'user' && type !== 'group') throw new Unsupported(`member type ${type}`);
        request.memberType = type;
        break;
      }
      case '-n': {
        const node = value();
        if (node !== '.' && node !== '/Local/Default') throw new Unsupported(`node ${node}`);
        break;
      }
      case '-i':
        request.gid = value();
        break;
      case '-r':
        request.realName = value();
        break;
      case '-u':
      case '-P':
        value(); // credentials: not needed as root on the local node
        break;
      case '-q':
        break;
      default:
        if (arg.startsWith('-') || request.group !== undefined) throw new Unsupported(`argument ${arg}`);
        request.group = arg;
    }
  }
  return request;
}

function checkMember(ctx: FakeContext, request: DseditgroupRequest): number {
  const userName = request.member;
  const groupName = request.group;
  if (userName === undefined) throw new Unsupported('checkmember without -m');
  if (groupName === undefined) {
    ctx.err('No group name provided\n');
    return EX_USAGE;
  }
  const group = findRecord(ctx.root, 'groups', groupName);
  if (!group) {
    ctx.err('Group not found.\n');
    return EX_USAGE;
  }
  const user = findRecord(ctx.root, 'users', userName);
  if (!user) {
    ctx.err('Unable to find the user record\n');
    return EX_USAGE;
  }
  const member = isMember(toUserInfo(user.record), toGroupInfo(group.record), loadGroups(ctx.root));
  ctx.out(member ? `yes ${userName} is a member of ${groupName}\n` : `no ${userName} is NOT a member of ${groupName}\n`);
  return member ? 0 : EX_NOUSER;
}

function removeValue(record: DirRecord, key: string, value: string): void {
  const remaining = (record[key] ?? []).filter((existing) => existing !== value);
  if (remaining.length === 0) delete record[key];
  else record[key] = remaining;
}

function addValue(record: DirRecord, key: string, value: string): void {
  const values = record[key] ?? [];
  if (!values.includes(value)) record[key] = [...values, value];
}

function editGroup(ctx: FakeContext, request: DseditgroupRequest): number {
  const memberName = request.add ?? request.remove;
  if (memberName === undefined || (request.add !== undefined && request.remove !== undefined)) throw new Unsupported('edit needs exactly one of -a and -d');
  if (!ctx.isRoot) {
    ctx.err('Username and password must be provided.\n');
    return EX_USAGE;
  }
  if (request.group === undefined) {
    ctx.err('No group name provided\n');
    return EX_USAGE;
  }
  const groupName = request.group;
  return withLock(ctx.root, () => {
    const group = findRecord(ctx.root, 'groups', groupName);
    if (!group) {
      ctx.err('Group not found.\n');
      return EX_USAGE;
    }
    const member = findRecord(ctx.root, request.memberType === 'user' ? 'users' : 'groups', memberName);
    if (!member) {
      ctx.err('Record was not found.\n');
      return EXIT_RECORD_NOT_FOUND;
    }
    const guid = firstValue(member.record, 'generateduid');
    const record = group.record;
    const adding = request.add !== undefined;
    if (request.memberType === 'user') {
      if (adding) addValue(record, 'users', memberName);
      else removeValue(record, 'users', memberName);
      if (guid !== undefined) (adding ? addValue : removeValue)(record, 'groupmembers', guid);
    } else if (guid !== undefined) {
      (adding ? addValue : removeValue)(record, 'nestedgroups', guid);
    }
    writeRecord(ctx.root, 'groups', record, group.fileName);
    return 0;
  });
}

/** dseditgroup's checks before creating or deleting a group: root (unauthenticated edits need it) and a group name. */
function groupEditPrologue(ctx: FakeContext, request: DseditgroupRequest): string | number {
  if (!ctx.isRoot) {
    ctx.err('Username and password must be provided.\n');
    return EX_USAGE;
  }
  const groupName = request.group;
  if (groupName === undefined) {
    ctx.err('No group name provided\n');
    return EX_USAGE;
  }
  return groupName;
}

function createGroup(ctx: FakeContext, request: DseditgroupRequest): number {
  const groupName = groupEditPrologue(ctx, request);
  if (typeof groupName === 'number') return groupName;
  if (request.gid !== undefined && !/^-?\d+$/.test(request.gid)) throw new Unsupported(`gid ${request.gid}`);
  if (!isStorableName(groupName)) throw new Unsupported(`group name "${groupName}"`);
  return withLock(ctx.root, () => {
    if (findRecord(ctx.root, 'groups', groupName)) {
      ctx.err('Group already exists.\n'); // approximate wording
      return EX_USAGE;
    }
    const used = new Set(listRecords(ctx.root, 'groups').map((stored) => Number(firstValue(stored.record, 'gid'))));
    let gid = Number(request.gid ?? 501);
    if (request.gid === undefined) while (used.has(gid)) gid += 1;
    const record: DirRecord = {
      name: [groupName],
      gid: [String(gid)],
      generateduid: [randomUUID().toUpperCase()],
      passwd: ['*'],
      realname: [request.realName ?? groupName],
    };
    writeRecord(ctx.root, 'groups', record);
    return 0;
  });
}

function deleteGroup(ctx: FakeContext, request: DseditgroupRequest): number {
  const groupName = groupEditPrologue(ctx, request);
  if (typeof groupName === 'number') return groupName;
  return withLock(ctx.root, () => {
    const group = findRecord(ctx.root, 'groups', groupName);
    if (!group) {
      ctx.err('Group not found.\n');
      return EX_USAGE;
    }
    deleteRecordFile(ctx.root, 'groups', group.fileName);
    return 0;
  });
}

export const dseditgroup: ToolHandler = (ctx) => {
  const request = parseDseditgroup(ctx.args);
  const fail = (): number => {
    ctx.err('Record was not found.\n'); // an injected failure; the closest failure dseditgroup is known to print
    return EXIT_RECORD_NOT_FOUND;
  };
  switch (request.operation) {
    case 'checkmember':
      return reading(() => checkMember(ctx, request));
    case 'edit':
      return { isWrite: true, run: () => editGroup(ctx, request), fail };
    case 'create':
      return { isWrite: true, run: () => createGroup(ctx, request), fail };
    case 'delete':
      return { isWrite: true, run: () => deleteGroup(ctx, request), fail };
    default:
      throw new Unsupported(`operation "${request.operation}"`);
  }
};

// ---------------------------------------------------------------------------------------------------
// id

function findUserByNameOrUid(ctx: FakeContext, key: string): DirRecord | undefined {
  const byName = findRecord(ctx.root, 'users', key);
  if (byName) return byName.record;
  if (!/^-?\d+$/.test(key)) return undefined;
  return listRecords(ctx.root, 'users').find((stored) => unsigned32(Number(firstValue(stored.record, 'uid'))) === unsigned32(Number(key)))?.record;
}

/** A gid as `id` prints it: "20(staff)" when the group exists and names are wanted, else the number. */
function groupLabel(gid: number, groups: readonly GroupInfo[], withName: boolean, nameOnly = false): string {
  const name = groups.find((candidate) => candidate.gid === gid)?.name;
  if (name === undefined || !withName) return String(unsigned32(gid));
  return nameOnly ? name : `${unsigned32(gid)}(${name})`;
}

/** `id [-u|-g|-G] [-n] [user]`. */
export const id: ToolHandler = (ctx) => {
  const letters = ctx.args.filter((arg) => arg.startsWith('-')).join('').replace(/-/g, '');
  const names = ctx.args.filter((arg) => !arg.startsWith('-'));
  const mode = letters.replace('n', '');
  const byName = letters.includes('n');
  if (names.length > 1 || !['', 'u', 'g', 'G'].includes(mode) || (byName && mode === '') || letters.length > 2) throw new Unsupported();
  return reading(() => {
    const key = names[0] ?? String(ctx.uid);
    const record = findUserByNameOrUid(ctx, key);
    if (!record) {
      if (names[0] === undefined) throw new Unsupported(`id of uid ${ctx.uid}, which has no user record`);
      ctx.err(`id: ${key}: no such user\n`);
      return 1;
    }
    const user = toUserInfo(record);
    const groups = loadGroups(ctx.root);
    const userName = stringValues(record, 'name')[0] ?? '';
    if (mode === 'u') ctx.out(`${byName ? userName : unsigned32(user.uid)}\n`);
    else if (mode === 'g') ctx.out(`${groupLabel(user.gid, groups, byName, true)}\n`);
    else if (mode === 'G') ctx.out(`${groupIdsOf(user, groups).map((gid) => groupLabel(gid, groups, byName, true)).join(' ')}\n`);
    else {
      const list = groupIdsOf(user, groups).map((gid) => groupLabel(gid, groups, true)).join(',');
      ctx.out(`uid=${unsigned32(user.uid)}(${userName}) gid=${groupLabel(user.gid, groups, true)} groups=${list}\n`);
    }
    return 0;
  });
};

// ---------------------------------------------------------------------------------------------------
// dscacheutil, killall

export const dscacheutil: ToolHandler = (ctx) => {
  if (ctx.args.length !== 1 || ctx.args[0] !== '-flushcache') throw new Unsupported();
  return reading(() => 0);
};

/** Processes killall can find: always-running system daemons, the session's apps, and any the scenario adds. */
function runningProcesses(state: MacState): string[] {
  const processes = ['opendirectoryd', 'loginwindow', 'cfprefsd', 'securityd', 'authd', 'mdmclient', ...state.processes];
  if (state.console.mode === 'user') processes.push('Dock', 'Finder', 'SystemUIServer');
  return processes;
}

const SIGNAL_FLAG = /^-(HUP|INT|KILL|TERM|USR1|USR2|\d+|9|15|1)$/;

export const killall: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  if (args[0] !== undefined && SIGNAL_FLAG.test(args[0])) args.shift();
  if (args.length === 0 || args.some((arg) => arg.startsWith('-'))) throw new Unsupported();
  return {
    isWrite: true,
    run: () => {
      if (!ctx.isRoot) {
        ctx.err('No matching processes belonging to you were found\n');
        return 1;
      }
      return updateState(ctx.root, (state) => {
        const running = runningProcesses(state);
        const matched = args.filter((name) => running.includes(name));
        if (matched.length === 0) {
          ctx.err('No matching processes were found\n');
          return 1;
        }
        for (const name of matched) {
          if (name === 'opendirectoryd') {
            const od = state.opendirectoryd;
            od.restarts += 1;
            od.pid = 100 + Math.floor(Math.random() * 900);
            od.restartingUntil = Date.now() + od.restartWindowMs;
            od.failCallsLeft = od.restartFailCalls;
          } else if (name === 'loginwindow' && state.console.mode === 'user') {
            // Killing loginwindow ends the console session: the Mac goes back to the login window.
            state.console = { ...state.console, mode: 'loginwindow', user: null, nameAlias: null };
            chownSync(rootPath(ctx.root, '/dev/console'), 0, 0);
          } else {
            state.processes = state.processes.filter((process) => process !== name);
          }
        }
        return 0;
      });
    },
    fail: () => {
      ctx.err('No matching processes were found\n');
      return 1;
    },
  };
};

