// The re-enrollment request the agent waits on (the server answered 202: an admin must approve it). Kept root-only
// in the data directory so that a restart polls the same request instead of filing a new one.
import { readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from './token-file.js';

/** File name of the pending request inside the agent's data directory. */
export const ENROLL_REQUEST_FILE_NAME = 'enrollment-request.json';

const StoredRequest = z.strictObject({ request: z.string().regex(/^[A-Za-z0-9_-]{43}$/), serverUrl: z.string().url() });

/** The pending request for `serverUrl`, or undefined (none, unreadable, or for another server). */
export function readEnrollRequest(dataDir: string, serverUrl: string): string | undefined {
  try {
    const parsed = StoredRequest.safeParse(JSON.parse(readFileSync(path.join(dataDir, ENROLL_REQUEST_FILE_NAME), 'utf8')));
    return parsed.success && parsed.data.serverUrl === serverUrl ? parsed.data.request : undefined;
  } catch {
    return undefined;
  }
}

/** Remember the pending request (atomically, 0600). */
export function writeEnrollRequest(dataDir: string, serverUrl: string, request: string): void {
  writeFileAtomic(path.join(dataDir, ENROLL_REQUEST_FILE_NAME), `${JSON.stringify({ request, serverUrl })}\n`);
}

/** Forget the request once a token was issued. */
export function clearEnrollRequest(dataDir: string): void {
  try {
    unlinkSync(path.join(dataDir, ENROLL_REQUEST_FILE_NAME));
  } catch {
    // none stored
  }
}
