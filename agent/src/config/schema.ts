// The agent's configuration: one zod schema, the single source for the loader, the TypeScript types, the
// Jamf Pro "Application & Custom Settings" schema and the admin docs (all generated from the titles and
// descriptions here, so they cannot drift). Preference domain io.untether.agent.
//
// Rules every field follows:
// - Every stage is off unless configured; every destructive command is refused unless allowed.
// - A stage that is turned on must name its choices (when, which users, preset, provider): nothing that
//   changes the Mac is ever defaulted. Such a stage without its choices is reported and stays off.
// - Every field has a title and a description (a test walks the schema to check).
import * as z from 'zod';
import { LOGIN_WINDOW_PRESETS } from '../loginwindow/presets.js';
import { noticeTextsSchema } from '../notify/texts.js';
import { demobilizePolicySchema } from '../plan/policy.js';
import { JAMF_CONNECT_IDPS } from '../takeover/idps.js';

/** The preference domain: file name of the managed and local plists, and the profile's payload domain. */
export const CONFIG_DOMAIN = 'io.untether.agent';

/** Mac paths of the two configuration files, in order of precedence. */
export const CONFIG_FILES = {
  managed: `/Library/Managed Preferences/${CONFIG_DOMAIN}.plist`,
  local: `/Library/Preferences/${CONFIG_DOMAIN}.plist`,
} as const;

const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine((value) => !value.split('/').includes('..'), 'must not contain ".."');

const shortName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s/:]+$/, 'must be an account short name (no spaces, "/" or ":")');

const hourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/** A field that is optional but must be set when its stage is enabled. */
function requireWhenEnabled(
  value: { enabled: boolean },
  context: z.RefinementCtx,
  fields: ReadonlyArray<readonly [string, unknown]>,
  stage: string,
): void {
  if (!value.enabled) return;
  for (const [field, fieldValue] of fields) {
    if (fieldValue === undefined) {
      context.addIssue({ code: 'custom', path: [field], message: `required when ${stage}.enabled is true (never defaulted)` });
    }
  }
}

const serverSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .refine((value) => value.startsWith('https:') || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(value), 'must be https (http only for localhost)')
      .optional()
      .meta({ title: 'Server URL', description: 'The Untether server, e.g. https://untether.example.com. Without it the agent works alone and reports nothing.' }),
    enrollmentSecret: z
      .string()
      .min(1)
      .optional()
      .meta({
        title: 'Enrollment secret',
        description:
          'Shared secret the agent trades once for its own device token. Never logged. Any local user can read a configuration profile: prefer "Enrollment secret file".',
        secret: true,
      }),
    enrollmentSecretFile: absolutePath.optional().meta({
      title: 'Enrollment secret file',
      description: 'Path of a root-only file (mode 0600) holding the enrollment secret, e.g. written by a Jamf policy script. Used when "Enrollment secret" is not set.',
    }),
    caFile: absolutePath.optional().meta({
      title: 'CA certificate file',
      description: "PEM file of the certificate authorities to trust for the server instead of the system's (for a private CA).",
    }),
    spkiPins: z
      .array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 SHA-256 hash (44 characters)'))
      .default([])
      .meta({
        title: 'Certificate pins',
        description: "Base64 SHA-256 hashes of SubjectPublicKeyInfo; when set, a certificate of the server's chain must match one. List two to rotate.",
      }),
  })
  .default({ spkiPins: [] })
  .meta({ title: 'Server', description: 'Where the agent reports and takes commands from. Not destructive.' });

const inventorySchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ title: 'Scan and report', description: 'Scan accounts, binding and login window, and send the inventory to the server. Read-only.' }),
    intervalMinutes: z
      .number()
      .int()
      .min(15)
      .max(1440)
      .default(60)
      .meta({ title: 'Scan interval (minutes)', description: 'Minutes between scans (15 to 1440). A scan also runs at start and after every change the agent makes.' }),
  })
  .default({ enabled: false, intervalMinutes: 60 })
  .meta({ title: 'Inventory', description: 'The read-only scan. Off unless turned on.' });

const demobilizeSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ title: 'Demobilize', description: 'Convert AD mobile accounts to local accounts. Off unless turned on.' }),
    when: z
      .enum(['boot', 'login', 'schedule'])
      .optional()
      .meta({
        title: 'When',
        description:
          '"boot": when the agent starts at boot, before anyone logs in; "login": at the login window when no one is logged in; "schedule": inside the schedule windows. Required when demobilize is on.',
      }),
    allUsers: z.boolean().default(false).meta({ title: 'All mobile accounts', description: 'Convert every mobile account that passes the safety gates (except excluded ones). Do not combine with "Users".' }),
    users: z.array(shortName).default([]).meta({ title: 'Users', description: 'Short names of the mobile accounts to convert (a pilot group). Do not combine with "All mobile accounts".' }),
    policy: demobilizePolicySchema.default(demobilizePolicySchema.parse({})).meta({ title: 'Conversion policy', description: 'How each account is converted.' }),
  })
  .superRefine((value, context) => {
    requireWhenEnabled(value, context, [['when', value.when]], 'demobilize');
    if (value.enabled && !value.allUsers && value.users.length === 0) {
      context.addIssue({ code: 'custom', path: ['users'], message: 'names no account: set "users" or "allUsers"' });
    }
    if (value.allUsers && value.users.length > 0) {
      context.addIssue({ code: 'custom', path: ['allUsers'], message: 'is true while "users" lists accounts: choose one' });
    }
  })
  .default({ enabled: false, allUsers: false, users: [], policy: demobilizePolicySchema.parse({}) })
  .meta({ title: 'Demobilize', description: 'Converting AD mobile accounts to local accounts, keeping password, home, SecureToken and FileVault. Destructive.' });

const unbindSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ title: 'Unbind', description: 'Remove the Active Directory binding once no mobile account is left. Off unless turned on.' }),
  })
  .default({ enabled: false })
  .meta({ title: 'Unbind', description: 'Leaving Active Directory. Destructive.' });

const loginWindowSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ title: 'Change the login window', description: 'Set the login window chain to the preset. Off unless turned on.' }),
    preset: z
      .enum(LOGIN_WINDOW_PRESETS)
      .optional()
      .meta({
        title: 'Preset',
        description: '"apple": the macOS login window; "demobilize": Apple\'s with Jamf Connect\'s DeMobilize step; "jamf-connect": Jamf Connect\'s login window. Required when the stage is on.',
      }),
  })
  .superRefine((value, context) => requireWhenEnabled(value, context, [['preset', value.preset]], 'loginWindow'))
  .default({ enabled: false })
  .meta({ title: 'Login window', description: 'Which login window the Mac shows. Destructive.' });

const takeoverSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ title: 'Link accounts', description: "Link local accounts to their users' cloud identities. Off unless turned on." }),
    provider: z
      .enum(['jamf-connect', 'xcreds', 'generic'])
      .optional()
      .meta({ title: 'Identity provider login', description: 'The IdP login window in use: jamf-connect, xcreds or generic. Required when the stage is on.' }),
    mappingSource: z
      .enum(['server', 'file', 'same-name'])
      .optional()
      .meta({
        title: 'Mapping source',
        description:
          '"server": only mappings sent in a takeover command; "file": the CSV at "Mapping file"; "same-name": the local short name is the IdP user name. Required when the stage is on.',
      }),
    mappingFile: absolutePath.optional().meta({ title: 'Mapping file', description: 'Root-owned CSV of local account,cloud user lines. Required when the mapping source is "file".' }),
    idp: z
      .enum(JAMF_CONNECT_IDPS)
      .optional()
      .meta({ title: 'Jamf Connect identity provider', description: "Jamf Connect's OIDCProvider value written on linked accounts: Azure, Okta, OneLogin, GoogleID or Custom." }),
    alias: z.boolean().default(false).meta({ title: 'Add the cloud short name as an alias', description: 'Also add the cloud short name as a RecordName alias of each linked account.' }),
  })
  .superRefine((value, context) => {
    requireWhenEnabled(value, context, [['provider', value.provider], ['mappingSource', value.mappingSource]], 'takeover');
    if (value.enabled && value.mappingSource === 'file' && value.mappingFile === undefined) {
      context.addIssue({ code: 'custom', path: ['mappingFile'], message: 'required when mappingSource is "file"' });
    }
  })
  .default({ enabled: false, alias: false })
  .meta({ title: 'Account linking', description: 'Handing local accounts to the identity provider login. Destructive.' });

const allowedCommandsSchema = z
  .strictObject({
    rescan: z.boolean().default(true).meta({ title: 'Rescan', description: 'Scan again and send a fresh inventory. Read-only; on by default.' }),
    demobilize: z.boolean().default(false).meta({ title: 'Demobilize', description: 'Convert mobile accounts when the server asks. Off by default.' }),
    restore: z.boolean().default(false).meta({ title: 'Restore', description: 'Roll a conversion back from its snapshot when the server asks. Off by default.' }),
    unbind: z.boolean().default(false).meta({ title: 'Unbind', description: 'Unbind from Active Directory when the server asks. Off by default.' }),
    loginwindow: z.boolean().default(false).meta({ title: 'Login window', description: 'Apply a login window preset when the server asks. Off by default.' }),
    takeover: z.boolean().default(false).meta({ title: 'Link accounts', description: 'Link accounts by a mapping the server sends. Off by default.' }),
    'lock-account': z
      .boolean()
      .default(false)
      .meta({ title: 'Lock accounts', description: 'Disable logins of an account when the server asks (offboarding); password, SecureToken and home are kept. Off by default.' }),
    'unlock-account': z
      .boolean()
      .default(false)
      .meta({ title: 'Unlock accounts', description: 'Allow logins of an account Untether locked again when the server asks. Off by default.' }),
  })
  .default({ rescan: true, demobilize: false, restore: false, unbind: false, loginwindow: false, takeover: false, 'lock-account': false, 'unlock-account': false })
  .meta({ title: 'Allowed server commands', description: 'Which commands from the server this Mac runs. Every destructive one is refused unless allowed here. Destructive.' });

const commandPolicySchema = z
  .strictObject({
    protectedAccounts: z
      .array(shortName)
      .max(500)
      .default([])
      .meta({
        title: 'Protected accounts',
        description:
          'Short names no server command ever touches (demobilize, restore, link), e.g. the IT admin account: a command naming one is refused, and "all" skips them. The account holding the last SecureToken of the Mac is always protected as well.',
      }),
    allowedLoginWindowPresets: z
      .array(z.enum(LOGIN_WINDOW_PRESETS))
      .default([])
      .meta({
        title: 'Login window presets the server may apply',
        description: 'Presets a server "loginwindow" command may apply (apple, demobilize, jamf-connect); any other is refused. Empty: none, even when the command type is allowed.',
      }),
  })
  .default({ protectedAccounts: [], allowedLoginWindowPresets: [] })
  .meta({
    title: 'Server command limits',
    description: 'What server commands may touch, on top of "Allowed server commands". An invalid value refuses every destructive command until fixed. Destructive.',
  });

const lockSchema = z
  .strictObject({
    loggedInUser: z
      .enum(['leave', 'logout'])
      .default('leave')
      .meta({
        title: 'When the locked user is logged in',
        description:
          '"leave": the lock is applied and the session kept; it takes effect at the next login (and screen unlock is not known to be blocked). "logout": the user sees a notice, and after the grace period the session is ended (launchctl bootout user/<uid>; unsaved work is lost).',
      }),
    logoutGraceSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(60)
      .meta({ title: 'Logout grace (seconds)', description: 'With "logout": seconds between the notice and the end of the session (0 to 3600, default 60). Notice text: notices.texts.lock-logout.' }),
  })
  .default({ loggedInUser: 'leave', logoutGraceSeconds: 60 })
  .meta({ title: 'Account locks', description: 'How a lock (untether lock, or the server\'s lock-account command) treats a user who is logged in. Destructive.' });

const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const scheduleSchema = z
  .strictObject({
    windows: z
      .array(
        z
          .strictObject({
            days: z.array(weekday).min(1).meta({ title: 'Days', description: 'Days of the week: mon, tue, wed, thu, fri, sat, sun.' }),
            start: hourMinute.meta({ title: 'Start', description: 'Local time the window opens, HH:MM.' }),
            end: hourMinute.meta({ title: 'End', description: 'Local time the window closes, HH:MM; earlier than start means the next day, equal to start means never.' }),
          })
          .meta({ title: 'Window', description: 'One weekly window.' }),
      )
      .default([])
      .meta({ title: 'Windows', description: 'When stages set to "schedule" may run. None means never.' }),
  })
  .default({ windows: [] })
  .meta({ title: 'Schedule', description: 'Weekly windows in the Mac\'s local time.' });

const loggingSchema = z
  .strictObject({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info').meta({ title: 'Level', description: 'Least severe level written to the log: error, warn, info (default) or debug.' }),
    maxFileSizeMB: z.number().int().min(1).max(100).default(10).meta({ title: 'File size (MB)', description: 'Size at which agent.log is rotated (1 to 100).' }),
    maxFiles: z.number().int().min(1).max(20).default(5).meta({ title: 'Files kept', description: 'How many log files are kept, the current one included (1 to 20).' }),
  })
  .default({ level: 'info', maxFileSizeMB: 10, maxFiles: 5 })
  .meta({ title: 'Logging', description: 'The agent log in /Library/Logs/Untether/agent.log.' });

/** The whole configuration. Keys are the top-level keys of the preference domain. */
export const agentConfigSchema = z
  .strictObject({
    server: serverSchema,
    inventory: inventorySchema,
    demobilize: demobilizeSchema,
    unbind: unbindSchema,
    loginWindow: loginWindowSchema,
    takeover: takeoverSchema,
    allowedCommands: allowedCommandsSchema,
    commandPolicy: commandPolicySchema,
    lock: lockSchema,
    notices: noticeTextsSchema,
    schedule: scheduleSchema,
    logging: loggingSchema,
  })
  .meta({
    title: `Untether agent (${CONFIG_DOMAIN})`,
    description: 'Settings of the Untether agent, which moves Macs off Active Directory. Every stage and every destructive server command is off unless turned on here.',
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type ConfigKey = keyof AgentConfig;

/** Top-level keys in the order admins read them. */
export const CONFIG_KEYS = Object.keys(agentConfigSchema.shape) as ConfigKey[];

/**
 * Keys that can change the Mac. When one is invalid it falls back to its default (off), and when the managed
 * file cannot be read these keys ignore the local file too: the profile may be the one that turns them off.
 */
export const DESTRUCTIVE_CONFIG_KEYS: ReadonlySet<ConfigKey> = new Set(['demobilize', 'unbind', 'loginWindow', 'takeover', 'allowedCommands', 'commandPolicy', 'lock']);

/** Dotted paths of values that are secrets: never logged, never printed, never sent. */
export const SECRET_CONFIG_PATHS: readonly string[] = ['server.enrollmentSecret'];

/** The configuration with no file at all: nothing runs, only the read-only rescan command is allowed. */
export const DEFAULT_AGENT_CONFIG: AgentConfig = agentConfigSchema.parse({});

/** The default value of one key. */
export function defaultOf<K extends ConfigKey>(key: K): AgentConfig[K] {
  return structuredClone(DEFAULT_AGENT_CONFIG[key]);
}
