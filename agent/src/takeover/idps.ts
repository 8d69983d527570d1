// Jamf Connect's identity providers, on their own: the configuration schema names them, and loading the
// takeover planner (directory, sessions, matching) for that would weigh on the idle daemon.
import * as z from 'zod';

/**
 * Values of Jamf Connect's OIDCProvider attribute, one per identity provider (its OIDCProvider preference
 * names). UNCONFIRMED beyond Azure and Okta, which Jamf's scripts show; check a migrated account on a Mac
 * with `dscl . -read /Users/<name> OIDCProvider` before a fleet run.
 */
export const JAMF_CONNECT_IDPS = ['Azure', 'Okta', 'OneLogin', 'GoogleID', 'Custom'] as const;

export type JamfConnectIdp = (typeof JAMF_CONNECT_IDPS)[number];

export const jamfConnectIdpSchema = z.enum(JAMF_CONNECT_IDPS);
