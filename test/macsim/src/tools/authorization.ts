// Fake /usr/bin/security (authorizationdb read/write only) and /usr/local/bin/authchanger, both over the
// live authorization DB (macos-tools.md §3, §4; demobilization.md §3.2).
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import {
  AUTHCHANGER_RESET_MECHANISMS,
  JAMF_CONNECT_END_MECHANISMS,
  JAMF_CONNECT_FRONT_MECHANISMS,
  LOGIN_RIGHT,
  readAuthDb,
  setRight,
  writeAuthDb,
} from '../authdb.js';
import { isPlistDict, parseXmlPlist, toXmlPlist, type PlistDict, type PlistValue } from '../plist.js';
import { withLock } from '../store.js';

/** errAuthorizationDenied: what a non-root write (and a read of an unknown right) reports. */
const AUTH_DENIED = -60005;
/** errAuthorizationInternal: what an injected write failure reports. */
const AUTH_INTERNAL = -60008;
/** `security` returns -1 on failure (authz.c), i.e. exit status 255. */
const SECURITY_FAILURE_EXIT = 255;

export const security: ToolHandler = (ctx) => {
  const [group, verb, right, ...rest] = ctx.args;
  if (group !== 'authorizationdb' || right === undefined || rest.length > 0) throw new Unsupported();
  if (verb === 'read') return reading(() => readRight(ctx, right));
  if (verb !== 'write') throw new Unsupported(`authorizationdb ${verb}`);
  return {
    isWrite: true,
    run: () => writeRight(ctx, right),
    fail: () => {
      ctx.err(`NO (${AUTH_INTERNAL})\n`);
      return SECURITY_FAILURE_EXIT;
    },
  };
};

function readRight(ctx: FakeContext, name: string): number {
  const definition = readAuthDb(ctx.root)[name];
  if (!isPlistDict(definition)) {
    ctx.err(`NO (${AUTH_DENIED})\n`);
    return SECURITY_FAILURE_EXIT;
  }
  ctx.out(toXmlPlist(definition));
  ctx.err('YES (0)\n');
  return 0;
}

function writeRight(ctx: FakeContext, name: string): number {
  let definition: PlistValue;
  try {
    definition = parseXmlPlist(ctx.stdin());
  } catch {
    return SECURITY_FAILURE_EXIT; // authz.c returns before printing YES/NO when stdin is not a plist
  }
  if (!isPlistDict(definition)) return SECURITY_FAILURE_EXIT;
  if (!ctx.isRoot) {
    ctx.err(`NO (${AUTH_DENIED})\n`);
    return SECURITY_FAILURE_EXIT;
  }
  withLock(ctx.root, () => {
    const db = readAuthDb(ctx.root);
    setRight(db, name, definition as PlistDict);
    writeAuthDb(ctx.root, db);
  });
  ctx.err('YES (0)\n');
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// authchanger

const AUTHCHANGER_VERSION = '2.1.0';
const NOT_ROOT_MESSAGE = 'Not Running as root, please execute with sudo privilege to do this function';
/** Rights `authchanger -print` shows, in this (fixed) order; the real order follows Swift dictionary iteration. */
const PRINTED_RIGHTS = [LOGIN_RIGHT, 'system.services.systemconfiguration.network', 'system.preferences.network'];
/** Keys printed after the mechanisms/rule block, in this order; any others follow alphabetically. */
const PRINTED_KEY_ORDER = ['class', 'tries', 'shared', 'version', 'comment', 'created', 'modified'];

type Flag = 'reset' | 'jamfconnect' | 'preauth' | 'prelogin' | 'postauth' | 'print' | 'version' | 'help';
const FLAGS: readonly Flag[] = ['reset', 'jamfconnect', 'preauth', 'prelogin', 'postauth', 'print', 'version', 'help'];

interface AuthchangerRequest {
  flags: Set<Flag>;
  mechanisms: Record<'preauth' | 'prelogin' | 'postauth', string[]>;
}

/** authchanger matches flags case-insensitively as substrings; values follow their flag until the next flag. */
function parseAuthchanger(args: readonly string[]): AuthchangerRequest {
  const request: AuthchangerRequest = { flags: new Set(), mechanisms: { preauth: [], prelogin: [], postauth: [] } };
  let collecting: 'preauth' | 'prelogin' | 'postauth' | undefined;
  for (const arg of args) {
    if (arg.startsWith('-')) {
      const lowered = arg.toLowerCase();
      const flag = FLAGS.find((candidate) => lowered.includes(`-${candidate}`)) ?? (lowered === '-h' ? 'help' : undefined);
      if (flag === undefined) throw new Unsupported(`flag ${arg}`);
      request.flags.add(flag);
      collecting = flag === 'preauth' || flag === 'prelogin' || flag === 'postauth' ? flag : undefined;
    } else if (collecting !== undefined) {
      request.mechanisms[collecting].push(arg);
    } else {
      throw new Unsupported(`stray argument ${arg}`);
    }
  }
  return request;
}

/** The mechanisms list an authchanger write produces from the current one. */
function editedMechanisms(current: readonly string[], request: AuthchangerRequest): string[] {
  let mechanisms = request.flags.has('reset') ? [...AUTHCHANGER_RESET_MECHANISMS] : [...current];
  if (request.flags.has('jamfconnect')) {
    mechanisms = mechanisms.filter((mechanism) => !mechanism.startsWith('JamfConnectLogin:'));
    const login = mechanisms.indexOf('loginwindow:login');
    if (login < 0) throw new Unsupported('-JamfConnect on a chain without loginwindow:login');
    mechanisms.splice(login, 1, ...JAMF_CONNECT_FRONT_MECHANISMS);
    mechanisms.push(...JAMF_CONNECT_END_MECHANISMS);
  }
  if (request.mechanisms.prelogin.length > 0) mechanisms.splice(1, 0, ...request.mechanisms.prelogin);
  if (request.mechanisms.preauth.length > 0) {
    const begin = mechanisms.indexOf('builtin:login-begin');
    if (begin < 0) throw new Unsupported('-preAuth on a chain without builtin:login-begin');
    mechanisms.splice(begin, 0, ...request.mechanisms.preauth);
  }
  mechanisms.push(...request.mechanisms.postauth);
  return mechanisms;
}

function printValue(value: PlistValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** authorizationDBPrettyPrint: `Entry: <right>`, list keys as blocks, other keys as `key : value`, blank line. */
function prettyPrint(db: PlistDict): string {
  const lines: string[] = [];
  for (const name of PRINTED_RIGHTS) {
    const right = db[name];
    if (!isPlistDict(right)) continue;
    lines.push(`Entry: ${name}`);
    for (const listKey of ['mechanisms', 'rule']) {
      const items = right[listKey];
      if (!Array.isArray(items)) continue;
      lines.push(`   ${listKey}:`, ...items.map((item) => `      ${printValue(item)}`));
    }
    const rest = Object.keys(right).filter((key) => key !== 'mechanisms' && key !== 'rule');
    rest.sort((a, b) => {
      const ia = PRINTED_KEY_ORDER.indexOf(a);
      const ib = PRINTED_KEY_ORDER.indexOf(b);
      if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      return a < b ? -1 : 1;
    });
    for (const key of rest) lines.push(`   ${key} : ${printValue(right[key]!)}`);
    lines.push('');
  }
  return lines.map((line) => `${line}\n`).join('');
}

export const authchanger: ToolHandler = (ctx) => {
  const request = parseAuthchanger(ctx.args);
  const writes = ['reset', 'jamfconnect', 'preauth', 'prelogin', 'postauth'].some((flag) => request.flags.has(flag as Flag));
  if (request.flags.has('help') || (request.flags.has('print') && writes)) throw new Unsupported();
  if (request.flags.has('version')) {
    if (writes || request.flags.has('print')) throw new Unsupported();
    return reading(() => {
      ctx.out(`${AUTHCHANGER_VERSION}\n`);
      return 0;
    });
  }
  if (request.flags.has('print')) {
    return reading(() => {
      ctx.out(prettyPrint(readAuthDb(ctx.root)));
      return 0;
    });
  }
  if (!writes) throw new Unsupported('no action');
  return {
    isWrite: true,
    run: () => {
      if (!ctx.isRoot) {
        ctx.out(`${NOT_ROOT_MESSAGE}\n`);
        return 1;
      }
      return withLock(ctx.root, () => {
        const db = readAuthDb(ctx.root);
        const right = db[LOGIN_RIGHT];
        if (!isPlistDict(right)) throw new Unsupported(`${LOGIN_RIGHT} is missing from the authorization DB`);
        const current = Array.isArray(right.mechanisms) ? right.mechanisms.map(String) : [];
        setRight(db, LOGIN_RIGHT, { ...right, mechanisms: editedMechanisms(current, request) });
        writeAuthDb(ctx.root, db);
        return 0;
      });
    },
    fail: () => {
      ctx.out(`Error writing ${LOGIN_RIGHT}: ${AUTH_INTERNAL}\n`);
      return 1;
    },
  };
};
