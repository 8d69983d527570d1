// Decoding of raw frames into typed messages. Both sides call these on everything they receive; nothing past
// here sees `unknown`.
import * as z from 'zod';
import type { ErrorCode } from './codes.js';
import { Uuid } from './common.js';
import { MAX_FRAME_BYTES } from './limits.js';
import { AgentMessage, ServerMessage } from './messages.js';

/**
 * The result of decoding one frame: the message, or why it was refused. A refused frame that was a JSON object
 * names its `type` and, for queued items (events, command results), the id it would be acked by, so the receiver
 * can refuse that one item instead of the whole connection.
 */
export type DecodeResult<T> =
  | { ok: true; message: T }
  | { ok: false; code: ErrorCode; reason: string; messageType?: string; itemId?: string };

const ItemIdentity = z.object({
  type: z.string().max(64),
  event: z.object({ id: Uuid }).optional(),
  result: z.object({ commandId: Uuid }).optional(),
});

/** The type and item id of a frame that failed its schema, when they can be read. */
function identify(rawValue: unknown): { messageType?: string; itemId?: string } {
  const parsed = ItemIdentity.safeParse(rawValue);
  if (!parsed.success) return {};
  const itemId = parsed.data.type === 'event' ? parsed.data.event?.id : parsed.data.type === 'commandResult' ? parsed.data.result?.commandId : undefined;
  return itemId === undefined ? { messageType: parsed.data.type } : { messageType: parsed.data.type, itemId };
}

function decodeWith<T>(schema: z.ZodType<T>, rawFrame: string | Buffer): DecodeResult<T> {
  const byteLength = typeof rawFrame === 'string' ? Buffer.byteLength(rawFrame) : rawFrame.length;
  if (byteLength > MAX_FRAME_BYTES) {
    return { ok: false, code: 'E_FRAME_TOO_LARGE', reason: `frame of ${byteLength} bytes exceeds ${MAX_FRAME_BYTES}` };
  }
  let rawValue: unknown;
  try {
    rawValue = JSON.parse(typeof rawFrame === 'string' ? rawFrame : rawFrame.toString('utf8'));
  } catch (error) {
    return { ok: false, code: 'E_BAD_JSON', reason: (error as Error).message.slice(0, 200) };
  }
  const parsed = schema.safeParse(rawValue);
  if (!parsed.success) {
    return { ok: false, code: 'E_BAD_MESSAGE', reason: summarizeIssues(parsed.error.issues), ...identify(rawValue) };
  }
  return { ok: true, message: parsed.data };
}

/** A short, log-safe description of the first validation issues (paths and messages, never values). */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
    .slice(0, 500);
}

/** Decode a frame an agent sent to the server. */
export function decodeAgentMessage(rawFrame: string | Buffer): DecodeResult<AgentMessage> {
  return decodeWith(AgentMessage, rawFrame);
}

/** Decode a frame a server sent to the agent. */
export function decodeServerMessage(rawFrame: string | Buffer): DecodeResult<ServerMessage> {
  return decodeWith(ServerMessage, rawFrame);
}
