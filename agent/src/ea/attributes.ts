// Jamf Pro extension attributes: each prints exactly one <result>…</result>, which Jamf stores as a
// string per computer for smart groups and reports. Names and value formats are an interface.
import type { MacInventory } from '../inventory/model.js';
import { inventoryStage } from '../inventory/stage.js';

export interface ExtensionAttribute {
  name: string;
  description: string;
  /** The value Jamf stores; pure over the inventory. */
  value(inventory: MacInventory): string;
}

const personAccounts = (inventory: MacInventory) => inventory.users.filter((user) => user.kind === 'mobile' || user.kind === 'local');

export const EXTENSION_ATTRIBUTES: readonly ExtensionAttribute[] = [
  {
    name: 'mobile-accounts',
    description: 'Short names of AD mobile accounts, comma separated (empty when none). Replaces `dscl . list /Users OriginalNodeName | awk`, which cuts values at spaces.',
    value: (inventory) => inventory.users.filter((user) => user.kind === 'mobile').map((user) => user.name).join(', '),
  },
  {
    name: 'mobile-account-count',
    description: 'How many AD mobile accounts remain (an integer, for "greater than 0" smart groups).',
    value: (inventory) => String(inventory.summary.mobile),
  },
  {
    name: 'ad-binding',
    description: 'The Active Directory domain the Mac is bound to, or "Not Bound".',
    value: (inventory) => (inventory.binding.bound ? (inventory.binding.domain ?? 'Bound (domain unknown)') : 'Not Bound'),
  },
  {
    name: 'migration-stage',
    description: 'bound-with-mobile-accounts, demobilized-still-bound, mobile-accounts-without-binding, not-bound or on-idp-login-window.',
    value: (inventory) => inventoryStage(inventory),
  },
  {
    name: 'login-window',
    description: 'Which login window the Mac shows: apple, jamf-connect, xcreds, jumpcloud, nomad-login, other or unknown; "+demobilize" when a DeMobilize mechanism is in the chain.',
    value: (inventory) => `${inventory.loginWindow.kind}${inventory.loginWindow.demobilizeMechanism ? '+demobilize' : ''}`,
  },
  {
    name: 'accounts-without-securetoken',
    description: 'Local and mobile accounts without a SecureToken, comma separated (they cannot unlock FileVault).',
    value: (inventory) =>
      personAccounts(inventory)
        .filter((user) => user.secureToken === 'disabled')
        .map((user) => user.name)
        .join(', '),
  },
  {
    name: 'filevault-autologin',
    description: 'FileVault automatic login: On, Off or Unknown. When On, login-window demobilization never runs.',
    value: (inventory) => (inventory.fileVault.autoLogin === 'unknown' ? 'Unknown' : inventory.fileVault.autoLogin ? 'On' : 'Off'),
  },
  {
    name: 'mobile-accounts-with-user-profiles',
    description: 'Mobile accounts that have user-level configuration profiles (they lose them when demobilized).',
    value: (inventory) =>
      inventory.users
        .filter((user) => user.kind === 'mobile' && user.profiles.length > 0)
        .map((user) => user.name)
        .join(', '),
  },
  {
    name: 'untether-version',
    description: 'The installed Untether agent version.',
    value: (inventory) => inventory.agentVersion,
  },
];

/** Jamf reads the text between <result> and </result>; strip anything that could end it early. */
export function formatResult(value: string): string {
  return `<result>${value.replace(/<\/?result>/gi, '').replace(/[\r\n]+/g, ' ')}</result>\n`;
}
