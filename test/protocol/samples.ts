// Valid sample messages and builders shared by the protocol, server and link tests.
import { randomUUID } from 'node:crypto';
import type { AgentEvent, Inventory, StageState } from '../../protocol/src/index.js';

export const SAMPLE_HARDWARE_UUID = '6F1C8B3E-1111-4222-8333-444455556666';
export const SAMPLE_SERIAL = 'C02XK1ABJG5H';

/** An inventory of a bound Mac with one mobile and one local admin account. */
export function sampleInventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    hostname: 'mac-0001',
    macos: { version: '14.6.1', build: '23G93' },
    users: [
      {
        name: 'jdoe',
        kind: 'mobile',
        uid: 1104567,
        generatedUid: 'A1B2C3D4-0000-4000-8000-000000000001',
        home: '/Users/jdoe',
        admin: false,
        secureToken: true,
        fileVault: true,
        linkedIdentity: null,
      },
      {
        name: 'localadmin',
        kind: 'local',
        uid: 501,
        generatedUid: 'A1B2C3D4-0000-4000-8000-000000000002',
        home: '/Users/localadmin',
        admin: true,
        secureToken: true,
        fileVault: true,
        linkedIdentity: null,
      },
    ],
    binding: { kind: 'ad', domain: 'corp.example.com', computerId: 'MAC-0001$' },
    fileVault: 'on',
    loginChain: { kind: 'stock' },
    mdm: { enrolled: true, server: 'mdm.example.com' },
    profiles: [{ identifier: 'com.example.untether', displayName: 'Untether settings' }],
    ...overrides,
  };
}

/** An event with a fresh id. */
export function sampleEvent(seq: number, overrides: Partial<AgentEvent> = {}): AgentEvent {
  return {
    id: randomUUID(),
    seq,
    time: new Date(Date.UTC(2026, 10, 1, 12, 0, seq % 60)).toISOString(),
    kind: 'step.succeeded',
    user: 'jdoe',
    stage: 'demobilize',
    detail: { step: 'remove-attributes' },
    ...overrides,
  };
}

/** A stage state waiting for the user to log out. */
export function sampleStageState(): StageState {
  return {
    stage: 'demobilize',
    waitingFor: 'user-logout',
    lastResult: { scan: { outcome: 'succeeded', at: '2026-11-01T12:00:00.000Z' } },
  };
}
