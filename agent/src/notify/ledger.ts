// The account events users are told about, kept in Untether's root-only data directory: actions record
// them (demobilize, takeover, or their announcements), the login notifier reads them and marks them told.
import * as z from 'zod';
import { UntetherError } from '../errors.js';
import { dataPath, readDataFile, writeDataFile } from '../system/datastore.js';
import type { AccountEvent } from './decide.js';
import { NOTICE_KINDS } from './texts.js';

/** Events older than this are dropped when the ledger is written; notices stop long before (NOTICE_MAX_AGE_MS). */
export const EVENT_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

const eventSchema = z.strictObject({
  id: z.string().min(1),
  user: z.string().min(1),
  kind: z.enum(NOTICE_KINDS),
  at: z.iso.datetime(),
  cloudUser: z.string().optional(),
  provider: z.string().optional(),
  notifiedAt: z.iso.datetime().optional(),
});

const ledgerSchema = z.strictObject({ schemaVersion: z.literal(1), events: z.array(eventSchema) });

/** The Mac path of the ledger. */
export function ledgerPath(): string {
  return dataPath('notify', 'events.json');
}

/** Every recorded event (none when the ledger does not exist yet). */
export async function readAccountEvents(): Promise<AccountEvent[]> {
  const text = await readDataFile(ledgerPath());
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UntetherError('E_NOTIFY_LEDGER', `reading the notice ledger: ${ledgerPath()}: not JSON`, { cause: error });
  }
  const parsed = ledgerSchema.safeParse(raw);
  if (!parsed.success) throw new UntetherError('E_NOTIFY_LEDGER', `reading the notice ledger: ${ledgerPath()}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { cause: parsed.error });
  return parsed.data.events;
}

async function writeEvents(events: readonly AccountEvent[], now: Date): Promise<void> {
  const kept = events.filter((event) => now.getTime() - Date.parse(event.at) <= EVENT_RETENTION_MS);
  await writeDataFile(ledgerPath(), { schemaVersion: 1, events: kept });
}

/** Record that something happened (or will) to an account; an event with the same id is replaced. */
export async function recordAccountEvent(event: AccountEvent, now: Date): Promise<void> {
  const checked = eventSchema.parse(event);
  const events = (await readAccountEvents()).filter((existing) => existing.id !== checked.id);
  await writeEvents([...events, checked], now);
}

/** Mark events as told to their user. */
export async function markNotified(ids: readonly string[], at: Date): Promise<void> {
  const events = await readAccountEvents();
  await writeEvents(
    events.map((event) => (ids.includes(event.id) && event.notifiedAt === undefined ? { ...event, notifiedAt: at.toISOString() } : event)),
    at,
  );
}
