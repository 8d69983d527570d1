// Enrollment: trade the enrollment secret (from the configuration profile) for a per-device token over HTTPS.
// The secret travels only in the Authorization header, never in a URL or argv. A Mac the server already knows gets
// a token only by presenting its current one (Untether-Device-Token) or by polling a re-enrollment request an admin
// approved (Untether-Enrollment-Request); otherwise the server answers 202 with a pending request.
import http from 'node:http';
import https from 'node:https';
import {
  DEVICE_TOKEN_HEADER,
  ENROLLMENT_REQUEST_HEADER,
  EnrollPendingResponse,
  EnrollResponse,
  MAX_HTTP_BODY_BYTES,
  type EnrollRequest,
} from '../../../protocol/src/index.js';
import type { TlsRequestOptions } from './tls.js';

/**
 * How enrollment ended. `rejected` means the server refused the secret (or its device limit): retrying soon will not
 * help. `pendingRequest` is set when the server waits for an admin's approval: poll again with it.
 */
export type EnrollResult =
  | { ok: true; deviceId: string; token: string }
  | { ok: false; rejected: boolean; reason: string; pendingRequest?: string };

/** Credentials that let a known Mac re-enroll: its current token, or the request it is waiting on. */
export interface ReenrollProof {
  currentToken?: string;
  pendingRequest?: string;
}

/** Timeout of the enrollment request. */
const ENROLL_TIMEOUT_MS = 30_000;

/** POST /api/v1/enroll on `serverUrl`. */
export async function enrollDevice(
  serverUrl: string,
  secret: string,
  request: EnrollRequest,
  tlsOptions: TlsRequestOptions,
  proof: ReenrollProof = {},
): Promise<EnrollResult> {
  const url = new URL('/api/v1/enroll', serverUrl);
  const body = JSON.stringify(request);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(proof.currentToken === undefined ? {} : { [DEVICE_TOKEN_HEADER]: proof.currentToken }),
          ...(proof.pendingRequest === undefined ? {} : { [ENROLLMENT_REQUEST_HEADER]: proof.pendingRequest }),
        },
        timeout: ENROLL_TIMEOUT_MS,
        // No pooled socket: a kept-alive TLS connection made under other TLS settings would skip this request's
        // CA and pin checks.
        agent: false,
        ...(url.protocol === 'https:' ? tlsOptions : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_HTTP_BODY_BYTES) response.destroy(new Error('enrollment answer too large'));
          else chunks.push(chunk);
        });
        response.on('error', (error) => resolve({ ok: false, rejected: false, reason: error.message }));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 401 || status === 403) {
            resolve({ ok: false, rejected: true, reason: `server refused the enrollment secret (HTTP ${status})` });
            return;
          }
          if (status === 202) {
            try {
              const parsed = EnrollPendingResponse.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
              resolve(
                parsed.success
                  ? { ok: false, rejected: false, reason: 'waiting for an admin to approve this re-enrollment', pendingRequest: parsed.data.request }
                  : { ok: false, rejected: false, reason: 'pending answer does not match the schema' },
              );
            } catch {
              resolve({ ok: false, rejected: false, reason: 'pending answer is not JSON' });
            }
            return;
          }
          if (status !== 200) {
            resolve({ ok: false, rejected: false, reason: `HTTP ${status}` });
            return;
          }
          try {
            const parsed = EnrollResponse.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            resolve(parsed.success ? { ok: true, ...parsed.data } : { ok: false, rejected: false, reason: 'enrollment answer does not match the schema' });
          } catch {
            resolve({ ok: false, rejected: false, reason: 'enrollment answer is not JSON' });
          }
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('enrollment timed out')));
    outgoing.on('error', (error) => resolve({ ok: false, rejected: false, reason: error.message }));
    outgoing.end(body);
  });
}
