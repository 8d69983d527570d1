// The HTTP enrollment exchange: the agent trades the enrollment secret (sent as a Bearer credential) for a
// per-device token. POST /api/v1/enroll.
import { z } from 'zod';
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
