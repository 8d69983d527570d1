import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { COMMAND_TYPES } from '../../protocol/src/index.js';
import {
  CONFIG_KEYS,
  DEFAULT_AGENT_CONFIG,
  DESTRUCTIVE_CONFIG_KEYS,
  agentConfigSchema,
} from '../../agent/src/config/schema.js';

type JsonSchema = { title?: string; description?: string; type?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; additionalProperties?: JsonSchema | boolean };

/** Every property of the generated JSON schema with its dotted path. */
function walk(schema: JsonSchema, path: string, out: Array<[string, JsonSchema]>): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    out.push([`${path}${key}`, child]);
    walk(child, `${path}${key}.`, out);
    if (child.items) walk(child.items, `${path}${key}[].`, out);
  }
}

describe('agent configuration schema', () => {
  it('turns every stage off and refuses every destructive command when nothing is configured', () => {
    expect(DEFAULT_AGENT_CONFIG.inventory.enabled).toBe(false);
    expect(DEFAULT_AGENT_CONFIG.demobilize.enabled).toBe(false);
    expect(DEFAULT_AGENT_CONFIG.unbind.enabled).toBe(false);
    expect(DEFAULT_AGENT_CONFIG.loginWindow.enabled).toBe(false);
    expect(DEFAULT_AGENT_CONFIG.takeover.enabled).toBe(false);
    for (const [type, meta] of Object.entries(COMMAND_TYPES)) {
      expect(DEFAULT_AGENT_CONFIG.allowedCommands[type as keyof typeof COMMAND_TYPES], type).toBe(!meta.destructive);
    }
  });

  it('has one allowedCommands switch per protocol command type, and no other', () => {
    const schema = z.toJSONSchema(agentConfigSchema, { io: 'input' }) as JsonSchema;
    expect(Object.keys(schema.properties!.allowedCommands!.properties!).sort()).toEqual(Object.keys(COMMAND_TYPES).sort());
  });

  it('gives every field a title and a description (the Jamf schema and the docs come from them)', () => {
    const schema = z.toJSONSchema(agentConfigSchema, { io: 'input' }) as JsonSchema;
    const fields: Array<[string, JsonSchema]> = [];
    walk(schema, '', fields);
    expect(fields.length).toBeGreaterThan(30);
    const undescribed = fields.filter(([, field]) => !field.description);
    expect(undescribed.map(([path]) => path)).toEqual([]);
    // The embedded demobilize policy (plan/policy.ts) has descriptions only; the Jamf schema derives its titles.
    const untitled = fields.filter(([path, field]) => !field.title && !path.startsWith('demobilize.policy.'));
    expect(untitled.map(([path]) => path)).toEqual([]);
  });

  it('marks the stages that change the Mac as destructive', () => {
    expect([...DESTRUCTIVE_CONFIG_KEYS].sort()).toEqual(['allowedCommands', 'commandPolicy', 'demobilize', 'lock', 'loginWindow', 'takeover', 'unbind']);
    for (const key of DESTRUCTIVE_CONFIG_KEYS) expect(CONFIG_KEYS).toContain(key);
  });

  it('refuses to turn a stage on without its choices: nothing destructive is defaulted', () => {
    const demobilize = agentConfigSchema.shape.demobilize;
    expect(demobilize.safeParse({ enabled: true, users: ['jdoe'] }).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['when']);
    expect(demobilize.safeParse({ enabled: true, when: 'boot' }).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['users']);
    expect(demobilize.safeParse({ enabled: true, when: 'boot', allUsers: true, users: ['jdoe'] }).success).toBe(false);
    expect(demobilize.safeParse({ enabled: true, when: 'login', users: ['jdoe'] }).success).toBe(true);
    expect(agentConfigSchema.shape.loginWindow.safeParse({ enabled: true }).success).toBe(false);
    expect(agentConfigSchema.shape.loginWindow.safeParse({ enabled: true, preset: 'jamf-connect' }).success).toBe(true);
    const takeover = agentConfigSchema.shape.takeover;
    expect(takeover.safeParse({ enabled: true, provider: 'xcreds' }).success).toBe(false);
    expect(takeover.safeParse({ enabled: true, provider: 'xcreds', mappingSource: 'file' }).success).toBe(false);
    expect(takeover.safeParse({ enabled: true, provider: 'xcreds', mappingSource: 'file', mappingFile: '/Library/Untether/map.csv' }).success).toBe(true);
  });

  it('embeds the demobilize policy with its safe defaults', () => {
    expect(DEFAULT_AGENT_CONFIG.demobilize.policy).toMatchObject({ loggedInUser: 'skip', admin: 'preserve', excludeUsers: [] });
    expect(agentConfigSchema.shape.demobilize.safeParse({ policy: { admin: 'gran' } }).success).toBe(false);
  });

  it('accepts only https server URLs (http for localhost) and base64 SHA-256 pins', () => {
    const server = agentConfigSchema.shape.server;
    expect(server.safeParse({ url: 'https://untether.example.com' }).success).toBe(true);
    expect(server.safeParse({ url: 'http://127.0.0.1:8443' }).success).toBe(true);
    expect(server.safeParse({ url: 'http://untether.example.com' }).success).toBe(false);
    expect(server.safeParse({ url: 'ftp://untether.example.com' }).success).toBe(false);
    expect(server.safeParse({ spkiPins: ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='] }).success).toBe(true);
    expect(server.safeParse({ spkiPins: ['abc'] }).success).toBe(false);
    expect(server.safeParse({ caFile: 'relative/ca.pem' }).success).toBe(false);
    expect(server.safeParse({ caFile: '/Library/../etc/ca.pem' }).success).toBe(false);
  });

  it('checks schedule windows as HH:MM on named weekdays', () => {
    const schedule = agentConfigSchema.shape.schedule;
    expect(schedule.safeParse({ windows: [{ days: ['mon', 'fri'], start: '22:00', end: '05:30' }] }).success).toBe(true);
    expect(schedule.safeParse({ windows: [{ days: ['monday'], start: '22:00', end: '05:30' }] }).success).toBe(false);
    expect(schedule.safeParse({ windows: [{ days: ['mon'], start: '24:00', end: '05:30' }] }).success).toBe(false);
    expect(schedule.safeParse({ windows: [{ days: [], start: '01:00', end: '05:30' }] }).success).toBe(false);
  });
});
