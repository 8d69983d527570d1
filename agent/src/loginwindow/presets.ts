// Login window presets as pure functions: the running macOS's own default chain in, the chain a preset
// wants out. Every insertion is relative to a named anchor mechanism, never to a position, and a missing
// anchor is an error (XCreds #299 silently skipped its rights when anchors were missing; we refuse).
import * as z from 'zod';
import { UntetherError } from '../errors.js';
import { APPLE_LOGIN_UI, isMechanism, mechanismPlugin } from './chain.js';

/** The presets `untether loginwindow apply` knows, in the order help lists them. */
export const LOGIN_WINDOW_PRESETS = ['apple', 'demobilize', 'jamf-connect'] as const;

/** apple: the macOS default; demobilize: Apple's UI plus Jamf Connect's DeMobilize; jamf-connect: Jamf Connect's UI. */
export type LoginWindowPreset = (typeof LOGIN_WINDOW_PRESETS)[number];

export const loginWindowPresetSchema = z.enum(LOGIN_WINDOW_PRESETS);

/** Anchors: mechanisms every supported macOS default chain has (Ventura, Sonoma, Sequoia). */
export const ANCHORS = {
  /** Apple's login UI; Jamf Connect, XCreds and JumpCloud replace it with their own. */
  loginUi: APPLE_LOGIN_UI,
  /** Start of the login proper; authchanger's -preAuth inserts right before it. */
  loginBegin: 'builtin:login-begin',
  /** Last Apple mechanism; vendors append their post-login mechanisms after it. */
  done: 'loginwindow:done',
} as const;

/** Jamf Connect's plug-in name in mechanism strings. */
export const JAMF_CONNECT_PLUGIN = 'JamfConnectLogin';

/** Jamf Connect's login UI mechanism: its presence is what "Jamf Connect login window" means. */
export const JAMF_CONNECT_LOGIN_UI = 'JamfConnectLogin:LoginUI';

/** Jamf Connect's DeMobilize mechanism (converts a mobile account at login; gated by DemobilizeUsers). */
export const JAMF_CONNECT_DEMOBILIZE = 'JamfConnectLogin:DeMobilize,privileged';

/**
 * UNCONFIRMED: the chain Jamf Connect 2's closed-source `authchanger -reset -JamfConnect` writes is not
 * published (demobilization.md §3.2, macos-tools.md §4). This is the best-known reconstruction, used only
 * when authchanger is not installed: `loginwindow:login` is replaced by these, in this order (LoginUI is
 * confirmed by Jamf's own extension attributes; the rest follow open-source authchanger 2.1.0's OIDC set
 * under the JamfConnectLogin plug-in, and DeMobilize is "in the chain, gated by DemobilizeUsers")...
 */
export const JAMF_CONNECT_FRONT_MECHANISMS: readonly string[] = [
  JAMF_CONNECT_LOGIN_UI,
  'JamfConnectLogin:PowerControl,privileged',
  'JamfConnectLogin:CreateUser,privileged',
  JAMF_CONNECT_DEMOBILIZE,
];

/** ...and these follow `loginwindow:done` (authchanger 2.1.0's end mechanisms; UNCONFIRMED for Jamf Connect 2). */
export const JAMF_CONNECT_END_MECHANISMS: readonly string[] = [
  'JamfConnectLogin:EnableFDE,privileged',
  'JamfConnectLogin:SierraFixes,privileged',
  'JamfConnectLogin:KeychainAdd,privileged',
];

/** A preset needs a mechanism the base chain does not have: refuse rather than guess a position. */
export class ChainAnchorError extends UntetherError {
  readonly anchor: string;
  readonly preset: LoginWindowPreset;

  constructor(preset: LoginWindowPreset, anchor: string, chain: readonly string[]) {
    super(
      'E_LOGINWINDOW_ANCHOR_MISSING',
      `building the "${preset}" login chain: the anchor ${anchor} is not in the macOS default chain (${chain.length} mechanisms: ${chain.join(', ')}); nothing was changed, because inserting without the anchor would guess a position`,
    );
    this.name = 'ChainAnchorError';
    this.anchor = anchor;
    this.preset = preset;
  }
}

/** A base chain that is not a list of mechanisms (empty, or an entry without Plugin:Mechanism shape). */
export class InvalidChainError extends UntetherError {
  constructor(message: string) {
    super('E_LOGINWINDOW_INVALID_CHAIN', message);
    this.name = 'InvalidChainError';
  }
}

function requireAnchor(chain: readonly string[], anchor: string, preset: LoginWindowPreset): number {
  const index = chain.indexOf(anchor);
  if (index < 0) throw new ChainAnchorError(preset, anchor, chain);
  return index;
}

/** Insert mechanisms right before an anchor; mechanisms already in the chain are moved, never duplicated. */
export function insertBefore(chain: readonly string[], anchor: string, mechanisms: readonly string[], preset: LoginWindowPreset): string[] {
  const rest = chain.filter((mechanism) => !mechanisms.includes(mechanism));
  const index = requireAnchor(rest, anchor, preset);
  return [...rest.slice(0, index), ...mechanisms, ...rest.slice(index)];
}

/** Insert mechanisms right after an anchor; mechanisms already in the chain are moved, never duplicated. */
export function insertAfter(chain: readonly string[], anchor: string, mechanisms: readonly string[], preset: LoginWindowPreset): string[] {
  const rest = chain.filter((mechanism) => !mechanisms.includes(mechanism));
  const index = requireAnchor(rest, anchor, preset);
  return [...rest.slice(0, index + 1), ...mechanisms, ...rest.slice(index + 1)];
}

/** Replace an anchor with mechanisms (e.g. Apple's UI with a vendor's); the others are moved, never duplicated. */
export function replaceAnchor(chain: readonly string[], anchor: string, mechanisms: readonly string[], preset: LoginWindowPreset): string[] {
  const rest = chain.filter((mechanism) => !mechanisms.includes(mechanism));
  const index = requireAnchor(rest, anchor, preset);
  return [...rest.slice(0, index), ...mechanisms, ...rest.slice(index + 1)];
}

/**
 * The chain without any Jamf Connect mechanism, Apple's UI put back where Jamf Connect's UI was. Presets
 * start from this, so applying a preset to its own result (or to another preset's) gives the same chain.
 */
export function withoutJamfConnect(chain: readonly string[]): string[] {
  const result: string[] = [];
  const hasAppleUi = chain.includes(ANCHORS.loginUi);
  for (const mechanism of chain) {
    if (mechanism === JAMF_CONNECT_LOGIN_UI && !hasAppleUi && !result.includes(ANCHORS.loginUi)) result.push(ANCHORS.loginUi);
    else if (mechanismPlugin(mechanism) !== JAMF_CONNECT_PLUGIN) result.push(mechanism);
  }
  return result;
}

function checkBase(chain: readonly string[]): void {
  if (chain.length === 0) throw new InvalidChainError('building a login chain: the macOS default chain is empty');
  const odd = chain.find((mechanism) => !isMechanism(mechanism));
  if (odd !== undefined) throw new InvalidChainError(`building a login chain: "${odd}" in the base chain is not Plugin:Mechanism[,privileged]`);
}

/**
 * The chain a preset wants, built from the running macOS's default chain (authorization.plist).
 * - apple: the default, exactly.
 * - demobilize: Jamf Connect's DeMobilize right before builtin:login-begin, Apple's UI kept; the
 *   equivalent of `authchanger -reset -preAuth JamfConnectLogin:DeMobilize,privileged`, but on Apple's
 *   real default order (authchanger's own -reset list swaps prelogin and policy-banner).
 * - jamf-connect: the best-known Jamf Connect 2 chain (UNCONFIRMED, see JAMF_CONNECT_FRONT_MECHANISMS);
 *   when authchanger is installed the executor lets it write its own list instead.
 * Throws ChainAnchorError naming the anchor when the default lacks one.
 */
export function presetChain(osDefault: readonly string[], preset: LoginWindowPreset): string[] {
  checkBase(osDefault);
  const base = withoutJamfConnect(osDefault);
  switch (preset) {
    case 'apple':
      return base;
    case 'demobilize':
      requireAnchor(base, ANCHORS.loginUi, preset);
      return insertBefore(base, ANCHORS.loginBegin, [JAMF_CONNECT_DEMOBILIZE], preset);
    case 'jamf-connect': {
      requireAnchor(base, ANCHORS.loginBegin, preset);
      const front = replaceAnchor(base, ANCHORS.loginUi, JAMF_CONNECT_FRONT_MECHANISMS, preset);
      return insertAfter(front, ANCHORS.done, JAMF_CONNECT_END_MECHANISMS, preset);
    }
    default: {
      const unreachable: never = preset;
      throw new TypeError(`login window preset: unknown preset ${String(unreachable)}`);
    }
  }
}

/** One line per preset for help and errors. */
export const PRESET_DESCRIPTIONS: Readonly<Record<LoginWindowPreset, string>> = {
  apple: "the macOS default chain, exactly as this macOS's authorization.plist defines it",
  demobilize: "Apple's login window with Jamf Connect's DeMobilize before login (authchanger -reset -preAuth JamfConnectLogin:DeMobilize,privileged)",
  'jamf-connect': "Jamf Connect's login window (authchanger -reset -JamfConnect)",
};
