// POST /api/v1/enroll: trade the enrollment secret for a device token. The secret alone enrolls only *new*
// hardware UUIDs (within the secret's maxDevices). A known hardware UUID gets a new token only when the agent
// presents the device's current token, or polls a re-enrollment request an admin approved; otherwise it gets a
// pending request (202) and nothing else, so the fleet secret cannot take over a Mac.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'winston';
import { DEVICE_TOKEN_HEADER, ENROLLMENT_REQUEST_HEADER, EnrollRequest, type EnrollPendingResponse } from '../../../protocol/src/index.js';
import { bearerToken, generateToken, hashToken } from '../auth/secrets.js';
import { FailureThrottle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { HttpError, readJsonBody, sendJson } from './http.js';

/** Unapproved re-enrollment requests one device may have at once (bounds what a secret holder can pile up). */
export const MAX_PENDING_REENROLLMENTS_PER_DEVICE = 5;
/** How long an agent with a pending request waits before polling again. */
const PENDING_RETRY_AFTER_SECONDS = 60;

const CREDENTIAL = /^[A-Za-z0-9_-]{43}$/;

/** An optional credential header: absent, or exactly one well-formed value. */
function credentialHeader(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !CREDENTIAL.test(value)) throw new HttpError(400, 'E_BAD_MESSAGE', `${name} must be one base64url credential of 32 bytes`);
  return value;
}

/** Build the enroll handler. */
export function enrollHandler(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The client's address (X-Forwarded-For only from trusted proxies). */
  clientAddress: (request: IncomingMessage) => string;
}): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { store, clock, logger, clientAddress } = deps;
  // 20 refused enrollment secrets from one address in 10 minutes block that address for the rest of the window.
  const enrollFailures = new FailureThrottle(20, 10 * 60_000);
  return async (request, response) => {
    const secret = bearerToken(request.headers.authorization);
    if (secret === undefined) throw new HttpError(401, 'E_ENROLL_SECRET_INVALID', 'send the enrollment secret as a Bearer credential');
    const address = clientAddress(request);
    const now = clock.now();
    if (enrollFailures.isBlocked(address, now.getTime())) throw new HttpError(429, 'E_RATE_LIMITED', 'too many refused enrollments from this address');
    const presentedToken = credentialHeader(request, DEVICE_TOKEN_HEADER);
    const polledRequest = credentialHeader(request, ENROLLMENT_REQUEST_HEADER);
    const body = await readJsonBody(request, EnrollRequest);
    const valid = await store.useEnrollmentSecret(hashToken(secret), now);
    if (valid === null) {
      enrollFailures.fail(address, now.getTime());
      logger.warn('enroll_refused', { reason: 'invalid secret', remote: address });
      throw new HttpError(401, 'E_ENROLL_SECRET_INVALID', 'unknown, revoked or expired enrollment secret');
    }
    const token = generateToken();
    const requestCredential = generateToken();
    const outcome = await store.enrollDevice({
      newDeviceId: randomUUID(),
      hardwareUuid: body.device.hardwareUuid,
      serial: body.device.serial,
      hostname: body.hostname,
      agentVersion: body.agentVersion,
      tokenHash: hashToken(token),
      secretId: valid.id,
      now,
      presentedTokenHash: presentedToken === null ? null : hashToken(presentedToken),
      pollRequestHash: polledRequest === null ? null : hashToken(polledRequest),
      newRequest: { id: randomUUID(), requestHash: hashToken(requestCredential), remoteAddress: address },
      maxPendingPerDevice: MAX_PENDING_REENROLLMENTS_PER_DEVICE,
    });
    switch (outcome.kind) {
      case 'enrolled':
        // A rotated token must not leave the old token's socket open anywhere.
        if (outcome.reenrolled) await store.notifyDeviceAccess([outcome.deviceId]);
        logger.info('device_enrolled', { deviceId: outcome.deviceId, reenrolled: outcome.reenrolled, serialChanged: outcome.serialChanged });
        sendJson(response, 200, { deviceId: outcome.deviceId, token });
        return;
      case 'pending': {
        if (outcome.created) logger.warn('reenrollment_pending', { requestId: outcome.requestId, remote: address, secretId: valid.id });
        const answer: EnrollPendingResponse = {
          status: 'pending',
          request: outcome.created ? requestCredential : (polledRequest ?? requestCredential),
          retryAfterSeconds: PENDING_RETRY_AFTER_SECONDS,
        };
        sendJson(response, 202, answer, { 'retry-after': String(PENDING_RETRY_AFTER_SECONDS) });
        return;
      }
      case 'secret_exhausted':
        logger.warn('enroll_refused', { reason: 'secret limit reached', secretId: valid.id, remote: address });
        throw new HttpError(403, 'E_ENROLL_LIMIT_REACHED', 'this enrollment secret has enrolled its maximum number of devices; create another secret');
      case 'too_many_pending':
        throw new HttpError(429, 'E_RATE_LIMITED', `this device already has ${MAX_PENDING_REENROLLMENTS_PER_DEVICE} re-enrollment requests waiting for an admin`);
      default: {
        const unreachable: never = outcome;
        throw new Error(`enrolling: unknown outcome ${JSON.stringify(unreachable)}`);
      }
    }
  };
}
