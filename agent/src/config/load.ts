// Reading the configuration: the managed preferences a configuration profile installs, then the local
// preferences file, then the defaults. Precedence is per top-level key, as CFPreferences does it (a key the
// profile sets replaces the local key whole; dictionaries are not merged). Each key is validated on its own:
// a bad key is reported by name and falls back to its default (every destructive default is "off") while the
// valid rest loads. Never throws: an unreadable file is a problem, not a crash.
import type { Logger } from 'winston';
import type * as z from 'zod';
import { readPlistFile } from '../system/files.js';
import { isPlistDict, type PlistValue } from '../system/plist.js';
import { registerSecretValue } from '../log/redact.js';
import {
  CONFIG_FILES,
  CONFIG_KEYS,
  DESTRUCTIVE_CONFIG_KEYS,
  agentConfigSchema,
  defaultOf,
  type AgentConfig,
  type ConfigKey,
} from './schema.js';

/** Where a value came from. */
export type ConfigSource = 'managed' | 'local' | 'default';

/** One thing wrong with the configuration, named so an admin can find it in the profile. */
export interface ConfigProblem {
  /** Dotted key path ("demobilize.when"), or "(file)" when a whole file could not be read. */
  key: string;
  source: ConfigSource;
  /** What is wrong and what the agent does instead; never contains a secret value. */
  message: string;
}

/** What loading produced: a complete, valid configuration and the problems met on the way. */
export interface LoadedConfig {
  config: AgentConfig;
  problems: ConfigProblem[];
  /** Which file each top-level key came from. */
  origins: Record<ConfigKey, ConfigSource>;
}

/** The file-level problem key. */
export const FILE_PROBLEM_KEY = '(file)';

export type RawDict = { [key: string]: PlistValue };

/** A configuration file as read: its top-level dictionary, absent, or unreadable with the reason. */
export type FileRead = { kind: 'absent' } | { kind: 'read'; dict: RawDict } | { kind: 'unreadable'; reason: string };

async function readConfigFile(macPath: string): Promise<FileRead> {
  try {
    const raw = await readPlistFile(macPath);
    if (raw === undefined) return { kind: 'absent' };
    if (!isPlistDict(raw)) return { kind: 'unreadable', reason: 'the top level is not a dictionary' };
    return { kind: 'read', dict: raw };
  } catch (error) {
    return { kind: 'unreadable', reason: error instanceof Error ? error.message : String(error) };
  }
}

function issuePath(key: string, issue: z.core.$ZodIssue): string {
  return [key, ...issue.path.map(String)].join('.');
}

/** Problems for one key's failed validation, with the fallback stated. */
function keyProblems(key: ConfigKey, source: ConfigSource, error: z.ZodError): ConfigProblem[] {
  const fallback = DESTRUCTIVE_CONFIG_KEYS.has(key) ? `${key} is off` : `${key} uses its defaults`;
  return error.issues.map((issue) => {
    // Unknown keys inside a section come as one issue listing them; name each in the path.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
    const where = keys === undefined ? issuePath(key, issue) : `${issuePath(key, issue)}.{${keys}}`;
    const what = keys === undefined ? issue.message : 'unknown key';
    return { key: where, source, message: `${what}; ${fallback}` };
  });
}

/** Validate the merged preference values; pure (no I/O), for tests and for `untether status`. */
export function resolveConfig(
  managed: FileRead,
  local: FileRead,
): LoadedConfig {
  const problems: ConfigProblem[] = [];
  const config = {} as Record<ConfigKey, unknown>;
  const origins = {} as Record<ConfigKey, ConfigSource>;
  if (managed.kind === 'unreadable') {
    problems.push({
      key: FILE_PROBLEM_KEY,
      source: 'managed',
      message: `${CONFIG_FILES.managed}: ${managed.reason}; every destructive stage and command is off until it can be read`,
    });
  }
  if (local.kind === 'unreadable') {
    problems.push({ key: FILE_PROBLEM_KEY, source: 'local', message: `${CONFIG_FILES.local}: ${local.reason}; its settings are ignored` });
  }
  const managedDict = managed.kind === 'read' ? managed.dict : {};
  const localDict = local.kind === 'read' ? local.dict : {};
  for (const [source, dict] of [['managed', managedDict], ['local', localDict]] as const) {
    for (const key of Object.keys(dict)) {
      if (!(CONFIG_KEYS as string[]).includes(key)) problems.push({ key, source, message: 'unknown key; ignored' });
    }
  }
  for (const key of CONFIG_KEYS) {
    const has = (dict: RawDict) => Object.prototype.hasOwnProperty.call(dict, key);
    // Without a readable profile, a destructive key must not come from the local file: the profile may turn it off.
    const localAllowed = !(managed.kind === 'unreadable' && DESTRUCTIVE_CONFIG_KEYS.has(key));
    const source: ConfigSource = has(managedDict) ? 'managed' : has(localDict) && localAllowed ? 'local' : 'default';
    origins[key] = source;
    if (source === 'default') {
      config[key] = defaultOf(key);
      continue;
    }
    const raw = source === 'managed' ? managedDict[key] : localDict[key];
    const parsed = agentConfigSchema.shape[key].safeParse(raw);
    if (parsed.success) {
      config[key] = parsed.data;
    } else {
      problems.push(...keyProblems(key, source, parsed.error));
      config[key] = defaultOf(key);
    }
  }
  return { config: config as AgentConfig, problems, origins };
}

/**
 * Load the configuration from both files (resolved under the system root). Never throws. Each problem is
 * logged as `config_problem` when a logger is given; the enrollment secret is registered with the log redactor.
 */
export async function loadConfig(options: { log?: Logger } = {}): Promise<LoadedConfig> {
  const [managed, local] = await Promise.all([readConfigFile(CONFIG_FILES.managed), readConfigFile(CONFIG_FILES.local)]);
  const loaded = resolveConfig(managed, local);
  const secret = loaded.config.server.enrollmentSecret;
  if (secret !== undefined) registerSecretValue(secret);
  for (const problem of loaded.problems) options.log?.warn('config_problem', { ...problem });
  return loaded;
}

/** One line per problem for `untether status` and the server: `demobilize.when (managed): …; demobilize is off`. */
export function describeConfigProblem(problem: ConfigProblem): string {
  return `${problem.key} (${problem.source}): ${problem.message}`;
}

/** The stages the configuration turns on, for a one-line summary in logs and status. */
export function enabledStages(config: AgentConfig): string[] {
  const stages: string[] = [];
  if (config.inventory.enabled) stages.push('inventory');
  if (config.demobilize.enabled) stages.push('demobilize');
  if (config.unbind.enabled) stages.push('unbind');
  if (config.loginWindow.enabled) stages.push('loginWindow');
  if (config.takeover.enabled) stages.push('takeover');
  return stages;
}
