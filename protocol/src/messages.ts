// Every message of the WebSocket protocol, both directions, as zod discriminated unions on `type`.
// See docs/protocol.md for the sequence and the meaning of each field.
import * as z from 'zod';
import { Command, CommandOutcome } from './commands.js';
import { Detail, ErrorCodeSchema, EventKindSchema, HardwareUuid, ReportedTime, Serial, ShortString, Stage, Text, Timestamp, Uuid } from './common.js';
import { Inventory } from './inventory.js';
import { MAX_ACK_IDS, MAX_CAPABILITIES } from './limits.js';

/** Capability names announced in hello/welcome, so old and new peers degrade gracefully. */
export const Capabilities = z.array(z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/)).max(MAX_CAPABILITIES);

/** The device identity an agent claims in hello. */
export const DeviceIdentity = z.strictObject({ hardwareUuid: HardwareUuid, serial: Serial });
export type DeviceIdentity = z.infer<typeof DeviceIdentity>;

/** One thing that happened on the Mac. `id` is a UUID v4 made by the agent; the server ignores repeats. */
export const AgentEvent = z.strictObject({
  id: Uuid,
  /** Per-device sequence number, increasing; gaps mean events were dropped from a full queue. */
  seq: z.number().int().nonnegative(),
  time: ReportedTime,
  kind: EventKindSchema,
  user: ShortString.optional(),
  stage: Stage.optional(),
  code: ErrorCodeSchema.or(z.string().regex(/^E_[A-Z0-9_]{1,60}$/)).optional(),
  message: Text.optional(),
  detail: Detail.optional(),
});
export type AgentEvent = z.infer<typeof AgentEvent>;

/** The last result of a stage. */
export const StageResult = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'skipped', 'refused']),
  at: ReportedTime,
  code: ShortString.optional(),
  message: Text.optional(),
});
export type StageResult = z.infer<typeof StageResult>;

/** Where the migration of this Mac stands. */
export const StageState = z.strictObject({
  stage: Stage,
  /** What the agent waits for before going on (e.g. "user-logout", "admin-approval"); null when not waiting. */
  waitingFor: ShortString.nullable(),
  lastResult: z.partialRecord(Stage, StageResult),
});
export type StageState = z.infer<typeof StageState>;

/** The outcome of one command on the agent. */
export const CommandResult = z.strictObject({
  commandId: Uuid,
  outcome: CommandOutcome,
  code: ShortString.optional(),
  message: Text.optional(),
  detail: Detail.optional(),
  finishedAt: ReportedTime,
});
export type CommandResult = z.infer<typeof CommandResult>;

export const HelloMessage = z.strictObject({
  type: z.literal('hello'),
  protocolVersion: z.number().int().positive(),
  device: DeviceIdentity,
  agentVersion: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
  capabilities: Capabilities,
});
export const InventoryMessage = z.strictObject({ type: z.literal('inventory'), collectedAt: ReportedTime, inventory: Inventory });
export const EventMessage = z.strictObject({ type: z.literal('event'), event: AgentEvent });
export const StageStateMessage = z.strictObject({ type: z.literal('stageState'), at: ReportedTime, state: StageState });
export const HeartbeatMessage = z.strictObject({
  type: z.literal('heartbeat'),
  time: ReportedTime,
  /** Items waiting in the agent's offline queue. */
  queueDepth: z.number().int().nonnegative(),
});
export const CommandResultMessage = z.strictObject({ type: z.literal('commandResult'), result: CommandResult });

/** Every message an agent may send. */
export const AgentMessage = z.discriminatedUnion('type', [
  HelloMessage,
  InventoryMessage,
  EventMessage,
  StageStateMessage,
  HeartbeatMessage,
  CommandResultMessage,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;
export type HelloMessage = z.infer<typeof HelloMessage>;

export const WelcomeMessage = z.strictObject({
  type: z.literal('welcome'),
  protocolVersion: z.number().int().positive(),
  deviceId: Uuid,
  serverTime: Timestamp,
  /** How often the agent should send a heartbeat. */
  heartbeatIntervalMs: z.number().int().min(1000).max(3600_000),
  capabilities: Capabilities,
});
export const CommandMessage = z.strictObject({ type: z.literal('command'), command: Command });
/** Ids of events (and command ids of results) the server has stored; the agent drops them from its queue. */
export const AckMessage = z.strictObject({ type: z.literal('ack'), ids: z.array(Uuid).min(1).max(MAX_ACK_IDS) });
/**
 * Ids of events (and command ids of results) the server will never store: the frame failed its schema or the store
 * refused a value. The agent drops them from its queue with a log line instead of re-sending them forever. Sent only
 * to agents announcing the `refuse.v1` capability; older agents get an `ack` for them instead.
 */
export const RefusedMessage = z.strictObject({
  type: z.literal('refused'),
  ids: z.array(Uuid).min(1).max(MAX_ACK_IDS),
  code: ErrorCodeSchema,
  reason: Text,
});
/** Sent before the server closes a connection for a reason the agent should log. */
export const ErrorMessage = z.strictObject({ type: z.literal('error'), code: ErrorCodeSchema, message: Text });

/** Every message a server may send. */
export const ServerMessage = z.discriminatedUnion('type', [WelcomeMessage, CommandMessage, AckMessage, RefusedMessage, ErrorMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;
