// Executes one planned operation against the Mac through the system layer. No decisions here: the
// plan decided; this maps each operation to the tool calls or file change that do it; dsclWritesFor gives the
// dscl attribute writes of one (a batch carries them; applyOperation runs them one by one).
import { RECORD_NAME, type PlanOperation } from '../plan/operations.js';
import { standardType } from '../system/directory-record.js';

const GROUP_MEMBERSHIP = standardType('GroupMembership');
const GROUP_MEMBERS = standardType('GroupMembers');
import * as dscl from '../system/dscl.js';
import * as dseditgroup from '../system/dseditgroup.js';
import { moveHomeFolder, removeAccountFile, restoreAccountFile } from '../system/files.js';
import { UntetherError } from '../errors.js';
import type { AccountFileOwner } from './account-state.js';

export interface OperationTarget {
  user: string;
  home: string | null;
  /** The account's UniqueID: the only user besides root who may own its home and ~/.account. */
  uid: number | null;
  /** Owner for a restored ~/.account (from the snapshot). */
  accountFileOwner: AccountFileOwner | null;
  /** The account's GeneratedUID (a group's GroupMembers names members by it); null: group changes go through dseditgroup. */
  generatedUid?: string | null;
}

/**
 * The dscl attribute writes that do exactly what `operation` does, for a batch; undefined when the operation
 * is not a plain attribute write (files, home folders, group creation) and runs on its own.
 *
 * A rename is never batched: every write after it addresses the record by its new name, and had the rename
 * failed inside a batch, a later `create` there would make a second, new record. On its own, a failed rename
 * stops the account at once, as before.
 *
 * Group membership: `dseditgroup -o edit -a|-d USER -t user GROUP` changes two attributes of the group, the
 * short name in GroupMembership and the user's GeneratedUID in GroupMembers (macos-tools.md §9; the
 * simulated dseditgroup does the same). A batch writes those two with `merge` (add only what is missing) and
 * `delete` of the value, so the group ends the same either way; without a GeneratedUID, dseditgroup runs.
 */
export function dsclWritesFor(target: OperationTarget, operation: PlanOperation): dscl.DsclWrite[] | undefined {
  const path = `/Users/${target.user}`;
  switch (operation.op) {
    case 'delete-value':
      return [{ verb: 'delete', path, attribute: operation.attribute, values: [operation.value] }];
    case 'delete-attribute':
      return [{ verb: 'delete', path, attribute: operation.attribute, values: [] }];
    case 'set-attribute':
      return [{ verb: 'create', path, attribute: operation.attribute, values: operation.values }];
    case 'append-values':
      return [{ verb: 'append', path, attribute: operation.attribute, values: operation.values }];
    case 'rename-group-member':
      return [{ verb: 'change', path: `/Groups/${operation.group}`, attribute: GROUP_MEMBERSHIP, values: [operation.from, operation.to] }];
    case 'add-group-member':
    case 'remove-group-member': {
      const guid = target.generatedUid;
      if (!guid) return undefined;
      const verb = operation.op === 'add-group-member' ? 'merge' : 'delete';
      const group = `/Groups/${operation.group}`;
      return [
        { verb, path: group, attribute: GROUP_MEMBERSHIP, values: [target.user] },
        { verb, path: group, attribute: GROUP_MEMBERS, values: [guid] },
      ];
    }
    default:
      return undefined;
  }
}

/**
 * The target for the operations after this one: a rename moves the record to /Users/<to>, and a moved
 * home folder is where ~/.account lives from then on.
 */
export function targetAfter(target: OperationTarget, operation: PlanOperation): OperationTarget {
  if (operation.op === 'rename-record') return { ...target, user: operation.to };
  if (operation.op === 'move-home') return { ...target, home: operation.to };
  return target;
}

/** Run one operation on the account. Throws (SystemToolError, SystemFileError, UntetherError) when it fails. */
export async function applyOperation(target: OperationTarget, operation: PlanOperation): Promise<void> {
  // Attribute writes: the same dscl writes a batch would carry, each as its own checked call.
  const writes = dsclWritesFor(target, operation);
  if (writes !== undefined) {
    for (const write of writes) await dscl.runWrite(write);
    return;
  }
  const path = `/Users/${target.user}`;
  switch (operation.op) {
    case 'delete-value':
    case 'delete-attribute':
    case 'set-attribute':
    case 'append-values':
    case 'rename-group-member':
      throw new Error(`applying operation: ${operation.op} is an attribute write (dsclWritesFor maps it)`);
    case 'add-group-member':
      return dseditgroup.addMember(target.user, operation.group);
    case 'remove-group-member':
      return dseditgroup.removeMember(target.user, operation.group);
    case 'ensure-alias-group': {
      const existing = await dscl.readRecord(`/Groups/${operation.group}`);
      if (existing.kind === 'found') {
        const gid = dscl.standardAttribute(existing.record, 'PrimaryGroupID')?.[0];
        if (gid !== String(operation.gid)) throw new UntetherError('E_ALIAS_GROUP_CONFLICT', `creating alias group ${operation.group}: it exists with GID ${gid ?? '(none)'}, not ${operation.gid}`);
        return;
      }
      return dseditgroup.createGroup(operation.group, operation.gid, `AD primary group ${operation.gid} (kept by Untether)`);
    }
    case 'remove-account-file':
      if (target.home === null) throw new UntetherError('E_NO_HOME', `removing ~/.account of "${target.user}": the record has no NFSHomeDirectory`);
      await removeAccountFile(target.home, target.uid);
      return;
    case 'restore-account-file': {
      if (target.home === null) throw new UntetherError('E_NO_HOME', `restoring ~/.account of "${target.user}": the record has no NFSHomeDirectory`);
      const owner = target.accountFileOwner ?? { uid: 0, gid: 0 };
      await restoreAccountFile(target.home, Buffer.from(operation.contentBase64, 'base64'), { ...owner, mode: operation.mode }, target.uid);
      return;
    }
    case 'rename-record':
      if (operation.from !== target.user) throw new UntetherError('E_RENAME_TARGET', `renaming "${operation.from}" to "${operation.to}": the account is "${target.user}" at this step`);
      return dscl.changeValue(path, RECORD_NAME, operation.from, operation.to);
    case 'move-home':
      return moveHomeFolder(operation.from, operation.to);
    default: {
      const unreachable: never = operation;
      throw new Error(`applying operation: unknown kind ${JSON.stringify(unreachable)}`);
    }
  }
}
