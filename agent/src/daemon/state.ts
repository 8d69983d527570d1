// The daemon's view of the migration, written after every pass so `untether status` (another process)
// and support can read it: current stage, what it waits for, every stage's status and last result.
import * as z from 'zod';
import { dataPath, readDataFile, writeDataFile } from '../system/datastore.js';
import { MIGRATION_STAGES } from './stages.js';

const STATE_FORMAT = 'untether-daemon-state-1';

const stageResultSchema = z.object({
  outcome: z.enum(['succeeded', 'failed', 'skipped', 'refused']),
  at: z.string(),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type StageResult = z.infer<typeof stageResultSchema>;

const stageViewSchema = z.object({
  stage: z.enum(MIGRATION_STAGES),
  status: z.enum(['off', 'complete', 'waiting', 'ready']),
  waitingFor: z.string().nullable(),
  reason: z.string(),
  users: z.array(z.string()).optional(),
});

const daemonStateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  pid: z.number().int(),
  updatedAt: z.string(),
  stage: z.enum([...MIGRATION_STAGES, 'done']),
  waitingFor: z.string().nullable(),
  views: z.array(stageViewSchema),
  lastResult: z.partialRecord(z.enum(MIGRATION_STAGES), stageResultSchema),
  configProblems: z.array(z.string()),
  fullDiskAccess: z.enum(['granted', 'denied', 'unknown']),
  server: z.object({ url: z.string().nullable(), linked: z.boolean() }),
});
export type DaemonState = z.infer<typeof daemonStateSchema>;

const STATE_PATH = dataPath('daemon-state.json');

/** Persist the state (root-only, atomic). */
export async function writeDaemonState(state: Omit<DaemonState, 'format'>): Promise<void> {
  await writeDataFile(STATE_PATH, { format: STATE_FORMAT, ...state });
}

/** The last state the daemon wrote; undefined when it never ran, or the file is not ours. */
export async function readDaemonState(): Promise<DaemonState | undefined> {
  const text = await readDataFile(STATE_PATH);
  if (text === undefined) return undefined;
  try {
    const parsed = daemonStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

