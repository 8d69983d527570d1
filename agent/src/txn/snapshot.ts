// Root-only snapshots of accounts, taken before the first write and checked by checksum when read back.
// `untether restore` and every rollback are derived from them.
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { UntetherError } from '../errors.js';
import type { AccountState } from '../plan/restore.js';
import { isAttributeType } from '../system/directory-record.js';
import { dataPath, listDataFiles, readDataFile, writeDataFile } from '../system/datastore.js';
import type { AccountFileOwner } from './account-state.js';

const SNAPSHOT_FORMAT = 'untether-account-snapshot-1';

/**
 * Attributes by FULL type name, as `dscl -plist` read them (every snapshot format so far). A bare name would
 * not say which attribute to write back (dscl resolves it by its standard list), so such a snapshot is refused.
 */
const typedAttributes = z.record(z.string(), z.array(z.string())).superRefine((attributes, context) => {
  for (const name of Object.keys(attributes)) {
    if (!isAttributeType(name)) context.addIssue({ code: 'custom', message: `attribute "${name}" has no type (dsAttrTypeStandard: or dsAttrTypeNative:); a record read without types is never written back` });
  }
});

const accountStateSchema = z.object({
  record: z.object({ recordName: z.string().min(1), attributes: typedAttributes }),
  groups: z.record(z.string(), z.boolean()),
  accountFile: z.object({ contentBase64: z.string(), mode: z.number().int().min(0).max(0o7777) }).nullable(),
  memberOf: z.array(z.string()).optional(),
});

const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  id: z.string().min(1),
  user: z.string().min(1),
  /**
   * What the snapshot was taken for: a conversion, a takeover, a lock, or an undo (a restore or an unlock; undos are
   * never restore targets, so `untether restore` after an unlock does not lock the account again).
   */
  reason: z.enum(['demobilize', 'takeover', 'restore', 'lock', 'unlock']),
  takenAt: z.string(),
  state: accountStateSchema,
  accountFileOwner: z.object({ uid: z.number().int(), gid: z.number().int() }).nullable(),
});

export type AccountSnapshot = z.infer<typeof snapshotSchema>;

const snapshotFileSchema = z.object({ snapshot: snapshotSchema, sha256: z.string().regex(/^[0-9a-f]{64}$/) });

function checksum(snapshot: AccountSnapshot): string {
  return createHash('sha256').update(JSON.stringify(snapshot)).digest('hex');
}

/** The data directory of one user's snapshots (the name is encoded: short names may hold odd characters). */
function userDirectory(user: string): string {
  return dataPath('snapshots', encodeURIComponent(user));
}

function snapshotPath(user: string, id: string): string {
  return `${userDirectory(user)}/${id}.json`;
}

/** Write a snapshot (0600 in a 0700 directory) before the first change to the account. */
export async function saveSnapshot(
  user: string,
  reason: AccountSnapshot['reason'],
  state: AccountState,
  accountFileOwner: AccountFileOwner | null,
  now: Date,
): Promise<AccountSnapshot> {
  // Sortable by time, unique within the same millisecond.
  const id = `${now.toISOString().replace(/[-:.]/g, '')}-${reason}-${randomBytes(4).toString('hex')}`;
  const snapshot: AccountSnapshot = {
    format: SNAPSHOT_FORMAT,
    id,
    user,
    reason,
    takenAt: now.toISOString(),
    state: { record: { recordName: state.record.recordName, attributes: Object.fromEntries(Object.entries(state.record.attributes).map(([key, values]) => [key, [...values]])) }, groups: { ...state.groups }, accountFile: state.accountFile, ...(state.memberOf ? { memberOf: [...state.memberOf] } : {}) },
    accountFileOwner,
  };
  await writeDataFile(snapshotPath(user, id), { snapshot, sha256: checksum(snapshot) });
  return snapshot;
}

/** Read a snapshot and check it; a corrupt or tampered file is an error, never a restore source. */
export async function loadSnapshot(user: string, id: string): Promise<AccountSnapshot> {
  const where = snapshotPath(user, id);
  const text = await readDataFile(where);
  if (text === undefined) throw new UntetherError('E_SNAPSHOT_MISSING', `reading snapshot ${id} of "${user}": ${where} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UntetherError('E_SNAPSHOT_CORRUPT', `reading snapshot ${id} of "${user}": not JSON`, { cause: error });
  }
  const parsed = snapshotFileSchema.safeParse(raw);
  if (!parsed.success) throw new UntetherError('E_SNAPSHOT_CORRUPT', `reading snapshot ${id} of "${user}": ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (checksum(parsed.data.snapshot) !== parsed.data.sha256) {
    throw new UntetherError('E_SNAPSHOT_CORRUPT', `reading snapshot ${id} of "${user}": checksum mismatch (the file was changed after it was written)`);
  }
  return parsed.data.snapshot;
}

/** The newest snapshot taken before a conversion, takeover or lock of the user (not before a restore or unlock). */
export async function latestRestorableSnapshot(user: string): Promise<AccountSnapshot | undefined> {
  const names = await listDataFiles(userDirectory(user));
  for (const name of names.filter((file) => file.endsWith('.json') && !file.includes('-restore-') && !file.includes('-unlock-')).reverse()) {
    return loadSnapshot(user, name.slice(0, -'.json'.length));
  }
  return undefined;
}

/**
 * The newest restorable snapshot, of any user name, whose account has this GeneratedUID: how a renamed account
 * finds the snapshot kept under its old name. Unreadable snapshots are skipped here (restore by the old name
 * reports them).
 */
export async function latestRestorableSnapshotOf(generatedUid: string): Promise<AccountSnapshot | undefined> {
  const wanted = generatedUid.toUpperCase();
  let newest: AccountSnapshot | undefined;
  for (const directory of await listDataFiles(dataPath('snapshots'))) {
    let user: string;
    try {
      user = decodeURIComponent(directory);
    } catch {
      continue;
    }
    const snapshot = await latestRestorableSnapshot(user).catch(() => undefined);
    const guid = snapshot?.state.record.attributes['dsAttrTypeStandard:GeneratedUID']?.[0]?.toUpperCase();
    if (snapshot && guid === wanted && (newest === undefined || snapshot.takenAt > newest.takenAt)) newest = snapshot;
  }
  return newest;
}
