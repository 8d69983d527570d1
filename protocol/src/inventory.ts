// The agent's scan of the Mac, sent in `inventory` messages. Every field that can fail to read has an honest
// `unknown` form instead of a default that looks like success.
import * as z from 'zod';
import { ShortString, Text, Uuid } from './common.js';
import { MAX_INVENTORY_PROFILES, MAX_INVENTORY_USERS } from './limits.js';

/** What kind of account a user record is. */
export const AccountKind = z.enum(['mobile', 'local', 'system', 'unknown']);
export type AccountKind = z.infer<typeof AccountKind>;

/** One user account as the agent saw it. */
export const InventoryUser = z.strictObject({
  name: ShortString,
  kind: AccountKind,
  uid: z.number().int(),
  generatedUid: Uuid,
  home: Text,
  admin: z.boolean(),
  /** null when the agent could not tell. */
  secureToken: z.boolean().nullable(),
  /** Whether the user can unlock FileVault; null when unknown. */
  fileVault: z.boolean().nullable(),
  /** Cloud identity this account is linked to, once linked. */
  linkedIdentity: ShortString.nullable(),
  /**
   * Whether logins of the account are disabled (a `DisabledUser` authentication authority or membership of
   * com.apple.access_disabled); null when unknown. Absent from agents older than the lock commands.
   */
  locked: z.boolean().nullable().optional(),
});
export type InventoryUser = z.infer<typeof InventoryUser>;

/** Directory binding of the Mac. */
export const Binding = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('ad'), domain: ShortString, computerId: ShortString.nullable() }),
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('unknown'), reason: Text }),
]);
export type Binding = z.infer<typeof Binding>;

/** State of the login window authorization chain. */
export const LoginChain = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('stock') }),
  z.strictObject({ kind: z.literal('idp'), provider: ShortString }),
  z.strictObject({ kind: z.literal('modified'), mechanisms: z.array(ShortString).max(64) }),
  z.strictObject({ kind: z.literal('unreadable'), reason: Text }),
]);
export type LoginChain = z.infer<typeof LoginChain>;

/** The agent's full scan of one Mac. */
export const Inventory = z.strictObject({
  hostname: ShortString,
  macos: z.strictObject({ version: z.string().regex(/^\d+(\.\d+){0,2}$/), build: ShortString }),
  users: z.array(InventoryUser).max(MAX_INVENTORY_USERS),
  binding: Binding,
  fileVault: z.enum(['on', 'off', 'encrypting', 'decrypting', 'unknown']),
  loginChain: LoginChain,
  mdm: z.strictObject({ enrolled: z.boolean().nullable(), server: ShortString.nullable() }),
  profiles: z.array(z.strictObject({ identifier: ShortString, displayName: ShortString.nullable() })).max(MAX_INVENTORY_PROFILES),
});
export type Inventory = z.infer<typeof Inventory>;
