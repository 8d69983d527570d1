// The admin artifacts generated from the configuration schema (agent/src/config/schema.ts), so they never drift
// from what the agent accepts: the Jamf Pro "Application & Custom Settings" JSON schema, an example
// configuration profile, and the key reference in Markdown. Pure: text out, no I/O.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { CONFIG_DOMAIN, agentConfigSchema } from '../../agent/src/config/schema.js';
import { buildXmlPlist, type PlistValue } from '../../agent/src/system/plist.js';
import { INSTALL_PATHS, LAUNCHD_LABEL, RUNTIME_SIGNER } from '../pkg/layout.js';

/** A JSON Schema node as zod writes it (the parts we read). */
interface JsonNode {
  title?: string;
  description?: string;
  type?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
  additionalProperties?: JsonNode | boolean;
  secret?: boolean;
  [key: string]: unknown;
}

/** Keys Jamf's form builder reads; everything else zod writes ($schema, propertyNames, secret) is left out. */
const KEPT = ['type', 'title', 'description', 'default', 'enum', 'pattern', 'format', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'];

/** "loggedInUser" → "Logged in user", for fields that only have a description. */
export function titleFromKey(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function zodJsonSchema(): JsonNode {
  return z.toJSONSchema(agentConfigSchema, { io: 'input' }) as JsonNode;
}

function jamfNode(key: string, node: JsonNode, order: number | undefined, fallbackTitle = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of KEPT) {
    if (node[field] === undefined) continue;
    // Section defaults would make Jamf write whole sections; the leaves carry their own defaults.
    if (field === 'default' && node.type === 'object') continue;
    out[field] = node[field];
  }
  if (fallbackTitle) out.title ??= titleFromKey(key);
  if (order !== undefined) out.property_order = order;
  if (node.properties) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([child, value], index) => [child, jamfNode(child, value, (index + 1) * 5)]));
  }
  if (node.items) out.items = jamfNode(key, node.items, undefined, false);
  // A free-form dictionary (notices) keeps its value schema, so Jamf lets the admin add keys.
  if (typeof node.additionalProperties === 'object') out.additionalProperties = jamfNode(key, node.additionalProperties, undefined, false);
  return out;
}

/** The Jamf Pro "Application & Custom Settings" → "External Applications" → "Custom Schema" JSON. */
export function jamfSchema(): Record<string, unknown> {
  const root = zodJsonSchema();
  return {
    title: root.title,
    description: `${root.description} Preference domain: ${CONFIG_DOMAIN}.`,
    options: { remove_empty_properties: true },
    properties: Object.fromEntries(Object.entries(root.properties ?? {}).map(([key, value], index) => [key, jamfNode(key, value, (index + 1) * 10)])),
  };
}

/** A stable UUID from a name (SHA-1, version 5 layout), so the example profile is byte-for-byte reproducible. */
export function stableUuid(name: string): string {
  const hex = createHash('sha1').update(`io.untether.admin-docs:${name}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

/**
 * The settings of the example profile: a pilot that scans, and demobilizes two named accounts at the login
 * window, with the server allowed to ask for a demobilization. Must load with no problem (a test checks).
 */
export const EXAMPLE_SETTINGS = {
  server: {
    url: 'https://untether.example.com',
    enrollmentSecretFile: '/Library/Application Support/Untether/enrollment-secret',
  },
  inventory: { enabled: true, intervalMinutes: 60 },
  demobilize: {
    enabled: true,
    when: 'login',
    users: ['pilot.one', 'pilot.two'],
    policy: { loggedInUser: 'skip', admin: 'preserve', excludeUsers: ['localadmin'] },
  },
  unbind: { enabled: false },
  loginWindow: { enabled: false },
  takeover: { enabled: false },
  allowedCommands: { rescan: true, demobilize: true, restore: true, unbind: false, loginwindow: false, takeover: false },
  schedule: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '06:00' }] },
  logging: { level: 'info' },
} satisfies z.input<typeof agentConfigSchema>;

/** An example configuration profile (custom settings payload for the domain), XML, fixed UUIDs. */
export function exampleMobileconfig(): string {
  const payload: PlistValue = {
    PayloadContent: [
      {
        PayloadContent: { [CONFIG_DOMAIN]: { Forced: [{ mcx_preference_settings: EXAMPLE_SETTINGS as unknown as PlistValue }] } },
        PayloadDisplayName: 'Untether agent settings',
        PayloadIdentifier: `${CONFIG_DOMAIN}.example.settings`,
        PayloadType: 'com.apple.ManagedClient.preferences',
        PayloadUUID: stableUuid('example.settings'),
        PayloadVersion: 1,
      },
    ],
    PayloadDescription: 'Example settings for the Untether agent: a pilot that demobilizes two accounts at the login window. Edit before use.',
    PayloadDisplayName: 'Untether agent (example)',
    PayloadIdentifier: `${CONFIG_DOMAIN}.example`,
    PayloadOrganization: 'Example Corp',
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid('example'),
    PayloadVersion: 1,
  };
  return buildXmlPlist(payload);
}

/**
 * The designated requirement of the shipped runtime: the Node.js project's Developer ID signature (identifier and
 * team from scripts/pkg/layout.ts RUNTIME_SIGNER, checked against the runtime at build time). The shape is the one
 * codesign gives every Developer ID binary; it names no hash, so it survives runtime updates within the team.
 */
export function runtimeCodeRequirement(): string {
  return (
    `identifier "${RUNTIME_SIGNER.identifier}" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ ` +
    `and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = ${RUNTIME_SIGNER.teamId}`
  );
}

function profile(name: string, displayName: string, description: string, payloads: Array<Record<string, PlistValue>>): string {
  return buildXmlPlist({
    PayloadContent: payloads,
    PayloadDescription: description,
    PayloadDisplayName: displayName,
    PayloadIdentifier: `${CONFIG_DOMAIN}.${name}`,
    PayloadOrganization: 'Example Corp',
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid(name),
    PayloadVersion: 1,
  });
}

/**
 * PPPC: Full Disk Access (SystemPolicyAllFiles) for the shipped runtime, the process launchd starts and TCC
 * judges. Device channel, user-approved MDM only. Whether it is needed at all: docs/decisions/2026-12-02-full-disk-access.md.
 */
export function pppcMobileconfig(): string {
  return profile('pppc', 'Untether agent: Full Disk Access (example)', 'Grants Full Disk Access to the Node runtime the Untether package installs (root-only directory), by its Node.js Foundation Developer ID signature. Upload as is: see full-disk-access.md.', [
    {
      PayloadDisplayName: 'Untether Full Disk Access',
      PayloadIdentifier: `${CONFIG_DOMAIN}.pppc.tcc`,
      PayloadType: 'com.apple.TCC.configuration-profile-policy',
      PayloadUUID: stableUuid('pppc.tcc'),
      PayloadVersion: 1,
      Services: {
        SystemPolicyAllFiles: [
          {
            Authorization: 'Allow',
            CodeRequirement: runtimeCodeRequirement(),
            Comment: 'The Untether agent: the official Node.js runtime in a directory only root may enter.',
            Identifier: INSTALL_PATHS.runtime,
            IdentifierType: 'path',
            StaticCode: false,
          },
        ],
      },
    },
  ]);
}

/** Managed login items: the daemon is allowed and cannot be turned off in System Settings (macOS 13+). */
export function loginItemsMobileconfig(): string {
  return profile('login-items', 'Untether agent: managed login item (example)', 'Keeps the Untether LaunchDaemon allowed in Login Items. Add a TeamIdentifier rule once the agent is signed with your Developer ID.', [
    {
      PayloadDisplayName: 'Untether managed login item',
      PayloadIdentifier: `${CONFIG_DOMAIN}.login-items.rules`,
      PayloadType: 'com.apple.servicemanagement',
      PayloadUUID: stableUuid('login-items.rules'),
      PayloadVersion: 1,
      Rules: [{ Comment: 'The Untether agent LaunchDaemon', RuleType: 'Label', RuleValue: LAUNCHD_LABEL }],
    },
  ]);
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function valueText(value: unknown): string {
  return value === undefined ? '' : `\`${JSON.stringify(value)}\``;
}

function referenceRows(path: string, node: JsonNode, rows: string[]): void {
  const type = node.enum ? node.enum.map((value) => `\`${String(value)}\``).join(', ') : node.type === 'array' ? `array of ${node.items?.type ?? 'values'}` : (node.type ?? '');
  const isLeafOrList = node.type !== 'object' || node.properties === undefined;
  const defaultText = node.type === 'object' ? '' : valueText(node.default);
  rows.push(`| \`${path}\` | ${markdownCell(type)} | ${defaultText || (isLeafOrList ? '(not set)' : '')} | ${markdownCell(node.description ?? '')}${node.secret ? ' **Secret.**' : ''} |`);
  for (const [key, child] of Object.entries(node.properties ?? {})) referenceRows(`${path}.${key}`, child, rows);
  if (node.items?.properties) for (const [key, child] of Object.entries(node.items.properties)) referenceRows(`${path}[].${key}`, child, rows);
}

/** docs/admin/configuration-reference.md: every key with its type, default and description. */
export function configurationReference(): string {
  const root = zodJsonSchema();
  const rows: string[] = [];
  for (const [key, node] of Object.entries(root.properties ?? {})) referenceRows(key, node, rows);
  return [
    '<!-- Generated by scripts/build/generate-admin-schema.ts from agent/src/config/schema.ts. Do not edit: run `npm run build && npm run generate:admin-schema`. -->',
    '# Configuration reference',
    '',
    `Preference domain \`${CONFIG_DOMAIN}\`. The agent reads \`/Library/Managed Preferences/${CONFIG_DOMAIN}.plist\` (written by a`,
    `configuration profile), then \`/Library/Preferences/${CONFIG_DOMAIN}.plist\`, then the defaults below. A top-level key set by`,
    'the profile replaces the same key of the local file whole. See [configuration.md](configuration.md) for how problems are reported.',
    '',
    '| Key | Type | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
