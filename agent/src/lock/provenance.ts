// Who locked an account and why: one root-only (0600, in a 0700 folder) file per account Untether locked, kept by
// GeneratedUID so a rename does not lose it. An unlock moves the file to the lock history with who lifted it.
// The lock itself lives in the account record; this file only says it was Untether's, and whose.
import * as z from 'zod';
import { UntetherError } from '../errors.js';
import type { LockProvenance } from '../plan/lock.js';
import { dataPath, listDataFiles, readDataFile, removeDataFile, writeDataFile } from '../system/datastore.js';

const PROVENANCE_FORMAT = 'untether-lock-1';

const provenanceFileSchema = z.object({
  format: z.literal(PROVENANCE_FORMAT),
  /** The account's short name when it was locked (for people; the key is the GeneratedUID). */
  user: z.string().min(1),
  generatedUid: z.string().min(1),
  lockId: z.string().min(1).max(200),
  requestedBy: z.string().min(1).max(255),
  reason: z.string().max(2000),
  source: z.enum(['cli', 'server']),
  lockedAt: z.string(),
  /** The snapshot taken just before the lock: an unlock must give this record back exactly. */
  snapshotId: z.string().min(1),
  unlocked: z.object({ at: z.string(), requestedBy: z.string(), reason: z.string(), source: z.enum(['cli', 'server']), lockId: z.string() }).optional(),
});

export type ProvenanceFile = z.infer<typeof provenanceFileSchema>;

const OPEN_DIRECTORY = dataPath('locks');
const HISTORY_DIRECTORY = dataPath('lock-history');
const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

function fileName(generatedUid: string): string {
  const key = generatedUid.toUpperCase();
  if (!GUID.test(key)) throw new UntetherError('E_UNKNOWN_USER', `lock record: the account's GeneratedUID "${generatedUid.slice(0, 60)}" is not a UUID`);
  return `${key}.json`;
}

function parse(text: string, where: string): ProvenanceFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UntetherError('E_FILE_IO', `reading lock record ${where}: not JSON`, { cause: error });
  }
  const parsed = provenanceFileSchema.safeParse(raw);
  if (!parsed.success) throw new UntetherError('E_FILE_IO', `reading lock record ${where}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The provenance of Untether's lock of this account, or undefined when Untether holds no lock record for it. */
export async function readProvenance(generatedUid: string): Promise<ProvenanceFile | undefined> {
  const where = `${OPEN_DIRECTORY}/${fileName(generatedUid)}`;
  const text = await readDataFile(where);
  return text === undefined ? undefined : parse(text, where);
}

/** Every open lock record, by GeneratedUID (upper case); unreadable files are named in `unreadable`. */
export async function readAllProvenance(): Promise<{ byGuid: Map<string, ProvenanceFile>; unreadable: string[] }> {
  const byGuid = new Map<string, ProvenanceFile>();
  const unreadable: string[] = [];
  for (const name of await listDataFiles(OPEN_DIRECTORY)) {
    if (!name.endsWith('.json')) continue;
    const where = `${OPEN_DIRECTORY}/${name}`;
    try {
      const text = await readDataFile(where);
      if (text !== undefined) {
        const file = parse(text, where);
        byGuid.set(file.generatedUid.toUpperCase(), file);
      }
    } catch (error) {
      unreadable.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { byGuid, unreadable };
}

/** Record Untether's lock (replacing a stale record of an earlier lock whose value is gone). */
export async function writeProvenance(file: Omit<ProvenanceFile, 'format'>): Promise<void> {
  await writeDataFile(`${OPEN_DIRECTORY}/${fileName(file.generatedUid)}`, { format: PROVENANCE_FORMAT, ...file });
}

/** After an unlock (or when the lock value was found gone): keep the record, with who lifted it, in the history. */
export async function retireProvenance(file: ProvenanceFile, unlocked: NonNullable<ProvenanceFile['unlocked']>): Promise<void> {
  const name = fileName(file.generatedUid);
  await writeDataFile(`${HISTORY_DIRECTORY}/${unlocked.at.replace(/[-:.]/g, '')}-${name}`, { ...file, unlocked });
  await removeDataFile(`${OPEN_DIRECTORY}/${name}`);
}

/** Drop the record of a lock that did not happen (its change rolled back). */
export async function removeProvenance(generatedUid: string): Promise<void> {
  await removeDataFile(`${OPEN_DIRECTORY}/${fileName(generatedUid)}`);
}

/** The provenance as the planner sees it. */
export function toProvenance(file: ProvenanceFile | undefined): LockProvenance | null {
  return file ? { lockId: file.lockId, requestedBy: file.requestedBy, reason: file.reason, source: file.source, lockedAt: file.lockedAt } : null;
}
