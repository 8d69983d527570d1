// The login window chain (system.login.console "mechanisms") as data. Pure: no I/O.
import * as z from 'zod';
import type { LoginWindowKind } from '../inventory/model.js';

/** A mechanism is "Plugin:Mechanism" with an optional ",privileged" (Elliot Jordan's validation pattern). */
export const MECHANISM_PATTERN = /^[^,:\s]+:[^,:\s]+(,privileged)?$/;

/** Whether a string has the shape of a login mechanism. */
export function isMechanism(value: string): boolean {
  return MECHANISM_PATTERN.test(value);
}

/** The plugin part of a mechanism, e.g. "JamfConnectLogin" of "JamfConnectLogin:LoginUI". */
export function mechanismPlugin(mechanism: string): string {
  return mechanism.split(':', 1)[0] ?? mechanism;
}

// Each identity provider replaces Apple's UI mechanism with its own; that replacement tells them apart.
const UI_MECHANISMS: ReadonlyArray<[string, LoginWindowKind]> = [
  ['JamfConnectLogin:LoginUI', 'jamf-connect'],
  ['XCredsLoginPlugin:LoginWindow', 'xcreds'],
  ['jumpcloud-loginwindow:invoke', 'jumpcloud'],
  ['NoMADLoginAD:Login', 'nomad-login'],
];

export const APPLE_LOGIN_UI = 'loginwindow:login';

/** Which login window a chain shows: the IdP whose UI mechanism is present, Apple's, or "other". */
export function classifyLoginWindow(mechanisms: readonly string[]): LoginWindowKind {
  for (const [mechanism, kind] of UI_MECHANISMS) {
    if (mechanisms.includes(mechanism)) return kind;
  }
  return mechanisms.includes(APPLE_LOGIN_UI) ? 'apple' : 'other';
}

/** Whether a DeMobilize mechanism (Jamf Connect's or NoMAD Login's) is in the chain. */
export function hasDemobilizeMechanism(mechanisms: readonly string[]): boolean {
  return mechanisms.some((mechanism) => /:DeMobilize(,privileged)?$/.test(mechanism));
}

/** Whether two chains are the same list in the same order. */
export function sameChain(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((mechanism, index) => mechanism === b[index]);
}

const defaultRightsSchema = z.object({
  rights: z.record(z.string(), z.looseObject({ mechanisms: z.array(z.string()).optional() })),
});

/**
 * The default mechanisms of a right from the OS's own /System/Library/Security/authorization.plist
 * (top-level "rights" dictionary). Throws with the reason when the file does not have that shape.
 */
export function defaultMechanismsFrom(rawAuthorizationPlist: unknown, right: string): string[] {
  const parsed = defaultRightsSchema.safeParse(rawAuthorizationPlist);
  if (!parsed.success) throw new Error(`authorization.plist has no "rights" dictionary of rights`);
  const mechanisms = parsed.data.rights[right]?.mechanisms;
  if (!mechanisms) throw new Error(`authorization.plist has no mechanisms for ${right}`);
  return mechanisms;
}
