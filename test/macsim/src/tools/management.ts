// Fake /usr/sbin/chown (checks and records only), /usr/bin/osascript and jamfHelper (record the notice
// and the session user in .macsim/notices.jsonl), /usr/local/bin/jamf and /usr/sbin/pkgutil.

/** Where the Installer keeps receipts (pkgutil(1) warns the place may change; query with pkgutil). */
const RECEIPTS = '/var/db/receipts';
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readBom } from '../../../../scripts/pkg/format/bom.js';
import path from 'node:path';
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { isPlistDict, parseXmlPlist, type PlistDict } from '../plist.js';
import { firstValue } from '../records.js';
import { LAYOUT, appendJsonLine, findRecord, listRecords, primaryName, rootPath, updateState } from '../store.js';

/** One line of notices.jsonl: what a user would have seen on screen. */
export interface NoticeRecord {
  ts: string;
  tool: 'osascript' | 'jamfHelper';
  /** Session the notice was shown in (launchctl asuser UID), else the uid that ran the tool. */
  uid: number;
  /** Short name of that uid, or null when no user record has it. */
  user: string | null;
  /** The uid the notice process itself ran as (root unless something dropped to the user, e.g. sudo -u). */
  processUid: number;
  text: string;
  args: string[];
}

function userNameOfUid(root: string, uid: number): string | null {
  const stored = listRecords(root, 'users').find((candidate) => Number(firstValue(candidate.record, 'uid')) === uid);
  return stored ? primaryName(stored.record) : null;
}

function recordNotice(ctx: FakeContext, tool: NoticeRecord['tool'], text: string): void {
  const uid = ctx.sessionUid ?? ctx.uid;
  const notice: NoticeRecord = { ts: new Date().toISOString(), tool, uid, user: userNameOfUid(ctx.root, uid), processUid: ctx.uid, text, args: [...ctx.args] };
  appendJsonLine(path.join(ctx.root, LAYOUT.notices), notice);
}

export const osascript: ToolHandler = (ctx) => {
  // osascript [-e statement]... [--] [argument...]: arguments after the script reach `on run argv`.
  const scripts: string[] = [];
  let index = 0;
  while (index < ctx.args.length && ctx.args[index] === '-e') {
    if (ctx.args[index + 1] === undefined) throw new Unsupported('-e without a statement');
    scripts.push(ctx.args[index + 1]!);
    index += 2;
  }
  if (ctx.args[index] === '--') index += 1;
  const argv = ctx.args.slice(index);
  if (scripts.length === 0) throw new Unsupported('only -e scripts are modelled');
  if (argv.length > 0 && !scripts.some((line) => /on run argv/.test(line))) throw new Unsupported('arguments without an `on run argv` handler');
  return reading(() => {
    const script = scripts.join('\n');
    // What the user reads: the arguments when the script shows them, else the script's own text.
    recordNotice(ctx, 'osascript', argv.length > 0 ? argv.join('\n') : script);
    if (script.includes('display dialog')) ctx.out('button returned:OK\n'); // the default button, as if clicked
    return 0;
  });
};

/** jamfHelper flags whose value is shown to the user. */
const JAMF_HELPER_TEXT_FLAGS = ['-title', '-heading', '-description', '-button1', '-button2'];

export const jamfHelper: ToolHandler = (ctx) => {
  if (!ctx.args.includes('-windowType')) throw new Unsupported('jamfHelper without -windowType');
  return reading(() => {
    const parts: string[] = [];
    ctx.args.forEach((arg, index) => {
      const value = ctx.args[index + 1];
      if (JAMF_HELPER_TEXT_FLAGS.includes(arg) && value !== undefined) parts.push(`${arg.slice(1)}: ${value}`);
    });
    recordNotice(ctx, 'jamfHelper', parts.join('\n'));
    return 0;
  });
};

export const jamf: ToolHandler = (ctx) => {
  const [verb, ...rest] = ctx.args;
  const url = (): string => ctx.state().jamf?.url ?? 'https://jamf.example.com:8443/';
  if (verb === 'recon' && rest.length === 0) {
    return reading(() => {
      ctx.out(
        ` Retrieving inventory preferences from ${url()}...\n Locating accounts...\n Locating applications...\n` +
          ` Submitting data to ${url()}...\n <computer_id>${ctx.state().jamf?.computerId ?? 1}</computer_id>\n`,
      );
      return 0;
    });
  }
  if (verb === 'policy' && (rest.length === 0 || (rest.length === 2 && (rest[0] === '-event' || rest[0] === '-trigger')))) {
    return reading(() => {
      const trigger = rest[1] ?? 'recurring check-in';
      ctx.out(`Checking for policies triggered by "${trigger}" for user "root"...\nNo policies were found for the "${trigger}" trigger.\n`);
      return 0;
    });
  }
  if (verb === 'manage' && rest.length === 0) return reading(() => 0);
  throw new Unsupported();
};

export const chown: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  while (args[0] === '-R' || args[0] === '-h' || args[0] === '-f') args.shift();
  const [owner, ...paths] = args;
  if (owner === undefined || paths.length === 0 || paths.some((item) => !item.startsWith('/'))) throw new Unsupported();
  return {
    isWrite: true,
    fail: () => {
      ctx.err(`chown: ${paths[0]}: Operation not permitted\n`);
      return 1;
    },
    run: () => {
      const [user = '', group] = owner.split(':');
      if (user !== '' && !/^\d+$/.test(user) && !findRecord(ctx.root, 'users', user)) {
        ctx.err(`chown: ${user}: illegal user name\n`);
        return 1;
      }
      if (group !== undefined && group !== '' && !/^\d+$/.test(group) && !findRecord(ctx.root, 'groups', group)) {
        ctx.err(`chown: ${group}: illegal group name\n`);
        return 1;
      }
      let status = 0;
      for (const item of paths) {
        try {
          lstatSync(rootPath(ctx.root, item));
        } catch {
          ctx.err(`chown: ${item}: No such file or directory\n`);
          status = 1;
          continue;
        }
        if (!ctx.isRoot) {
          ctx.err(`chown: ${item}: Operation not permitted\n`);
          status = 1;
        }
      }
      return status;
    },
  };
};

/** Receipts the simulated Installer wrote (/var/db/receipts/<id>.plist), by identifier. */
function receiptIds(root: string): string[] {
  try {
    return readdirSync(rootPath(root, RECEIPTS)).filter((name) => name.endsWith('.plist')).map((name) => name.slice(0, -'.plist'.length)).sort();
  } catch {
    return [];
  }
}

function readReceipt(root: string, id: string): PlistDict | undefined {
  try {
    const value = parseXmlPlist(readFileSync(rootPath(root, `${RECEIPTS}/${id}.plist`), 'utf8'));
    return isPlistDict(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const noReceipt = (ctx: FakeContext, id: string): number => {
  ctx.err(`No receipt for '${id}' found at '/'.\n`);
  return 1;
};

/**
 * pkgutil over the scenario's receipt names (state.packages) and the receipts the simulated Installer wrote:
 * --pkgs, --pkg-info ID, --files ID (from the receipt's Bom, paths relative to the install location), --forget ID.
 */
export const pkgutil: ToolHandler = (ctx) => {
  const [option, id, ...rest] = ctx.args;
  if (option === '--pkgs' && id === undefined) {
    return reading(() => {
      const listed = [...ctx.state().packages];
      for (const receipt of receiptIds(ctx.root)) if (!listed.includes(receipt)) listed.push(receipt);
      ctx.out(listed.map((pkg) => `${pkg}\n`).join(''));
      return 0;
    });
  }
  if (option === '--pkg-info' && id !== undefined && rest.length === 0) {
    return reading(() => {
      const receipt = readReceipt(ctx.root, id);
      if (!receipt) return noReceipt(ctx, id); // scenario-only names (state.packages) carry no details
      const date = receipt.InstallDate instanceof Date ? receipt.InstallDate : new Date(0);
      const prefix = typeof receipt.InstallPrefixPath === 'string' && receipt.InstallPrefixPath !== '' ? receipt.InstallPrefixPath : '/';
      ctx.out(`package-id: ${String(receipt.PackageIdentifier)}\nversion: ${String(receipt.PackageVersion)}\nvolume: /\nlocation: ${prefix}\ninstall-time: ${Math.floor(date.getTime() / 1000)}\n`);
      return 0;
    });
  }
  if (option === '--files' && id !== undefined && rest.length === 0) {
    return reading(() => {
      let bom: Buffer;
      try {
        bom = readFileSync(rootPath(ctx.root, `${RECEIPTS}/${id}.bom`));
      } catch {
        return noReceipt(ctx, id);
      }
      ctx.out(readBom(bom).filter((entry) => entry.path !== '.').map((entry) => `${entry.path.replace(/^\.\//, '')}\n`).join(''));
      return 0;
    });
  }
  if (option !== '--forget' || id === undefined || rest.length > 0) throw new Unsupported();
  return {
    isWrite: true,
    fail: () => noReceipt(ctx, id),
    run: () => {
      if (!ctx.isRoot) {
        ctx.err('Must be run as root\n'); // approximate
        return 1;
      }
      return updateState(ctx.root, (state) => {
        const hasReceipt = existsSync(rootPath(ctx.root, `${RECEIPTS}/${id}.plist`));
        if (!state.packages.includes(id) && !hasReceipt) return noReceipt(ctx, id);
        state.packages = state.packages.filter((pkg) => pkg !== id);
        rmSync(rootPath(ctx.root, `${RECEIPTS}/${id}.plist`), { force: true });
        rmSync(rootPath(ctx.root, `${RECEIPTS}/${id}.bom`), { force: true });
        ctx.out(`Forgot package '${id}' on '/'.\n`);
        return 0;
      });
    },
  };
};
