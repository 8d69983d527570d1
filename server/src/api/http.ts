// Small HTTP helpers for node:http: bounded JSON bodies parsed with zod, JSON and error answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as z from 'zod';
import { MAX_HTTP_BODY_BYTES, summarizeIssues, type ErrorCode } from '../../../protocol/src/index.js';

/** An error that becomes an HTTP answer with a registered code. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Read a JSON body of at most MAX_HTTP_BODY_BYTES and parse it with `schema`. */
export async function readJsonBody<T>(request: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const contentType = request.headers['content-type'] ?? '';
  // Requiring JSON also keeps cross-site HTML forms (which cannot send it without a CORS preflight) out.
  if (!contentType.startsWith('application/json')) throw new HttpError(415, 'E_BAD_MESSAGE', 'expected Content-Type: application/json');
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > MAX_HTTP_BODY_BYTES) throw new HttpError(413, 'E_FRAME_TOO_LARGE', `body larger than ${MAX_HTTP_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_HTTP_BODY_BYTES) throw new HttpError(413, 'E_FRAME_TOO_LARGE', `body larger than ${MAX_HTTP_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let rawBody: unknown;
  try {
    rawBody = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'E_BAD_JSON', 'body is not valid JSON');
  }
  const parsed = schema.safeParse(rawBody);
  if (!parsed.success) throw new HttpError(400, 'E_BAD_MESSAGE', summarizeIssues(parsed.error.issues));
  return parsed.data;
}

/** Parse the query string with `schema`. */
export function parseQuery<T>(url: URL, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new HttpError(400, 'E_BAD_MESSAGE', summarizeIssues(parsed.error.issues));
  return parsed.data;
}

/** Answer with JSON. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(text);
}

/** Answer with a registered error code. */
export function sendError(response: ServerResponse, status: number, code: ErrorCode, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, { error: code, message });
}

/** Read one cookie from the request. */
export function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
