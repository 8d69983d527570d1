// Pure: the agent's inventory and stage state in the protocol's shapes, for the server.
import os from 'node:os';
import type { Inventory, StageState } from '../../../protocol/src/index.js';
import type { MacInventory } from '../inventory/model.js';
import type { MigrationStage } from './stages.js';
import type { StageResult } from './state.js';

const IDP_KINDS = new Set(['jamf-connect', 'xcreds', 'jumpcloud', 'nomad-login']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// What the protocol's ShortString accepts (checked here without loading zod into the idle daemon).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function isShortText(value: string): boolean {
  return value.length >= 1 && value.length <= 256 && !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** The scan as the server stores it. Accounts without a usable UID or GeneratedUID are left out (they are in warnings). */
export function toProtocolInventory(inventory: MacInventory, hostname = os.hostname()): Inventory {
  const window = inventory.loginWindow;
  const loginChain: Inventory['loginChain'] =
    window.kind === 'unknown'
      ? { kind: 'unreadable', reason: window.error ?? 'unreadable' }
      : IDP_KINDS.has(window.kind)
        ? { kind: 'idp', provider: window.kind }
        : window.isOsDefault !== false && window.kind === 'apple'
          ? { kind: 'stock' }
          : { kind: 'modified', mechanisms: window.mechanisms.slice(0, 64) };
  const fileVault = inventory.fileVault.conversion === 'encrypting' || inventory.fileVault.conversion === 'decrypting' ? inventory.fileVault.conversion : inventory.fileVault.state;
  return {
    hostname: hostname.slice(0, 255) || 'unknown',
    macos: { version: inventory.macOS?.productVersion ?? '0', build: inventory.macOS?.buildVersion ?? 'unknown' },
    users: inventory.users
      .filter((user) => user.kind !== 'system' && user.kind !== 'unknown' && user.uid !== null && user.generatedUid !== null && UUID.test(user.generatedUid))
      .map((user) => ({
        name: user.name,
        kind: user.kind === 'mobile' ? 'mobile' : 'local',
        uid: user.uid!,
        generatedUid: user.generatedUid!,
        home: user.home ?? '',
        admin: user.admin,
        secureToken: user.secureToken === 'unknown' ? null : user.secureToken === 'enabled',
        fileVault: user.fileVault,
        linkedIdentity: user.linkedIdentity !== null && isShortText(user.linkedIdentity) ? user.linkedIdentity : null,
        locked: user.locked,
      })),
    binding: inventory.binding.bound ? { kind: 'ad', domain: inventory.binding.domain ?? 'unknown', computerId: inventory.binding.computerAccount } : { kind: 'none' },
    fileVault,
    loginChain,
    mdm: { enrolled: inventory.mdm.enrolled === 'unknown' ? null : inventory.mdm.enrolled, server: null },
    profiles: [...new Set(inventory.users.flatMap((user) => user.profiles))].slice(0, 200).map((identifier) => ({ identifier, displayName: null })),
  };
}

/** The stage state as the server stores it. */
export function toProtocolStageState(current: { stage: MigrationStage | 'done'; waitingFor: string | null }, results: Partial<Record<MigrationStage, StageResult>>): StageState {
  return { stage: current.stage, waitingFor: current.waitingFor, lastResult: results };
}

