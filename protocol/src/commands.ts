// Commands an admin can send to a device. Each type has its own params schema; the agent validates the params
// again before running anything and runs only the types its local configuration allows.
import * as z from 'zod';
import { ShortString, Text, Timestamp, Uuid } from './common.js';
import { MAX_INVENTORY_USERS } from './limits.js';

/** The command types, and whether each changes the Mac (destructive types are off by default on the agent). */
export const COMMAND_TYPES = {
  rescan: { destructive: false, meaning: 'Scan the Mac again and send a fresh inventory.' },
  demobilize: { destructive: true, meaning: 'Convert one mobile account, or all of them, to local accounts.' },
  restore: { destructive: true, meaning: 'Roll back a conversion from its snapshot.' },
  unbind: { destructive: true, meaning: 'Unbind the Mac from Active Directory.' },
  loginwindow: { destructive: true, meaning: 'Apply a login window preset from the local configuration.' },
  takeover: { destructive: true, meaning: 'Link local accounts to cloud identities by a mapping.' },
  'lock-account': { destructive: true, meaning: 'Disable logins of one local account, keeping its password, SecureToken and home (offboarding).' },
  'unlock-account': { destructive: true, meaning: 'Allow logins of an account Untether locked again, exactly as before the lock.' },
} as const;
export type CommandType = keyof typeof COMMAND_TYPES;

/** Which accounts a demobilize or restore acts on. */
export const UserScope = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('user'), user: ShortString }),
  z.strictObject({ scope: z.literal('all') }),
]);
export type UserScope = z.infer<typeof UserScope>;

/** One row of a takeover mapping: which local account belongs to which cloud identity. */
export const TakeoverMapping = z.strictObject({ localUser: ShortString, identity: ShortString });

/** One local account, by its short name or by the cloud identity a takeover linked it to. */
export const AccountRef = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('user'), user: ShortString }),
  z.strictObject({ by: z.literal('identity'), identity: ShortString }),
]);
export type AccountRef = z.infer<typeof AccountRef>;

/**
 * Params of lock-account and unlock-account. `lockId` is the server's lock (the same id for every device of a
 * fleet-wide lock, so the agent can tell which lock an unlock undoes); `requestedBy` and `reason` are the audit
 * trail the agent keeps and shows in `untether status`.
 */
export const AccountLockParams = z.strictObject({
  account: AccountRef,
  lockId: Uuid,
  requestedBy: ShortString,
  reason: Text,
});
export type AccountLockParams = z.infer<typeof AccountLockParams>;

/** The params schema of each command type; variants are built from this once for actions and once for commands. */
function commandVariants<Extra extends z.ZodRawShape>(extra: Extra) {
  return [
    z.strictObject({ ...extra, type: z.literal('rescan'), params: z.strictObject({}) }),
    z.strictObject({ ...extra, type: z.literal('demobilize'), params: UserScope }),
    z.strictObject({ ...extra, type: z.literal('restore'), params: UserScope }),
    z.strictObject({ ...extra, type: z.literal('unbind'), params: z.strictObject({}) }),
    z.strictObject({ ...extra, type: z.literal('loginwindow'), params: z.strictObject({ preset: ShortString }) }),
    z.strictObject({
      ...extra,
      type: z.literal('takeover'),
      params: z.strictObject({ mappings: z.array(TakeoverMapping).min(1).max(MAX_INVENTORY_USERS) }),
    }),
    z.strictObject({ ...extra, type: z.literal('lock-account'), params: AccountLockParams }),
    z.strictObject({ ...extra, type: z.literal('unlock-account'), params: AccountLockParams }),
  ] as const;
}

/** The action part of a command: type and its params, discriminated on `type` (what an admin asks for). */
export const CommandAction = z.discriminatedUnion('type', commandVariants({}));
export type CommandAction = z.infer<typeof CommandAction>;

/** A command as delivered to an agent: the action plus its id and validity window. */
export const Command = z.discriminatedUnion('type', commandVariants({ id: Uuid, issuedAt: Timestamp, validUntil: Timestamp }));
export type Command = z.infer<typeof Command>;

/** How a command ended on the agent. */
export const CommandOutcome = z.enum(['rejected', 'succeeded', 'failed']);
export type CommandOutcome = z.infer<typeof CommandOutcome>;

/** True when a command type changes the Mac. */
export function isDestructiveCommand(type: CommandType): boolean {
  return COMMAND_TYPES[type].destructive;
}
