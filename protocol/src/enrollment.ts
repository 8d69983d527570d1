// The HTTP enrollment exchange: the agent trades the enrollment secret (sent as a Bearer credential) for a
// per-device token. POST /api/v1/enroll.
import * as z from 'zod';
import { ShortString, Uuid } from './common.js';
import { DeviceIdentity } from './messages.js';

/** Body of POST /api/v1/enroll. */
export const EnrollRequest = z.strictObject({
  device: DeviceIdentity,
  hostname: ShortString,
  agentVersion: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

/** Answer to a successful enrollment. The token is shown once and stored hashed on the server. */
export const EnrollResponse = z.strictObject({
  deviceId: Uuid,
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected a base64url token of 32 bytes'),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

/** Header with the agent's current device token, proving it owns the record it re-enrolls (optional). */
export const DEVICE_TOKEN_HEADER = 'untether-device-token';
/** Header with the credential of a pending re-enrollment request, when the agent polls it. */
export const ENROLLMENT_REQUEST_HEADER = 'untether-enrollment-request';

/**
 * 202 answer: the hardware UUID is known and the agent could not prove possession of its token, so the request
 * waits for an admin. `request` is a credential (shown once, stored hashed) the agent polls with.
 */
export const EnrollPendingResponse = z.strictObject({
  status: z.literal('pending'),
  request: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected a base64url credential of 32 bytes'),
  retryAfterSeconds: z.number().int().min(1).max(86_400),
});
export type EnrollPendingResponse = z.infer<typeof EnrollPendingResponse>;
