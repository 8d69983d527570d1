// The shape of <root>/.macsim/state.json: every piece of simulated machine state that is not a directory
// record or a real file. The harness (API and CLI) validates with this schema on every read and write; the
// fake tools import only the inferred types (type imports are erased), because loading zod costs ~40-90 ms
// per process and a fake call must stay well under 100 ms. Fakes only write state they read, through
// store.updateState, so the file stays valid between harness validations.
import * as z from 'zod';

/** One of the two search nodes (/Search and /Search/Contacts) as `dscl /Search -read /` shows it. */
export const SearchNodeSchema = z.object({
  /** `dsAttrTypeStandard:CSPSearchPath` (custom), `...:NSPSearchPath` (automatic) or `...:LSPSearchPath` (local only). */
  searchPolicy: z.string(),
  cspSearchPath: z.array(z.string()),
  nspSearchPath: z.array(z.string()),
  lspSearchPath: z.array(z.string()),
});

/** The values `dsconfigad -show` prints; one field per line of its output. */
export const AdOptionsSchema = z.object({
  createMobileAccount: z.boolean(),
  requireConfirmation: z.boolean(),
  forceLocalHome: z.boolean(),
  mountHomeAsSharepoint: z.boolean(),
  useWindowsUncPath: z.boolean(),
  networkProtocol: z.string(),
  defaultUserShell: z.string(),
  mapUidAttribute: z.string().nullable(),
  mapUserGidAttribute: z.string().nullable(),
  mapGroupGidAttribute: z.string().nullable(),
  generateKerberosAuthority: z.boolean(),
  preferredDomainController: z.string().nullable(),
  allowedAdminGroups: z.array(z.string()),
  authenticationFromAnyDomain: z.boolean(),
  packetSigning: z.string(),
  packetEncryption: z.string(),
  passwordChangeInterval: z.number().int(),
  restrictDynamicDnsUpdates: z.string().nullable(),
  namespaceMode: z.string(),
});

export const AdBindingSchema = z.object({
  forest: z.string(),
  domain: z.string(),
  netbiosName: z.string(),
  /** Ends with "$", e.g. "MAC-0001$". */
  computerAccount: z.string(),
  /** The directory node the Mac searches, e.g. "/Active Directory/CORP/All Domains". */
  nodeName: z.string(),
  /** Whether a domain controller answers; `dsconfigad -remove` without -force needs one. */
  domainReachable: z.boolean(),
  options: AdOptionsSchema,
});

export const CryptoUserTypeSchema = z.enum([
  'Local Open Directory User',
  'Personal Recovery User',
  'Institutional Recovery User',
  'iCloud Recovery User',
  'MDM Bootstrap Token External Key',
]);

export const CryptoUserSchema = z.object({
  /** For Local Open Directory Users: the user's GeneratedUID. */
  uuid: z.string(),
  type: CryptoUserTypeSchema,
  volumeOwner: z.boolean(),
});

/**
 * Who sits at the console. `user`: a logged-in user (scutil shows Name = nameAlias ?? user). `loginwindow`:
 * after a logout. `setup`: fresh Mac before the first login (no Name key). `jamf-connect`: the Jamf Connect
 * login window (empty Name, /dev/console owned by root).
 */
export const ConsoleSchema = z.object({
  mode: z.enum(['user', 'loginwindow', 'setup', 'jamf-connect']),
  user: z.string().nullable(),
  nameAlias: z.string().nullable(),
  /** Users with a background (fast-user-switching) session; listed in SessionInfo with OnConsole FALSE. */
  otherSessions: z.array(z.string()),
  sessionId: z.number().int(),
  auditSessionId: z.number().int(),
  setupSessionUuid: z.string(),
});

/** A utmpx login that is not a GUI session: a Terminal window (host null) or an SSH login (host set). */
export const LoginSessionSchema = z.object({
  user: z.string(),
  /** The terminal line `who` prints, e.g. "ttys000". */
  line: z.string(),
  host: z.string().nullable(),
});

/** Processes a user runs outside any session (left running after a logout, a launchd agent): `ps` shows them. */
export const UserProcessesSchema = z.object({
  user: z.string(),
  count: z.number().int().positive(),
});

export const LaunchdJobSchema = z.object({
  label: z.string(),
  /** "system" or "gui/<uid>". */
  domain: z.string(),
  plistPath: z.string(),
  program: z.array(z.string()),
  pid: z.number().int(),
  /** A real child process runs for this job (launchd.runJobs); its pid is `pid`. */
  running: z.boolean().optional(),
});

export const MacStateSchema = z.object({
  schema: z.literal(1),
  os: z.object({ productName: z.string(), productVersion: z.string(), buildVersion: z.string() }),
  hardware: z.object({ model: z.string(), platformUuid: z.string(), serialNumber: z.string() }),
  adBinding: AdBindingSchema.nullable(),
  /** Whether `dsconfigad -remove` also drops the AD node from both search paths (unconfirmed on real macOS). */
  unbindCleansSearchPolicy: z.boolean(),
  searchPolicy: z.object({ search: SearchNodeSchema, contacts: SearchNodeSchema }),
  fileVault: z.object({
    status: z.enum(['On', 'Off']),
    /** Lines `fdesetup status` prints after the first one, verbatim (e.g. "Encryption in progress: Pending"). */
    statusLines: z.array(z.string()),
    /** The data volume diskutil names, e.g. "disk3s5". */
    volume: z.string(),
    cryptoUsers: z.array(CryptoUserSchema),
  }),
  console: ConsoleSchema,
  /** Terminal and SSH logins (utmpx), besides the GUI sessions in `console`. */
  logins: z.array(LoginSessionSchema).default([]),
  /** Processes users run outside any session. */
  userProcesses: z.array(UserProcessesSchema).default([]),
  profiles: z.object({
    computer: z.array(z.string()),
    users: z.record(z.string(), z.array(z.string())),
  }),
  mdm: z.object({
    enrolledViaDep: z.boolean(),
    enrollment: z.enum(['No', 'Yes', 'Yes (User Approved)']),
    serverUrl: z.string().nullable(),
  }),
  launchd: z.object({
    jobs: z.array(LaunchdJobSchema),
    /** "<domain>/<label>" of disabled services. */
    disabled: z.array(z.string()),
    /** Fault knob: this many next bootstraps load the job but still fail with "Bootstrap failed: 5" (Sonoma race). */
    bootstrapRaces: z.number().int().nonnegative(),
    /**
     * Start a bootstrapped (RunAtLoad) or kickstarted job's ProgramArguments as a real child process, and stop it at
     * bootout. Off by default: jobs are bookkeeping only. The host's node stands in for a Mach-O program.
     */
    runJobs: z.boolean().default(false),
  }),
  /** What `sysctl hw.optional.arm64` and Installer's system.sysctl() answer from. */
  architecture: z.enum(['arm64', 'x86_64']).default('arm64'),
  opendirectoryd: z.object({
    pid: z.number().int(),
    restarts: z.number().int().nonnegative(),
    /** After `killall opendirectoryd`, dscl fails for this long ... */
    restartWindowMs: z.number().int().nonnegative(),
    /** ... and for this many dscl calls (run as root), whichever lasts longer. */
    restartFailCalls: z.number().int().nonnegative(),
    restartingUntil: z.number(),
    failCallsLeft: z.number().int().nonnegative(),
  }),
  /** Process names `killall` finds besides the built-in ones (opendirectoryd, loginwindow, cfprefsd, ...). */
  processes: z.array(z.string()),
  /** Package receipts `pkgutil --pkgs` lists and `--forget` removes. */
  packages: z.array(z.string()),
  jamf: z.object({ url: z.string(), computerId: z.number().int() }).nullable(),
  /** Cleartext passwords of the simulated users, for `dscl . -authonly` (simulation only). */
  passwords: z.record(z.string(), z.string()),
});

export type MacState = z.infer<typeof MacStateSchema>;
export type SearchNode = z.infer<typeof SearchNodeSchema>;
export type AdBinding = z.infer<typeof AdBindingSchema>;
export type CryptoUser = z.infer<typeof CryptoUserSchema>;
export type ConsoleState = z.infer<typeof ConsoleSchema>;
export type LaunchdJob = z.infer<typeof LaunchdJobSchema>;
export type LoginSession = z.infer<typeof LoginSessionSchema>;

/** Parse a raw state.json value; throws a readable error naming the bad field. */
export function parseMacState(raw: unknown, where: string): MacState {
  const result = MacStateSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`reading simulated Mac state ${where}: ${issues}`);
  }
  return result.data;
}
