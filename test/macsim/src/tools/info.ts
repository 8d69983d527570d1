// Fake /usr/bin/profiles, /usr/bin/defaults, /usr/bin/sw_vers and /usr/sbin/ioreg.
import { existsSync, readFileSync } from 'node:fs';
import { Unsupported, nslogPrefix, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { isPlistDict, parseXmlPlist, toXmlPlist, type PlistDict, type PlistValue } from '../plist.js';
import { firstValue } from '../records.js';
import { atomicWrite, listRecords, primaryName, rootPath, withLock } from '../store.js';

// ---------------------------------------------------------------------------------------------------
// profiles

function profileLines(owner: string, identifiers: readonly string[]): string {
  return identifiers.map((identifier, index) => `${owner}[${index + 1}] attribute: profileIdentifier: ${identifier}\n`).join('');
}

/** The short name of the user running the tool (non-root `profiles list` shows that user's profiles). */
function callerName(ctx: FakeContext): string {
  const stored = listRecords(ctx.root, 'users').find((candidate) => Number(firstValue(candidate.record, 'uid')) === ctx.uid);
  if (!stored) throw new Unsupported(`profiles run by uid ${ctx.uid}, which has no user record`);
  return primaryName(stored.record);
}

function listAll(ctx: FakeContext): number {
  if (!ctx.isRoot) return listForUser(ctx, callerName(ctx));
  const profiles = ctx.state().profiles;
  const users = Object.keys(profiles.users).sort();
  const total = profiles.computer.length + users.reduce((sum, user) => sum + (profiles.users[user]?.length ?? 0), 0);
  if (total === 0) {
    ctx.out('There are no configuration profiles installed\n');
    return 0;
  }
  ctx.out(profileLines('_computerlevel', profiles.computer));
  for (const user of users) ctx.out(profileLines(user, profiles.users[user] ?? []));
  ctx.out(`There are ${total} configuration profiles installed\n`);
  return 0;
}

function listForUser(ctx: FakeContext, user: string): number {
  const identifiers = ctx.state().profiles.users[user] ?? [];
  if (identifiers.length === 0) {
    ctx.out(`There are no configuration profiles installed for user '${user}'\n`);
    return 0;
  }
  ctx.out(profileLines(user, identifiers));
  ctx.out(`There are ${identifiers.length} user configuration profiles installed for '${user}'\n`);
  return 0;
}

function listComputer(ctx: FakeContext): number {
  const identifiers = ctx.state().profiles.computer;
  if (identifiers.length === 0) {
    ctx.out('There are no configuration profiles installed in the system domain\n');
    return 0;
  }
  ctx.out(profileLines('_computerlevel', identifiers));
  ctx.out(`There are ${identifiers.length} system configuration profiles installed\n`);
  return 0;
}

function enrollmentStatus(ctx: FakeContext): number {
  const mdm = ctx.state().mdm;
  ctx.out(`Enrolled via DEP: ${mdm.enrolledViaDep ? 'Yes' : 'No'}\nMDM enrollment: ${mdm.enrollment}\n`);
  if (mdm.enrollment !== 'No' && mdm.serverUrl !== null) ctx.out(`MDM server: ${mdm.serverUrl}\n`);
  return 0;
}

export const profiles: ToolHandler = (ctx) => {
  const args = ctx.args.join(' ');
  if (args === '-P' || args === 'list' || args === 'list -all') return reading(() => listAll(ctx));
  if (args === '-C') return reading(() => listComputer(ctx));
  if (args === 'status -type enrollment') return reading(() => enrollmentStatus(ctx));
  throw new Unsupported();
};

// ---------------------------------------------------------------------------------------------------
// defaults (absolute plist paths only)

function plistFileOf(ctx: FakeContext, domain: string): string {
  if (!domain.startsWith('/')) throw new Unsupported(`domain ${domain} (only absolute plist paths are modelled)`);
  return rootPath(ctx.root, domain.endsWith('.plist') ? domain : `${domain}.plist`);
}

function readDomain(file: string): PlistDict | undefined {
  if (!existsSync(file)) return undefined;
  const value = parseXmlPlist(readFileSync(file, 'utf8'));
  if (!isPlistDict(value)) throw new Unsupported(`${file} is not a dictionary plist`);
  return value;
}

function formatDefault(value: PlistValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  throw new Unsupported('printing arrays, dictionaries, data or dates is not modelled');
}

function doesNotExist(ctx: FakeContext, domain: string, key: string): number {
  ctx.err(`${nslogPrefix('defaults')}\nThe domain/default pair of (${domain}, ${key}) does not exist\n`);
  return 1;
}

const BOOL_WORDS: Record<string, boolean> = { yes: true, true: true, '1': true, no: false, false: false, '0': false };

function parseTypedValue(type: string, text: string): PlistValue {
  if (type === '-bool' || type === '-boolean') {
    const value = BOOL_WORDS[text.toLowerCase()];
    if (value === undefined) throw new Unsupported(`boolean value ${text}`);
    return value;
  }
  if (type === '-int' || type === '-integer') {
    if (!/^-?\d+$/.test(text)) throw new Unsupported(`integer value ${text}`);
    return Number(text);
  }
  if (type === '-string') return text;
  throw new Unsupported(`value type ${type}`);
}

export const defaults: ToolHandler = (ctx) => {
  const [verb, domain, key, ...rest] = ctx.args;
  if (domain === undefined || key === undefined) throw new Unsupported();
  const file = plistFileOf(ctx, domain);
  if (verb === 'read' && rest.length === 0) {
    return reading(() => {
      const value = readDomain(file)?.[key];
      if (value === undefined) return doesNotExist(ctx, domain, key);
      ctx.out(`${formatDefault(value)}\n`);
      return 0;
    });
  }
  if (verb === 'write' || verb === 'delete') {
    if (verb === 'write' && rest.length !== 2) throw new Unsupported('write needs a type flag and one value');
    if (verb === 'delete' && rest.length !== 0) throw new Unsupported();
    const newValue = verb === 'write' ? parseTypedValue(rest[0]!, rest[1]!) : undefined;
    const notWritable = (): number => {
      ctx.err(`Could not write domain ${domain}; exiting\n`);
      return 1;
    };
    return {
      isWrite: true,
      fail: notWritable,
      run: () => {
        if (!ctx.isRoot) return notWritable();
        return withLock(ctx.root, () => {
          const current = readDomain(file);
          if (newValue === undefined) {
            if (current?.[key] === undefined) {
              ctx.err(`${nslogPrefix('defaults')}\nDomain (${domain}) not found.\nDefaults have not been changed.\n`); // approximate
              return 1;
            }
            delete current[key];
            atomicWrite(file, toXmlPlist(current));
            return 0;
          }
          atomicWrite(file, toXmlPlist({ ...(current ?? {}), [key]: newValue }));
          return 0;
        });
      },
    };
  }
  throw new Unsupported();
};

// ---------------------------------------------------------------------------------------------------
// sw_vers, ioreg

export const swVers: ToolHandler = (ctx) => {
  const os = (): { productName: string; productVersion: string; buildVersion: string } => ctx.state().os;
  const single: Record<string, () => string> = {
    '-productName': () => os().productName,
    '-productVersion': () => os().productVersion,
    '-buildVersion': () => os().buildVersion,
  };
  if (ctx.args.length === 0) {
    return reading(() => {
      const { productName, productVersion, buildVersion } = os();
      ctx.out(`ProductName:\t\t${productName}\nProductVersion:\t\t${productVersion}\nBuildVersion:\t\t${buildVersion}\n`);
      return 0;
    });
  }
  const pick = ctx.args.length === 1 ? single[ctx.args[0]!] : undefined;
  if (!pick) throw new Unsupported();
  return reading(() => {
    ctx.out(`${pick()}\n`);
    return 0;
  });
};

/** "serial-number" as ioreg shows it: the ASCII bytes, zero-padded to 31 bytes, in hex. */
function serialNumberHex(serial: string): string {
  return Buffer.from(serial, 'ascii').toString('hex').padEnd(62, '0');
}

/** The IOPlatformExpertDevice node, laid out like the captured block (values from state.hardware). */
export function renderPlatformExpert(model: string, platformUuid: string, serialNumber: string): string {
  return [
    `+-o ${model}  <class IOPlatformExpertDevice, id 0x100000114, registered, matched, active, busy 0 (144 ms), retain 37>`,
    '    {',
    '      "IOPlatformSystemSleepPolicy" = <534c505402000a002000000020000000000000>',
    `      "compatible" = <"${model}">`,
    '      "version" = <"1.0">',
    '      "board-id" = <"Mac-7BA5B2D9E42DDD94">',
    '      "IOInterruptSpecifiers" = (<0900000005000000>)',
    '      "platform-feature" = <2000000058e72b7d>',
    `      "serial-number" = <${serialNumberHex(serialNumber)}>`,
    '      "IOInterruptControllers" = ("io-apic-0")',
    '      "IOPolledInterface" = "SMCPolledInterface is not serializable"',
    '      "target-type" = <"Mac">',
    '      "clock-frequency" = <00286bee>',
    '      "manufacturer" = <"Apple Inc.">',
    `      "IOPlatformUUID" = "${platformUuid}"`,
    `      "IOPlatformSerialNumber" = "${serialNumber}"`,
    `      "product-name" = <"${model}">`,
    '      "IOBusyInterest" = "IOCommand is not serializable"',
    `      "model" = <"${model}">`,
    '      "name" = <"/">',
    '      "IOConsoleSecurityInterest" = "IOCommand is not serializable"',
    '    }',
    '    ',
  ]
    .map((line) => `${line}\n`)
    .join('');
}

export const ioreg: ToolHandler = (ctx) => {
  const args = ctx.args.join(' ');
  if (args !== '-rd1 -c IOPlatformExpertDevice' && args !== '-r -d 1 -c IOPlatformExpertDevice') throw new Unsupported();
  return reading(() => {
    const { model, platformUuid, serialNumber } = ctx.state().hardware;
    ctx.out(renderPlatformExpert(model, platformUuid, serialNumber));
    return 0;
  });
};
