// Building blocks shared by the agent and server message schemas.
import { z } from 'zod';
import { EVENT_KINDS, ERROR_CODES, type ErrorCode, type EventKind } from './codes.js';
import { MAX_DETAIL_BYTES, MAX_SHORT_STRING, MAX_TEXT } from './limits.js';

/** A short bounded string (names, identifiers). */
export const ShortString = z.string().min(1).max(MAX_SHORT_STRING);

/** Free text with an upper bound. */
export const Text = z.string().max(MAX_TEXT);

/** A UUID in canonical text form (any version; agent event ids are v4). */
export const Uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a UUID');

/** An RFC 3339 timestamp with a zone (agents send UTC `Z`). */
export const Timestamp = z.iso.datetime({ offset: true });

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
const JsonScalar = z.union([z.string().max(MAX_TEXT), z.number(), z.boolean(), z.null()]);

/**
 * Structured detail attached to an event or a result: a flat-ish JSON object whose serialized size is bounded,
 * so a verbose agent cannot fill the events table.
 */
export const Detail = z
  .record(z.string().max(64), z.union([JsonScalar, z.array(JsonScalar).max(100), z.record(z.string().max(64), JsonScalar)]))
  .refine((value) => JSON.stringify(value).length <= MAX_DETAIL_BYTES, { message: `detail larger than ${MAX_DETAIL_BYTES} bytes` });
export type Detail = z.infer<typeof Detail>;
