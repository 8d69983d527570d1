// zod schemas of the admin API's queries and bodies.
import * as z from 'zod';
import {
  CommandAction,
  MAX_COMMAND_VALIDITY_MS,
  MAX_SHORT_STRING_LENGTH,
  MAX_TEXT_LENGTH,
  Stage,
  Uuid,
  storableString,
} from '../../../protocol/src/index.js';

const DeviceStateSchema = z.enum(['unknown', 'in_progress', 'waiting', 'failed', 'done']);

/** Filters shared by the device list, the CSV export and group commands. */
export const DeviceFilterSchema = z.strictObject({
  stage: Stage.optional(),
  state: DeviceStateSchema.optional(),
  domain: z.string().min(1).max(256).optional(),
  online: z.boolean().optional(),
  search: z.string().min(1).max(128).optional(),
});

const booleanString = z.enum(['true', 'false']).transform((value) => value === 'true');

/** A device's place in list order as the API hands it out: base64url of the JSON array [hostname, id]. */
export function encodeDeviceCursor(cursor: { hostname: string; id: string }): string {
  return Buffer.from(JSON.stringify([cursor.hostname, cursor.id])).toString('base64url');
}

const DeviceCursorTuple = z.tuple([z.string().max(1024), Uuid]);

/** A cursor from encodeDeviceCursor; anything else is refused (400), never passed to SQL. */
const DeviceCursorParam = z
  .string()
  .min(1)
  .max(2048)
  .transform((text, context) => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const parsed = DeviceCursorTuple.safeParse(decoded);
    if (!parsed.success) {
      context.addIssue({ code: 'custom', message: 'not a cursor this server handed out' });
      return z.NEVER;
    }
    return { hostname: parsed.data[0], id: parsed.data[1] };
  });

/**
 * Query of GET /api/v1/devices and /api/v1/devices.csv. A page is chosen by `offset`, or (what the dashboard does)
 * by `after` / `before`: the `next` / `previous` cursor of the page beside it. At most one of the three.
 */
export const DeviceListQuery = z
  .strictObject({
    stage: Stage.optional(),
    state: DeviceStateSchema.optional(),
    domain: z.string().min(1).max(256).optional(),
    online: booleanString.optional(),
    q: z.string().min(1).max(128).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    after: DeviceCursorParam.optional(),
    before: DeviceCursorParam.optional(),
  })
  .refine((query) => [query.after !== undefined, query.before !== undefined, query.offset > 0].filter(Boolean).length <= 1, {
    message: 'give at most one of offset, after and before',
  });

export const EventListQuery = z.strictObject({
  deviceId: Uuid.optional(),
  kind: z.string().min(1).max(64).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const CommandListQuery = z.strictObject({
  deviceId: Uuid.optional(),
  status: z.enum(['pending', 'sent', 'succeeded', 'failed', 'rejected', 'expired', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const ProgressQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(3650).default(30) });

/** Which devices a command is for: one device, or every device matching a filter. */
export const CommandTarget = z.union([z.strictObject({ deviceId: Uuid }), z.strictObject({ filter: DeviceFilterSchema })]);

export const CommandPreviewBody = z.strictObject({ target: CommandTarget });

/** Body of POST /api/v1/commands. `confirmCount` must equal the number of devices the target matches now. */
export const CreateCommandBody = z.strictObject({
  target: CommandTarget,
  action: CommandAction,
  validForSeconds: z.number().int().min(60).max(MAX_COMMAND_VALIDITY_MS / 1000).optional(),
  confirmCount: z.number().int().min(1),
});

/** New devices one enrollment secret may enroll unless the admin says otherwise. */
export const DEFAULT_SECRET_MAX_DEVICES = 1000;

export const CreateSecretBody = z.strictObject({
  name: z.string().min(1).max(128),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  maxDevices: z.number().int().min(1).max(1_000_000).default(DEFAULT_SECRET_MAX_DEVICES),
});

/** API tokens always expire; 90 days unless the admin says otherwise, at most a year. */
export const CreateTokenBody = z.strictObject({
  name: z.string().min(1).max(128),
  scope: z.enum(['read', 'commands', 'admin']).default('read'),
  expiresInDays: z.number().int().min(1).max(365).default(90),
});

/** Who a lock is for: exactly one of a local short name or a cloud identity. */
const LockTargetFields = {
  user: storableString(MAX_SHORT_STRING_LENGTH).min(1).optional(),
  identity: storableString(MAX_SHORT_STRING_LENGTH).min(1).optional(),
};

/** Refuse a body naming both or neither target, naming the field. */
function exactlyOneTarget(body: { user?: string; identity?: string }, context: z.RefinementCtx): void {
  if (body.user !== undefined && body.identity !== undefined) {
    context.addIssue({ code: 'custom', path: ['identity'], message: 'give either user or identity, not both' });
  } else if (body.user === undefined && body.identity === undefined) {
    context.addIssue({ code: 'custom', path: ['user'], message: 'give user (a local short name) or identity (a cloud identity)' });
  }
}

/** A required, non-blank reason (it is shown on the Mac and kept in the audit log). */
const Reason = storableString(MAX_TEXT_LENGTH).refine((text) => text.trim().length > 0, { message: 'a reason is required' });

/** Body of POST /api/v1/locks/preview. */
export const LockPreviewBody = z.strictObject(LockTargetFields).superRefine(exactlyOneTarget);

/** Body of POST /api/v1/locks. `confirmCount` must equal the number of devices that have the account now. */
export const CreateLockBody = z
  .strictObject({
    ...LockTargetFields,
    reason: Reason,
    confirmCount: z.number().int().min(0),
    validForSeconds: z.number().int().min(60).max(MAX_COMMAND_VALIDITY_MS / 1000).optional(),
  })
  .superRefine(exactlyOneTarget);

/** Body of POST /api/v1/locks/{id}/unlock. */
export const UnlockBody = z.strictObject({
  reason: Reason,
  validForSeconds: z.number().int().min(60).max(MAX_COMMAND_VALIDITY_MS / 1000).optional(),
});

export const LockListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** Device rows of one lock: problems first, then by hostname. */
export const LockDetailQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100_000).default(1000) });

export const AuditListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Rows older than this audit id (paging). */
  before: z.string().regex(/^\d{1,18}$/, 'expected an audit id').optional(),
});
