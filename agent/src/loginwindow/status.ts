// The login window as it is now, read-only and usable by any user: the chain, what it shows, whether it
// is the macOS default, the preset the agent was asked to keep and whether the chain drifted from it.
import { errorMessage } from '../errors.js';
import { readDefaultLoginChain } from '../inventory/collect.js';
import type { LoginWindowKind } from '../inventory/model.js';
import * as authchanger from '../system/authchanger.js';
import { isPluginInstalled } from '../system/authplugins.js';
import { LOGIN_CONSOLE_RIGHT, readAuthorizationRight, type AuthorizationRight } from '../system/security.js';
import { classifyLoginWindow, hasDemobilizeMechanism, sameChain } from './chain.js';
import { detectDrift, thirdPartyPlugins, type DriftState } from './compare.js';
import { readDesired, type DesiredLoginWindow } from './state.js';

/** The drift of the chain, or why it cannot be told. */
export type DriftReport =
  | { state: DriftState; preset: DesiredLoginWindow['preset'] }
  | { state: 'not-managed' }
  | { state: 'unknown'; reason: string };

/** What `untether loginwindow print` shows (and --json prints). */
export interface LoginWindowStatus {
  right: string;
  /** The right as read; kept whole so apply can write back every other key unchanged. */
  definition: AuthorizationRight;
  mechanisms: string[];
  kind: LoginWindowKind;
  demobilizeMechanism: boolean;
  /** The running macOS's default chain (authorization.plist), or null when it could not be read. */
  osDefault: string[] | null;
  osDefaultError?: string;
  isOsDefault: boolean | null;
  /** The preset last applied by the agent; null when none; unreadable as non-root (the file is root-only). */
  desired: { state: 'recorded'; value: DesiredLoginWindow } | { state: 'none' } | { state: 'unreadable'; reason: string };
  drift: DriftReport;
  authchangerInstalled: boolean;
  /** Third-party plug-ins the chain loads that are not installed: logins fail while any is listed. */
  missingPlugins: string[];
}

/** Drift from what was read; never throws (a default without anchors is reported as unknown). */
export function driftOf(desired: LoginWindowStatus['desired'], current: readonly string[], osDefault: readonly string[] | null): DriftReport {
  if (desired.state === 'none') return { state: 'not-managed' };
  if (desired.state === 'unreadable') return { state: 'unknown', reason: `the desired preset is unreadable: ${desired.reason}` };
  if (osDefault === null) return { state: 'unknown', reason: 'the macOS default chain could not be read' };
  try {
    return { state: detectDrift(desired.value.preset, current, osDefault), preset: desired.value.preset };
  } catch (error) {
    return { state: 'unknown', reason: errorMessage(error) };
  }
}

/** Read the login window's state. The chain itself must be readable; every other fact may be missing. */
export async function readLoginWindowStatus(): Promise<LoginWindowStatus> {
  const [definition, osDefault, desired, authchangerInstalled] = await Promise.all([
    readAuthorizationRight(LOGIN_CONSOLE_RIGHT),
    readDefaultLoginChain().then(
      (chain) => ({ ok: true as const, chain }),
      (error: unknown) => ({ ok: false as const, reason: errorMessage(error) }),
    ),
    readDesired().then(
      (value): LoginWindowStatus['desired'] => (value === undefined ? { state: 'none' } : { state: 'recorded', value }),
      (error: unknown): LoginWindowStatus['desired'] => ({ state: 'unreadable', reason: errorMessage(error) }),
    ),
    authchanger.isInstalled(),
  ]);
  const mechanisms = [...(definition.mechanisms ?? [])];
  const status: LoginWindowStatus = {
    right: LOGIN_CONSOLE_RIGHT,
    definition,
    mechanisms,
    kind: classifyLoginWindow(mechanisms),
    demobilizeMechanism: hasDemobilizeMechanism(mechanisms),
    osDefault: osDefault.ok ? osDefault.chain : null,
    isOsDefault: osDefault.ok ? sameChain(mechanisms, osDefault.chain) : null,
    desired,
    drift: driftOf(desired, mechanisms, osDefault.ok ? osDefault.chain : null),
    authchangerInstalled,
    missingPlugins: [],
  };
  if (osDefault.ok) {
    for (const plugin of thirdPartyPlugins(mechanisms, osDefault.chain)) if (!(await isPluginInstalled(plugin))) status.missingPlugins.push(plugin);
  }
  if (!osDefault.ok) status.osDefaultError = osDefault.reason;
  return status;
}
