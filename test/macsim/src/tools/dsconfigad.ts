// Fake /usr/sbin/dsconfigad: `-show` and `-remove` over the AD binding in state.json (macos-tools.md §2).
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import type { AdBinding } from '../state-schema.js';
import { updateState } from '../store.js';

/** Every `key = value` line has its "=" at this column (0-based 33 → the key is padded to 33 characters). */
const KEY_WIDTH = 33;

const enabled = (value: boolean): string => (value ? 'Enabled' : 'Disabled');
const orNotSet = (value: string | null): string => value ?? 'not set';

/** The `dsconfigad -show` block for a binding, laid out like the macOS 12 capture. */
export function renderDsconfigadShow(binding: AdBinding): string {
  const o = binding.options;
  const line = (key: string, value: string): string => `${key.padEnd(KEY_WIDTH)}= ${value}\n`;
  return [
    line('Active Directory Forest', binding.forest),
    line('Active Directory Domain', binding.domain),
    line('Computer Account', binding.computerAccount),
    '\n',
    'Advanced Options - User Experience\n',
    line('  Create mobile account at login', enabled(o.createMobileAccount)),
    line('     Require confirmation', enabled(o.requireConfirmation)),
    line('  Force home to startup disk', enabled(o.forceLocalHome)),
    line('     Mount home as sharepoint', enabled(o.mountHomeAsSharepoint)),
    line('  Use Windows UNC path for home', enabled(o.useWindowsUncPath)),
    line('     Network protocol to be used', o.networkProtocol),
    line('  Default user Shell', o.defaultUserShell),
    '\n',
    'Advanced Options - Mappings\n',
    line('  Mapping UID to attribute', orNotSet(o.mapUidAttribute)),
    line('  Mapping user GID to attribute', orNotSet(o.mapUserGidAttribute)),
    line('  Mapping group GID to attribute', orNotSet(o.mapGroupGidAttribute)),
    line('  Generate Kerberos authority', enabled(o.generateKerberosAuthority)),
    '\n',
    'Advanced Options - Administrative\n',
    line('  Preferred Domain controller', orNotSet(o.preferredDomainController)),
    line('  Allowed admin groups', o.allowedAdminGroups.length > 0 ? o.allowedAdminGroups.join(',') : 'not set'),
    line('  Authentication from any domain', enabled(o.authenticationFromAnyDomain)),
    line('  Packet signing', o.packetSigning),
    line('  Packet encryption', o.packetEncryption),
    line('  Password change interval', String(o.passwordChangeInterval)),
    line('  Restrict Dynamic DNS updates', orNotSet(o.restrictDynamicDnsUpdates)),
    line('  Namespace mode', o.namespaceMode),
  ].join('');
}

interface RemoveRequest {
  force: boolean;
  username: string | undefined;
  password: string | undefined;
}

function parseRemove(args: readonly string[]): RemoveRequest {
  const request: RemoveRequest = { force: false, username: undefined, password: undefined };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '-remove') continue;
    if (arg === '-force') request.force = true;
    else if (arg === '-u' || arg === '-username') request.username = args[++index];
    else if (arg === '-p' || arg === '-password') request.password = args[++index];
    else throw new Unsupported(`option ${arg} with -remove`);
  }
  if (request.username === undefined || request.password === undefined) throw new Unsupported('-remove without -username and -password (would prompt)');
  return request;
}

function remove(ctx: FakeContext, request: RemoveRequest): number {
  if (!ctx.isRoot) {
    ctx.err('dsconfigad: This operation requires root privileges.\n'); // approximate wording
    return 1;
  }
  return updateState(ctx.root, (state) => {
    const binding = state.adBinding;
    if (binding === null) {
      ctx.err('dsconfigad: This computer is not Bound to Active Directory.\n'); // approximate wording and exit code
      return 1;
    }
    if (!request.force && !binding.domainReachable) {
      ctx.err("dsconfigad: Node name wasn't found. (2000)\n"); // approximate: unreachable domain without -force
      return 1;
    }
    state.adBinding = null;
    if (state.unbindCleansSearchPolicy) {
      for (const node of [state.searchPolicy.search, state.searchPolicy.contacts]) {
        node.cspSearchPath = node.cspSearchPath.filter((entry) => entry !== binding.nodeName);
      }
    }
    return 0;
  });
}

export const dsconfigad: ToolHandler = (ctx) => {
  const args = ctx.args;
  if (args.length === 1 && args[0] === '-show') {
    return reading(() => {
      const binding = ctx.state().adBinding;
      if (binding !== null) ctx.out(renderDsconfigadShow(binding));
      return 0;
    });
  }
  if (args.includes('-remove')) {
    const request = parseRemove(args);
    return {
      isWrite: true,
      run: () => remove(ctx, request),
      fail: () => {
        ctx.err('dsconfigad: An unknown error occurred. (10000)\n'); // approximate
        return 1;
      },
    };
  }
  throw new Unsupported();
};
