// The scenarios a simulated Mac can start from: which users, groups, binding, FileVault, console, profiles
// and files it has. Pure data: `buildScenario` returns what harness.ts writes under the root.
import { authorizationDefaultsPlist, initialAuthDb } from './authdb.js';
import type { PlistDict } from './plist.js';
import type { AdBinding, CryptoUser, MacState, SearchNode } from './state-schema.js';
import { systemGroupRecords, systemUserRecords } from './system-accounts.js';
import {
  DOMAIN,
  DOMAIN_USERS_GID,
  NETBIOS,
  NODE_ALL_DOMAINS,
  NODE_DOMAIN,
  SHADOW_HASH_HEAD,
  dotAccount,
  localUser,
  mobileUser,
  seededPassword,
  stableUuid,
  type LocalUserSpec,
  type MobileUserSpec,
} from './user-records.js';

export { DOMAIN_USERS_GID, seededPassword, stableUuid };
import type { DirRecord } from './store.js';

export const SCENARIOS = ['local-only', 'ad-bound', 'ad-bound-fv-autologin', 'fleet'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  scenario: ScenarioName;
  /** ad-bound*: extra generated mobile users besides the named ones; fleet: the number of mobile users (default 5). */
  mobileUsers?: number;
  /** Extra generated local users (luser001, ...). */
  localUsers?: number;
  /** macOS version (default 14.6.1). 13.x has the Ventura login chain. */
  os?: string;
  /** Build number, required for versions not in KNOWN_BUILDS. */
  build?: string;
  /** Install /usr/local/bin/authchanger. */
  authchanger?: boolean;
  /** Install jamf and jamfHelper (default: on for the AD scenarios, off for local-only). */
  jamf?: boolean;
  /** CPU architecture (default arm64, Apple silicon). */
  architecture?: 'arm64' | 'x86_64';
  /** launchd starts jobs as real child processes (default: bookkeeping only). */
  launchdRunsJobs?: boolean;
}

/** Build numbers of the versions the scenarios know. */
export const KNOWN_BUILDS: Readonly<Record<string, string>> = {
  '13.4.1': '22F82',
  '13.6.7': '22G720',
  '14.0': '23A344',
  '14.6.1': '23G93',
  '15.1': '24B83',
  '15.3.1': '24D70',
};

export const DEFAULT_OS = '14.6.1';

/** Everything a scenario puts on the Mac. Mac paths are absolute macOS paths (applied under the root). */
export interface BuiltScenario {
  users: DirRecord[];
  groups: DirRecord[];
  state: MacState;
  authDb: PlistDict;
  authorizationDefaults: PlistDict;
  loginwindowPreferences: PlistDict;
  /** Home folders to create, with the files inside them (relative path → content). */
  homes: Array<{ path: string; files: Record<string, string> }>;
  tools: { authchanger: boolean; jamf: boolean };
}

/** The named mobile users of the ad-bound scenarios. jdoe is identical to test/fixtures/macos-14/dscl-plist-read-mobile-jdoe.txt. */
const NAMED_MOBILE_USERS: readonly MobileUserSpec[] = [
  {
    name: 'jdoe',
    first: 'John',
    last: 'Doe',
    realName: 'John Doe',
    uid: 1104562915,
    guid: '9A1F2D0C-B782-488A-80BA-CAC95AB6CAE9',
    rid: 1104,
    secureToken: true,
    node: NODE_DOMAIN,
    overrides: {
      account_instance: ['9B4E1F7C-2D3A-4C5B-8E6F-0A1B2C3D4E5F'],
      cached_groups: ['5B2C8D34-1A7E-4F6B-9C0D-2E3F4A5B6C7D', '8E9F0A1B-2C3D-4E5F-6A7B-8C9D0E1F2A3B'],
      ShadowHashData: [new Uint8Array(Buffer.from(SHADOW_HASH_HEAD, 'hex'))],
    },
  },
  { name: 'zobrien', first: 'Zoë', last: "O'Brien", realName: "Zoë O'Brien", uid: 1853244162, guid: '4E0C6F1A-93B2-4D57-A8E1-5B7C2D9F0A34', rid: 1107, secureToken: true, node: NODE_ALL_DOMAINS, department: 'IT' },
  { name: 'mchen', first: 'Mei', last: 'Chen', realName: 'Mei Chen', uid: 1283945721, guid: '7D3E9B2C-1F48-4A6D-B0C5-9E2F1A8D6C43', rid: 1112, secureToken: false, node: NODE_ALL_DOMAINS, department: 'Finance' },
  { name: 'psmith', first: 'Priya', last: 'Smith', realName: 'Priya Smith', uid: 1699021344, guid: 'C2A84F6E-5B1D-47C9-8E3A-0D6F4B2E9A17', rid: 1119, secureToken: true, node: NODE_ALL_DOMAINS, department: 'Sales' },
];

const LOCAL_ADMIN: LocalUserSpec = { name: 'localadmin', uid: 501, realName: 'Local Admin', guid: 'C4713E84-50C7-419E-ABC4-766DFE170F56', secureToken: true, hidden: true };
const LOCAL_STANDARD: LocalUserSpec = { name: 'alex', uid: 502, realName: 'Alex Rivera', guid: '6B1F0E2D-7C3A-4E59-9D84-2A5C8F1B3E60', secureToken: true, picture: '/Library/User Pictures/Flowers/Sunflower.heic' };

function generatedMobileUser(index: number): MobileUserSpec {
  const number = String(index).padStart(3, '0');
  return {
    name: `aduser${number}`,
    first: 'AD',
    last: `User ${number}`,
    realName: `AD User ${number}`,
    uid: 1_900_000_000 + index * 7919,
    guid: stableUuid(`mobile:${index}`),
    rid: 2000 + index,
    secureToken: true,
    node: NODE_ALL_DOMAINS,
  };
}

function generatedLocalUser(index: number): LocalUserSpec {
  const number = String(index).padStart(3, '0');
  return { name: `luser${number}`, uid: 510 + index, realName: `Local User ${number}`, guid: stableUuid(`local:${index}`), secureToken: true };
}

function searchNode(adNode: string | undefined): SearchNode {
  const base = ['/Local/Default', '/BSD/local'];
  return {
    searchPolicy: adNode ? 'dsAttrTypeStandard:CSPSearchPath' : 'dsAttrTypeStandard:NSPSearchPath',
    cspSearchPath: adNode ? [...base, adNode] : [...base],
    nspSearchPath: [...base],
    lspSearchPath: [...base],
  };
}

function adBinding(): AdBinding {
  return {
    forest: DOMAIN,
    domain: DOMAIN,
    netbiosName: NETBIOS,
    computerAccount: 'MAC-0001$',
    nodeName: NODE_ALL_DOMAINS,
    domainReachable: true,
    options: {
      createMobileAccount: true,
      requireConfirmation: false,
      forceLocalHome: true,
      mountHomeAsSharepoint: true,
      useWindowsUncPath: false,
      networkProtocol: 'smb',
      defaultUserShell: '/bin/bash',
      mapUidAttribute: null,
      mapUserGidAttribute: null,
      mapGroupGidAttribute: null,
      generateKerberosAuthority: true,
      preferredDomainController: null,
      allowedAdminGroups: [`${NETBIOS}\\Domain Admins`, `${NETBIOS}\\Mac Admins`],
      authenticationFromAnyDomain: true,
      packetSigning: 'allow',
      packetEncryption: 'allow',
      passwordChangeInterval: 14,
      restrictDynamicDnsUpdates: null,
      namespaceMode: 'domain',
    },
  };
}

function osVersion(options: ScenarioOptions): MacState['os'] {
  const productVersion = options.os ?? DEFAULT_OS;
  const buildVersion = options.build ?? KNOWN_BUILDS[productVersion];
  if (buildVersion === undefined) {
    throw new Error(`building a simulated Mac: no known build for macOS ${productVersion}; pass a build (--build) too`);
  }
  return { productName: 'macOS', productVersion, buildVersion };
}

function cryptoUser(guid: string, volumeOwner = false): CryptoUser {
  return { uuid: guid, type: 'Local Open Directory User', volumeOwner };
}

/** Build the data of a scenario. */
export function buildScenario(options: ScenarioOptions): BuiltScenario {
  const scenario = options.scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`building a simulated Mac: unknown scenario "${scenario}" (known: ${SCENARIOS.join(', ')})`);
  const os = osVersion(options);
  const bound = scenario !== 'local-only';
  const localSpecs: LocalUserSpec[] = [LOCAL_ADMIN];
  if (scenario === 'local-only') localSpecs.push(LOCAL_STANDARD);
  for (let index = 1; index <= (options.localUsers ?? 0); index += 1) localSpecs.push(generatedLocalUser(index));

  const mobileSpecs: MobileUserSpec[] = [];
  if (scenario === 'ad-bound' || scenario === 'ad-bound-fv-autologin') mobileSpecs.push(...NAMED_MOBILE_USERS);
  const generated = scenario === 'fleet' ? (options.mobileUsers ?? 5) : (options.mobileUsers ?? 0);
  for (let index = 1; index <= generated; index += 1) mobileSpecs.push(generatedMobileUser(index));

  const admins = [{ name: LOCAL_ADMIN.name, guid: LOCAL_ADMIN.guid }];
  const adminMobile = mobileSpecs.find((spec) => spec.name === 'zobrien');
  if (adminMobile) admins.push({ name: adminMobile.name, guid: adminMobile.guid });

  const users = [...systemUserRecords(), ...localSpecs.map(localUser), ...mobileSpecs.map(mobileUser)];
  const groups = systemGroupRecords(admins);

  const consoleUser = scenario === 'local-only' ? LOCAL_STANDARD.name : (mobileSpecs[0]?.name ?? LOCAL_ADMIN.name);
  const tokenHolders = [...localSpecs, ...mobileSpecs].filter((spec) => spec.secureToken);
  const fileVaultUsers =
    scenario === 'fleet'
      ? [cryptoUser(LOCAL_ADMIN.guid, true)]
      : tokenHolders.filter((spec) => !spec.name.startsWith('aduser') && !spec.name.startsWith('luser')).map((spec) => cryptoUser(spec.guid, spec === LOCAL_ADMIN));

  const binding = bound ? adBinding() : null;
  const jamf = options.jamf ?? bound;
  const passwords: Record<string, string> = {};
  for (const spec of [...localSpecs, ...mobileSpecs]) passwords[spec.name] = seededPassword(spec.name);

  const state: MacState = {
    schema: 1,
    os,
    hardware: { model: 'Mac14,2', platformUuid: '5C4B8F5E-2A41-4D7B-9B64-1F0A6C3E9D27', serialNumber: 'FVFHX1PQQ6L4' },
    adBinding: binding,
    unbindCleansSearchPolicy: false,
    searchPolicy: { search: searchNode(binding?.nodeName), contacts: searchNode(binding?.nodeName) },
    fileVault: {
      status: 'On',
      statusLines: [],
      volume: 'disk3s5',
      cryptoUsers: [
        ...fileVaultUsers,
        { uuid: stableUuid('personal-recovery'), type: 'Personal Recovery User', volumeOwner: false },
        { uuid: stableUuid('bootstrap-token'), type: 'MDM Bootstrap Token External Key', volumeOwner: false },
      ],
    },
    console: {
      mode: 'user',
      user: consoleUser,
      nameAlias: null,
      otherSessions: [],
      sessionId: 257,
      auditSessionId: 100008,
      setupSessionUuid: 'A687B0DB-2F21-4E99-90A9-620DEA1FE285',
    },
    logins: [],
    userProcesses: [],
    profiles: {
      computer: bound ? ['com.example.mdm', 'com.example.loginwindow', 'com.example.filevault.escrow'] : ['com.example.mdm'],
      users: scenario === 'ad-bound' || scenario === 'ad-bound-fv-autologin' ? { psmith: ['com.example.user.wifi'] } : {},
    },
    mdm: { enrolledViaDep: !bound, enrollment: 'Yes (User Approved)', serverUrl: 'https://mdm.example.com/mdm/ServerURL' },
    launchd: { jobs: [], disabled: [], bootstrapRaces: 0, runJobs: options.launchdRunsJobs ?? false },
    architecture: options.architecture ?? 'arm64',
    opendirectoryd: { pid: 120, restarts: 0, restartWindowMs: 300, restartFailCalls: 0, restartingUntil: 0, failCallsLeft: 0 },
    processes: jamf ? ['jamf'] : [],
    packages: [
      'com.apple.pkg.XProtectPayloads_10_15.16U4397',
      ...(jamf ? ['com.jamfsoftware.osxenrollment'] : []),
      ...(options.authchanger ? ['com.jamf.connect'] : []),
    ],
    jamf: jamf ? { url: 'https://jamf.example.com:8443/', computerId: 42 } : null,
    passwords,
  };

  const loginwindowPreferences: PlistDict = { lastUser: 'loggedIn', lastUserName: consoleUser };
  if (scenario === 'ad-bound' || scenario === 'fleet') loginwindowPreferences.DisableFDEAutoLogin = true;

  const homes = [
    ...localSpecs.map((spec) => ({ path: `/Users/${spec.name}`, files: {} })),
    ...mobileSpecs.map((spec) => ({ path: `/Users/${spec.name}`, files: { '.account': dotAccount(spec.name, spec.node, spec.guid) } })),
  ];

  return {
    users,
    groups,
    state,
    authDb: initialAuthDb(os.productVersion),
    authorizationDefaults: authorizationDefaultsPlist(os.productVersion),
    loginwindowPreferences,
    homes,
    tools: { authchanger: options.authchanger ?? false, jamf },
  };
}

/** A one-paragraph description of what a scenario seeds (the CLI prints it after `create`). */
export function describeScenario(built: BuiltScenario): string {
  const names = (records: DirRecord[], predicate: (record: DirRecord) => boolean): string =>
    records
      .filter(predicate)
      .map((record) => `${String(record.name?.[0])}(${String(record.uid?.[0])})`)
      .join(' ');
  const isMobile = (record: DirRecord): boolean => record.original_node_name !== undefined;
  const isLocal = (record: DirRecord): boolean => !isMobile(record) && Number(record.uid?.[0]) >= 500;
  const console = built.state.console.user ?? built.state.console.mode;
  return [
    `macOS ${built.state.os.productVersion} (${built.state.os.buildVersion}), ${built.state.adBinding ? `bound to ${built.state.adBinding.domain}` : 'not bound'}`,
    `local users: ${names(built.users, isLocal)}`,
    `mobile users: ${names(built.users, isMobile) || 'none'}`,
    `console user: ${console}; FileVault ${built.state.fileVault.status}; DisableFDEAutoLogin ${built.loginwindowPreferences.DisableFDEAutoLogin === true ? 'true' : 'absent'}`,
    `tools: authchanger ${built.tools.authchanger ? 'installed' : 'absent'}, jamf ${built.tools.jamf ? 'installed' : 'absent'}`,
  ].join('\n');
}

