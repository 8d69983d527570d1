// The human view of a scan: a short summary of the Mac, then one row per account.
import { printable, renderTable } from '../cli/table.js';
import type { MacInventory, UserInventory } from './model.js';
import { inventoryStage } from './stage.js';

function yesNo(value: boolean | 'unknown' | null): string {
  if (value === null || value === 'unknown') return '?';
  return value ? 'yes' : 'no';
}

function describeMac(inventory: MacInventory): string[] {
  const os = inventory.macOS ? `${inventory.macOS.productName} ${inventory.macOS.productVersion} (${inventory.macOS.buildVersion})` : 'macOS version unknown';
  const binding = inventory.binding.bound
    ? `bound to ${inventory.binding.domain ?? '?'}${inventory.binding.computerAccount ? ` as ${inventory.binding.computerAccount}` : ''}`
    : 'not bound to Active Directory';
  const fv = inventory.fileVault;
  const conversion = fv.conversion === 'none' ? '' : fv.conversion === 'unknown' ? ', conversion state unknown' : `, ${fv.conversion}`;
  const autoLogin = fv.autoLogin === 'unknown' ? 'unknown' : fv.autoLogin ? 'ON' : 'off';
  const window = inventory.loginWindow;
  const windowText =
    window.kind === 'unknown'
      ? `unreadable (${window.error ?? 'no reason given'})`
      : `${window.kind}${window.isOsDefault ? ' (macOS default)' : ''}${window.demobilizeMechanism ? ', with DeMobilize' : ''}`;
  const mdm = inventory.mdm;
  const mdmText = mdm.enrolled === 'unknown' ? 'unknown' : mdm.enrolled ? `enrolled${mdm.dep === true ? ' via DEP' : ''}${mdm.userApproved === true ? ', user approved' : ''}` : 'not enrolled';
  const console = inventory.consoleUser.loggedIn ? printable(inventory.consoleUser.name) : `nobody (${inventory.consoleUser.reason})`;
  return [
    `Mac:          ${os}, ${binding}`,
    `FileVault:    ${fv.state}${conversion}, automatic login ${autoLogin}`,
    `Login window: ${windowText}`,
    `MDM:          ${mdmText}`,
    `Logged in:    ${console}`,
    `Stage:        ${inventoryStage(inventory)}`,
  ];
}

function evidence(user: UserInventory): string {
  const parts: string[] = [];
  if (user.mobile.originalNodeName !== null) parts.push(`OriginalNodeName ${user.mobile.originalNodeName}`);
  if (user.mobile.localCachedUser !== null) parts.push('LocalCachedUser');
  return parts.join(', ');
}

/** The scan as text: summary lines, then a table of accounts (system accounts only when asked). */
export function renderInventory(inventory: MacInventory, options: { includeSystem: boolean }): string {
  const users = inventory.users.filter((user) => options.includeSystem || user.kind !== 'system');
  const rows = users.map((user) => [
    printable(user.name),
    user.kind,
    user.uid === null ? '?' : String(user.uid),
    yesNo(user.admin),
    user.secureToken === 'unknown' ? '?' : user.secureToken === 'enabled' ? 'yes' : 'no',
    yesNo(user.fileVault),
    user.profiles.length === 0 ? '-' : String(user.profiles.length),
    user.loggedIn ? 'yes' : '',
    printable(evidence(user)),
  ]);
  const { mobile, local, system, unknown } = inventory.summary;
  const counts = `${mobile} mobile, ${local} local, ${system} system${unknown ? `, ${unknown} unreadable` : ''} account(s)`;
  const hidden = options.includeSystem ? '' : ' (system accounts hidden; --include-system shows them)';
  const lines = [...describeMac(inventory), ''];
  lines.push(
    rows.length > 0
      ? renderTable(['USER', 'KIND', 'UID', 'ADMIN', 'TOKEN', 'FILEVAULT', 'PROFILES', 'LOGGED IN', 'MOBILE EVIDENCE'], rows).trimEnd()
      : 'No accounts to show.',
  );
  lines.push('', counts + hidden);
  for (const warning of inventory.warnings) lines.push(`warning: ${printable(warning)}`);
  return lines.join('\n') + '\n';
}
