import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AgentMessage,
  Command,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  ServerMessage,
  decodeAgentMessage,
  decodeServerMessage,
  type CommandType,
} from '../../protocol/src/index.js';
import { SAMPLE_HARDWARE_UUID, SAMPLE_SERIAL, sampleEvent, sampleInventory, sampleStageState } from './samples.js';

const validAgentMessages: AgentMessage[] = [
  {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    device: { hardwareUuid: SAMPLE_HARDWARE_UUID, serial: SAMPLE_SERIAL },
    agentVersion: '0.1.0',
    capabilities: ['queue', 'commands.v1'],
  },
  { type: 'inventory', collectedAt: '2026-11-01T12:00:00Z', inventory: sampleInventory() },
  { type: 'event', event: sampleEvent(1) },
  { type: 'stageState', at: '2026-11-01T12:00:00Z', state: sampleStageState() },
  { type: 'heartbeat', time: '2026-11-01T12:00:00Z', queueDepth: 0 },
  {
    type: 'commandResult',
    result: { commandId: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e', outcome: 'rejected', code: 'E_COMMAND_EXPIRED', finishedAt: '2026-11-01T12:00:00Z' },
  },
];

describe('agent messages', () => {
  it.each(validAgentMessages.map((message) => [message.type, message] as const))('accepts a valid %s', (_type, message) => {
    const decoded = decodeAgentMessage(JSON.stringify(message));
    expect(decoded).toEqual({ ok: true, message });
  });

  it('refuses malformed JSON with E_BAD_JSON', () => {
    const decoded = decodeAgentMessage('{"type":"hello",');
    expect(decoded.ok).toBe(false);
    expect(decoded.ok === false && decoded.code).toBe('E_BAD_JSON');
  });

  it('refuses an unknown message type', () => {
    expect(decodeAgentMessage(JSON.stringify({ type: 'shell', cmd: 'rm -rf /' }))).toMatchInlineSnapshot(`
      {
        "code": "E_BAD_MESSAGE",
        "messageType": "shell",
        "ok": false,
        "reason": "type: Invalid discriminator value. Expected 'hello' | 'inventory' | 'event' | 'stageState' | 'heartbeat' | 'commandResult'",
      }
    `);
  });

  it('refuses an event without a UUID id and names the path, not the value', () => {
    const decoded = decodeAgentMessage(JSON.stringify({ type: 'event', event: { ...sampleEvent(1), id: 'secret-looking-value' } }));
    expect(decoded).toMatchInlineSnapshot(`
      {
        "code": "E_BAD_MESSAGE",
        "ok": false,
        "reason": "event.id: expected a UUID",
      }
    `);
  });

  it('refuses unknown fields (strict objects)', () => {
    const decoded = decodeAgentMessage(JSON.stringify({ type: 'heartbeat', time: '2026-11-01T12:00:00Z', queueDepth: 0, extra: 1 }));
    expect(decoded.ok).toBe(false);
  });

  it('refuses a frame larger than MAX_FRAME_BYTES before parsing it', () => {
    const decoded = decodeAgentMessage('x'.repeat(MAX_FRAME_BYTES + 1));
    expect(decoded.ok === false && decoded.code).toBe('E_FRAME_TOO_LARGE');
  });

  it('refuses an event whose detail is larger than the bound', () => {
    const detail = Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`k${index}`, 'v'.repeat(200)]));
    expect(decodeAgentMessage(JSON.stringify({ type: 'event', event: sampleEvent(1, { detail }) })).ok).toBe(false);
  });

  it('refuses an inventory with a user of an unknown kind', () => {
    const inventory = sampleInventory();
    const users = inventory.users.map((user) => ({ ...user, kind: 'guest' }));
    expect(decodeAgentMessage(JSON.stringify({ type: 'inventory', collectedAt: '2026-11-01T12:00:00Z', inventory: { ...inventory, users } })).ok).toBe(false);
  });
});

describe('server messages', () => {
  const command = {
    id: '0b9d7c5e-2f1a-4b3c-8d4e-5f6a7b8c9d0e',
    type: 'demobilize',
    params: { scope: 'user', user: 'jdoe' },
    issuedAt: '2026-11-01T12:00:00Z',
    validUntil: '2026-11-01T13:00:00Z',
  } as const;

  it('accepts welcome, command and ack', () => {
    for (const message of [
      { type: 'welcome', protocolVersion: 1, deviceId: command.id, serverTime: '2026-11-01T12:00:00Z', heartbeatIntervalMs: 30_000, capabilities: [] },
      { type: 'command', command },
      { type: 'ack', ids: [command.id] },
    ]) {
      expect(decodeServerMessage(JSON.stringify(message)).ok).toBe(true);
    }
  });

  it('refuses a command whose params do not match its type', () => {
    const decoded = decodeServerMessage(JSON.stringify({ type: 'command', command: { ...command, type: 'unbind' } }));
    expect(decoded).toMatchInlineSnapshot(`
      {
        "code": "E_BAD_MESSAGE",
        "messageType": "command",
        "ok": false,
        "reason": "command.params: Unrecognized keys: "scope", "user"",
      }
    `);
  });

  it('refuses a takeover without mappings', () => {
    expect(Command.safeParse({ ...command, type: 'takeover', params: { mappings: [] } }).success).toBe(false);
  });

  it('derives types from the schemas', () => {
    expectTypeOf<ServerMessage['type']>().toEqualTypeOf<'welcome' | 'command' | 'ack' | 'refused' | 'error'>();
    expectTypeOf<AgentMessage['type']>().toEqualTypeOf<'hello' | 'inventory' | 'event' | 'stageState' | 'heartbeat' | 'commandResult'>();
    expectTypeOf<Command['type']>().toEqualTypeOf<CommandType>();
  });
});
