import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../agent/src/config/load.js';
import { CONFIG_DOMAIN, CONFIG_KEYS } from '../../agent/src/config/schema.js';
import { isPlistDict, type PlistValue } from '../../agent/src/system/plist.js';
import { EXAMPLE_SETTINGS, jamfSchema, stableUuid, titleFromKey } from '../../scripts/build/admin-schema.js';
import { INSTALL_PATHS, LAUNCHD_LABEL } from '../../scripts/pkg/layout.js';
import { adminArtifacts } from '../../scripts/build/generate-admin-schema.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type JamfNode = { type?: string; title?: string; description?: string; property_order?: number; properties?: Record<string, JamfNode>; items?: JamfNode; enum?: unknown[] };

describe('admin artifacts generated from the configuration schema', () => {
  it.each(adminArtifacts().map(({ file, content }) => [file, content]))('%s is committed exactly as generated (no drift)', (file, content) => {
    const committed = readFileSync(path.join(repoRoot, file), 'utf8');
    // On failure: npm run build && npm run generate:admin-schema
    expect(committed).toBe(content);
  });

  it('gives Jamf a title, description, properties, and per property a type, title, description and order', () => {
    const schema = jamfSchema() as { title: string; description: string; properties: Record<string, JamfNode> };
    expect(schema.title).toBe(`Untether agent (${CONFIG_DOMAIN})`);
    expect(Object.keys(schema.properties)).toEqual(CONFIG_KEYS);
    const check = (key: string, node: JamfNode) => {
      expect(node.type, key).toBeTypeOf('string');
      expect(node.title, key).toBeTypeOf('string');
      expect(node.description, key).toBeTypeOf('string');
      expect(node.property_order, key).toBeTypeOf('number');
      for (const [child, value] of Object.entries(node.properties ?? {})) check(`${key}.${child}`, value);
    };
    for (const [key, node] of Object.entries(schema.properties)) check(key, node);
    expect(schema.properties.demobilize!.properties!.when!.enum).toEqual(['boot', 'login', 'schedule']);
    expect(JSON.stringify(schema)).not.toMatch(/"secret"|\$schema|"additionalProperties":false/);
  });

  it('writes an example profile that is a valid configuration profile with a custom settings payload for the domain', () => {
    const text = readFileSync(path.join(repoRoot, 'docs/admin/io.untether.agent.example.mobileconfig'), 'utf8');
    const profile = parse(text) as Record<string, PlistValue>;
    expect(profile).toMatchObject({ PayloadType: 'Configuration', PayloadScope: 'System', PayloadVersion: 1, PayloadUUID: stableUuid('example') });
    const [payload] = profile.PayloadContent as Array<Record<string, PlistValue>>;
    expect(payload).toMatchObject({ PayloadType: 'com.apple.ManagedClient.preferences', PayloadVersion: 1 });
    expect(payload!.PayloadUUID).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    const domain = (payload!.PayloadContent as Record<string, { Forced: Array<{ mcx_preference_settings: PlistValue }> }>)[CONFIG_DOMAIN]!;
    const settings = domain.Forced[0]!.mcx_preference_settings;
    expect(isPlistDict(settings)).toBe(true);
    // What ManagedClient would write to /Library/Managed Preferences loads with no problem.
    const loaded = resolveConfig({ kind: 'read', dict: settings as Record<string, PlistValue> }, { kind: 'absent' });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.demobilize).toMatchObject({ enabled: true, when: 'login', users: ['pilot.one', 'pilot.two'] });
    expect(settings).toEqual(EXAMPLE_SETTINGS);
    expect(text).not.toMatch(/enrollmentSecret<\/key>/);
  });

  it('writes a PPPC example granting Full Disk Access to the shipped runtime by its real signer, with nothing to fill in', () => {
    const text = readFileSync(path.join(repoRoot, 'docs/admin/io.untether.agent.pppc.example.mobileconfig'), 'utf8');
    const profile = parse(text) as Record<string, PlistValue>;
    const [payload] = profile.PayloadContent as Array<Record<string, PlistValue>>;
    expect(payload!.PayloadType).toBe('com.apple.TCC.configuration-profile-policy');
    const grants = (payload!.Services as { SystemPolicyAllFiles: Array<Record<string, PlistValue>> }).SystemPolicyAllFiles;
    expect(grants.map((grant) => grant.Identifier)).toEqual([INSTALL_PATHS.runtime]);
    expect(grants[0]).toMatchObject({ IdentifierType: 'path', Authorization: 'Allow', StaticCode: false });
    expect(grants[0]!.CodeRequirement).toBe(
      'identifier "node" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = HX7739G8FX',
    );
    expect(text).not.toMatch(/REPLACE_WITH/);
  });

  it('writes a managed login items example whose rule names the launchd label', () => {
    const profile = parse(readFileSync(path.join(repoRoot, 'docs/admin/io.untether.agent.login-items.example.mobileconfig'), 'utf8')) as Record<string, PlistValue>;
    const [payload] = profile.PayloadContent as Array<Record<string, PlistValue>>;
    expect(payload).toMatchObject({ PayloadType: 'com.apple.servicemanagement', Rules: [{ RuleType: 'Label', RuleValue: LAUNCHD_LABEL }] });
  });

  it('makes stable UUIDs and readable fallback titles', () => {
    expect(stableUuid('a')).toBe(stableUuid('a'));
    expect(stableUuid('a')).not.toBe(stableUuid('b'));
    expect(titleFromKey('loggedInUser')).toBe('Logged in user');
  });
});
