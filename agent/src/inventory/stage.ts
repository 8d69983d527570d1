import type { MacInventory } from './model.js';

/**
 * Where a Mac stands in the migration, judged from its inventory alone (the daemon's own stage
 * machine refines this). Values are an interface: Jamf smart groups match on them.
 */
export type InventoryStage =
  | 'bound-with-mobile-accounts'
  | 'demobilized-still-bound'
  | 'mobile-accounts-without-binding'
  | 'not-bound'
  | 'on-idp-login-window';

const IDP_WINDOWS = new Set(['jamf-connect', 'xcreds', 'jumpcloud', 'nomad-login']);

/** The migration stage the inventory shows. */
export function inventoryStage(inventory: MacInventory): InventoryStage {
  const mobile = inventory.summary.mobile > 0;
  if (inventory.binding.bound) return mobile ? 'bound-with-mobile-accounts' : 'demobilized-still-bound';
  if (mobile) return 'mobile-accounts-without-binding';
  return IDP_WINDOWS.has(inventory.loginWindow.kind) ? 'on-idp-login-window' : 'not-bound';
}
