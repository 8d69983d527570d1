// The journal: an account change's intent, written before its first write and updated after every
// step, so that a crash at any point is found at the next start and finished or rolled back.
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { planOperationSchema } from '../plan/operations.js';
import { dataPath, listDataFiles, moveDataFile, readDataFile, writeDataFile } from '../system/datastore.js';

const JOURNAL_FORMAT = 'untether-journal-1';

export const journalStates = ['applying', 'applied', 'rolling-back', 'committed', 'rolled-back', 'failed'] as const;
export type JournalState = (typeof journalStates)[number];

/** States after which nothing is left to do for the entry. */
const FINAL_STATES: ReadonlySet<JournalState> = new Set(['committed', 'rolled-back', 'failed']);

const journalEntrySchema = z.object({
  format: z.literal(JOURNAL_FORMAT),
  id: z.string().min(1),
  kind: z.enum(['demobilize', 'takeover', 'restore', 'lock', 'unlock']),
  user: z.string().min(1),
  snapshotId: z.string().min(1),
  operations: z.array(planOperationSchema),
  state: z.enum(journalStates),
  /** Operations known to have completed (the next may or may not have run when the process died). */
  stepsDone: z.number().int().min(0),
  startedAt: z.string(),
  updatedAt: z.string(),
  problems: z.array(z.string()).default([]),
});

export type JournalEntry = z.infer<typeof journalEntrySchema>;

const OPEN_DIRECTORY = dataPath('journal');
const HISTORY_DIRECTORY = dataPath('journal-history');

function entryPath(id: string, directory = OPEN_DIRECTORY): string {
  return `${directory}/${id}.json`;
}

/** Write the intent of a change before it starts. */
export async function openEntry(fields: Pick<JournalEntry, 'kind' | 'user' | 'snapshotId' | 'operations'>, now: Date): Promise<JournalEntry> {
  const entry: JournalEntry = {
    format: JOURNAL_FORMAT,
    id: `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
    ...fields,
    state: 'applying',
    stepsDone: 0,
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    problems: [],
  };
  await writeDataFile(entryPath(entry.id), entry);
  return entry;
}

/** Record progress or a new state; a final state moves the entry to the history. */
export async function updateEntry(entry: JournalEntry, changes: Partial<Pick<JournalEntry, 'state' | 'stepsDone' | 'problems'>>, now: Date): Promise<JournalEntry> {
  const next: JournalEntry = { ...entry, ...changes, updatedAt: now.toISOString() };
  await writeDataFile(entryPath(next.id), next);
  if (FINAL_STATES.has(next.state)) await moveDataFile(entryPath(next.id), HISTORY_DIRECTORY);
  return next;
}

/** Entries that were started and not finished: a crash or kill left them; recovery handles each. */
export async function openEntries(): Promise<{ entries: JournalEntry[]; unreadable: string[] }> {
  const entries: JournalEntry[] = [];
  const unreadable: string[] = [];
  for (const name of await listDataFiles(OPEN_DIRECTORY)) {
    if (!name.endsWith('.json')) continue;
    const text = await readDataFile(entryPath(name.slice(0, -'.json'.length)));
    if (text === undefined) continue;
    try {
      const parsed = journalEntrySchema.safeParse(JSON.parse(text));
      if (parsed.success) entries.push(parsed.data);
      else unreadable.push(`${name}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    } catch {
      unreadable.push(`${name}: not JSON`);
    }
  }
  return { entries, unreadable };
}

