// Building blocks shared by the agent and server message schemas.
import * as z from 'zod';
import { EVENT_KINDS, ERROR_CODES, type ErrorCode, type EventKind } from './codes.js';
import { MAX_DETAIL_BYTES, MAX_FUTURE_SKEW_MS, MAX_SHORT_STRING, MAX_TEXT, MIN_TIMESTAMP_YEAR, MAX_TIMESTAMP_YEAR } from './limits.js';

/** A NUL, or a UTF-16 surrogate without its partner: JavaScript strings may hold them, PostgreSQL text cannot. */
const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when PostgreSQL can store `text` as text or inside jsonb (no NUL, no lone surrogate). */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE_CHARACTER.test(text);
}

/**
 * `text` made storable: NULs and lone surrogates become U+FFFD and the result is cut to `maxLength`
 * (never in the middle of a surrogate pair). For agent-side text from tools (stderr), which is reported, not refused.
 */
export function toStorableText(text: string, maxLength: number): string {
  let cleaned = text.replace(new RegExp(UNSTORABLE_CHARACTER.source, 'g'), '\ufffd');
  if (cleaned.length > maxLength) {
    cleaned = cleaned.slice(0, maxLength);
    if (/[\ud800-\udbff]$/.test(cleaned)) cleaned = cleaned.slice(0, -1);
  }
  return cleaned;
}

/** A bounded string the store can hold: every free-form string of the protocol is built from this. */
export function storableString(maxLength: number) {
  return z.string().max(maxLength).refine(isStorableText, { message: 'contains NUL or an unpaired surrogate' });
}

/** A short bounded string (names, identifiers). */
export const ShortString = storableString(MAX_SHORT_STRING).min(1);

/** Free text with an upper bound. */
export const Text = storableString(MAX_TEXT);

/** A UUID in canonical text form (any version; agent event ids are v4). */
export const Uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a UUID');

/**
 * An RFC 3339 timestamp with a zone (agents send UTC `Z`), with a year in [MIN_TIMESTAMP_YEAR, MAX_TIMESTAMP_YEAR]:
 * the format alone lets year 0000 through, which PostgreSQL refuses.
 */
export const Timestamp = z.iso.datetime({ offset: true }).refine(
  (text) => {
    const year = new Date(text).getUTCFullYear();
    return year >= MIN_TIMESTAMP_YEAR && year <= MAX_TIMESTAMP_YEAR;
  },
  { message: `expected a time in the years ${MIN_TIMESTAMP_YEAR} to ${MAX_TIMESTAMP_YEAR}` },
);

/**
 * A time read from the agent's clock (event, result, report and heartbeat times): a Timestamp no later than
 * MAX_FUTURE_SKEW_MS after the receiver's own clock, so one Mac with a wrong clock cannot sort first forever.
 */
export const ReportedTime = Timestamp.refine((text) => new Date(text).getTime() <= Date.now() + MAX_FUTURE_SKEW_MS, {
  message: `expected a time at most ${MAX_FUTURE_SKEW_MS / 3_600_000} hours ahead of the receiver's clock`,
});

/** A Mac hardware UUID (IOPlatformUUID). */
export const HardwareUuid = Uuid;

/** A Mac serial number: Apple serials are 10–12 alphanumerics; VMs may carry longer ones. */
export const Serial = z.string().regex(/^[A-Za-z0-9-]{4,64}$/, 'expected a serial number');

/** The migration stages in order. `done` means nothing is left to do. */
export const STAGES = ['scan', 'demobilize', 'unbind', 'loginwindow', 'link', 'done'] as const;
export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;

/** An error code from the registry. */
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** An event kind from the registry. */
export const EventKindSchema = z.enum(Object.keys(EVENT_KINDS) as [EventKind, ...EventKind[]]);

/** A JSON scalar. */
const JsonScalar = z.union([Text, z.number(), z.boolean(), z.null()]);

/** A key of a detail object. */
const DetailKey = storableString(64);

/**
 * Structured detail attached to an event or a result: a flat-ish JSON object whose serialized size is bounded,
 * so a verbose agent cannot fill the events table.
 */
export const Detail = z
  .record(DetailKey, z.union([JsonScalar, z.array(JsonScalar).max(100), z.record(DetailKey, JsonScalar)]))
  .refine((value) => JSON.stringify(value).length <= MAX_DETAIL_BYTES, { message: `detail larger than ${MAX_DETAIL_BYTES} bytes` });
export type Detail = z.infer<typeof Detail>;
