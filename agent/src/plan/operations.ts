// A plan is data: an ordered list of typed operations on one account. The same list is printed by
// --dry-run, written to the journal, executed by txn/, and applied to a record model to know what the
// record must look like afterwards (verify).
import * as z from 'zod';
import { isAttributeType } from '../system/directory-record.js';
import type { AttributeType } from '../system/dscl.js';

const attributeType = z.custom<AttributeType>((value) => typeof value === 'string' && isAttributeType(value), {
  message: 'not a full attribute type name (dsAttrTypeStandard:… or dsAttrTypeNative:…)',
});
const groupName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'not a group short name');
/** A user short name as a rename may write it (the checks of `shortNameSchema` in cli/validate.ts). */
const userName = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !name.startsWith('-') && !/[\s/:\u0000-\u001f\u007f]/.test(name), 'not a user short name');
/** A home folder: /Users/<short name>, the only place a rename moves one to or from. */
const homePath = z.string().regex(/^\/Users\/[^/\s:\u0000-\u001f\u007f]+$/, 'not /Users/<name>').refine((value) => !['/Users/.', '/Users/..'].includes(value), 'not /Users/<name>');

/** The attributes a rename changes (full type names). */
export const RECORD_NAME = 'dsAttrTypeStandard:RecordName' as const;
export const HOME_DIRECTORY = 'dsAttrTypeStandard:NFSHomeDirectory' as const;

/** The operations, as a schema: plans are read back from the journal and must be checked like any input. */
export const planOperationSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('delete-value'), attribute: attributeType, value: z.string(), why: z.string() }),
  /** `raw` is only in journals written before every dscl write used -raw (0.1.x); it is read and ignored. */
  z.object({ op: z.literal('delete-attribute'), attribute: attributeType, raw: z.boolean().optional(), why: z.string() }),
  z.object({ op: z.literal('set-attribute'), attribute: attributeType, values: z.array(z.string()), why: z.string() }),
  z.object({ op: z.literal('append-values'), attribute: attributeType, values: z.array(z.string()).min(1), why: z.string() }),
  z.object({ op: z.literal('remove-account-file'), why: z.string() }),
  z.object({ op: z.literal('restore-account-file'), contentBase64: z.string(), mode: z.number().int().min(0).max(0o7777), why: z.string() }),
  z.object({ op: z.literal('add-group-member'), group: groupName, why: z.string() }),
  z.object({ op: z.literal('remove-group-member'), group: groupName, why: z.string() }),
  /** Rename the account inside a group's GroupMembership (a renamed account keeps its memberships). */
  z.object({ op: z.literal('rename-group-member'), group: groupName, from: z.string().min(1), to: z.string().min(1), why: z.string() }),
  /** A local group carrying an AD primary GID, so the account's primary group resolves after unbind. Never removed by a rollback: other accounts may share it. */
  z.object({ op: z.literal('ensure-alias-group'), group: groupName, gid: z.number().int().min(0), why: z.string() }),
  /** Rename the account: the RecordName value `from` becomes `to` (other aliases kept); the record then is /Users/<to>. */
  z.object({ op: z.literal('rename-record'), from: userName, to: userName, why: z.string() }),
  /** Move the home folder (one rename on the same volume; the target must not exist). NFSHomeDirectory is a set-attribute of its own. */
  z.object({ op: z.literal('move-home'), from: homePath, to: homePath, why: z.string() }),
]);

export type PlanOperation = z.infer<typeof planOperationSchema>;

/** One line for people: what the operation does, then why. */
export function describeOperation(operation: PlanOperation): string {
  // As `dscl . -read` shows it: the standard prefix dropped, the native one kept, so the two never look alike.
  const name = (attribute: AttributeType) => attribute.replace(/^dsAttrTypeStandard:/, '');
  switch (operation.op) {
    case 'delete-value':
      return `remove ${name(operation.attribute)} value "${operation.value}" (${operation.why})`;
    case 'delete-attribute':
      return `delete ${name(operation.attribute)} (${operation.why})`;
    case 'set-attribute':
      return `set ${name(operation.attribute)} to ${operation.values.map((value) => `"${value}"`).join(' ')} (${operation.why})`;
    case 'append-values':
      return `add ${name(operation.attribute)} value(s) ${operation.values.map((value) => `"${value}"`).join(' ')} (${operation.why})`;
    case 'remove-account-file':
      return `remove ~/.account (${operation.why})`;
    case 'restore-account-file':
      return `put ~/.account back (${operation.why})`;
    case 'add-group-member':
      return `add to group ${operation.group} (${operation.why})`;
    case 'remove-group-member':
      return `remove from group ${operation.group} (${operation.why})`;
    case 'rename-group-member':
      return `rename member ${operation.from} to ${operation.to} in group ${operation.group} (${operation.why})`;
    case 'ensure-alias-group':
      return `create group ${operation.group} with GID ${operation.gid} unless it exists (${operation.why})`;
    case 'rename-record':
      return `rename the account "${operation.from}" to "${operation.to}" (RecordName; ${operation.why})`;
    case 'move-home':
      return `move the home folder ${operation.from} to ${operation.to} (${operation.why})`;
    default: {
      const unreachable: never = operation;
      return unreachable;
    }
  }
}

/** The record's short name after a plan: the last rename's target, else `name`. */
export function nameAfter(name: string, operations: readonly PlanOperation[]): string {
  let result = name;
  for (const operation of operations) if (operation.op === 'rename-record' && operation.from === result) result = operation.to;
  return result;
}

/**
 * The record's attributes after the attribute operations of a plan (files and groups are not part of the
 * record). A rename replaces its RecordName value in place, as `dscl -change` does; moving the home folder
 * changes no attribute (NFSHomeDirectory is set by its own set-attribute operation).
 */
export function applyToAttributes(
  attributes: Readonly<Record<string, readonly string[]>>,
  operations: readonly PlanOperation[],
): Record<string, readonly string[]> {
  const result: Record<string, readonly string[]> = { ...attributes };
  for (const operation of operations) {
    switch (operation.op) {
      case 'delete-value': {
        const values = result[operation.attribute];
        if (!values) break;
        const remaining = values.filter((value) => value !== operation.value);
        // Open Directory drops an attribute whose last value is removed.
        if (remaining.length === 0) delete result[operation.attribute];
        else result[operation.attribute] = remaining;
        break;
      }
      case 'delete-attribute':
        delete result[operation.attribute];
        break;
      case 'set-attribute':
        result[operation.attribute] = [...operation.values];
        break;
      case 'append-values':
        result[operation.attribute] = [...(result[operation.attribute] ?? []), ...operation.values];
        break;
      case 'rename-record': {
        const names = result[RECORD_NAME] ?? [];
        if (names.includes(operation.from)) result[RECORD_NAME] = names.map((value) => (value === operation.from ? operation.to : value));
        break;
      }
      default:
        break;
    }
  }
  return result;
}
