// Admin authentication for the dashboard: a login that sets an HttpOnly SameSite=Strict session cookie, and the
// session check. API tokens (Authorization: Bearer, stored hashed, scoped) are checked in access.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { generateToken, hashToken, verifyPassword } from '../auth/secrets.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { HttpError, readCookie, readJsonBody, sendJson } from './http.js';

export const SESSION_COOKIE = 'untether_session';

const LoginBody = z.strictObject({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) });

/** Who made an admin request. */
export interface AdminPrincipal {
  name: string;
  via: 'session' | 'token';
}

/** Authenticates admin requests. */
export class AdminAuth {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #sessionTtlMs: number;
  readonly #secureCookies: boolean;
  readonly #throttle = new LoginThrottle();
  readonly #clientAddress: (request: IncomingMessage) => string;

  constructor(options: {
    store: Store;
    clock: Clock;
    sessionTtlMs: number;
    secureCookies: boolean;
    /** The client's address (X-Forwarded-For only from trusted proxies). */
    clientAddress: (request: IncomingMessage) => string;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#sessionTtlMs = options.sessionTtlMs;
    this.#secureCookies = options.secureCookies;
    this.#clientAddress = options.clientAddress;
  }

  /** The logged-in admin behind a request's session cookie, or a 401. API tokens are checked in access.ts. */
  async authenticate(request: IncomingMessage): Promise<AdminPrincipal> {
    const session = readCookie(request, SESSION_COOKIE);
    if (session !== undefined && /^[A-Za-z0-9_-]{43}$/.test(session)) {
      const record = await this.#store.findSession(hashToken(session), this.#clock.now());
      if (record !== null) return { name: record.username, via: 'session' };
    }
    throw new HttpError(401, 'E_UNAUTHENTICATED', 'log in or send an API token');
  }

  /** POST /api/v1/login */
  async login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJsonBody(request, LoginBody);
    const now = this.#clock.now().getTime();
    // The slot is taken before the slow hash: concurrent guesses are counted before any of them is checked.
    const reservation = this.#throttle.reserve(body.username, this.#clientAddress(request), now);
    if (!reservation.ok) {
      throw new HttpError(429, 'E_RATE_LIMITED', `too many failed logins; try again in ${Math.ceil(reservation.retryAfterMs / 1000)} s`);
    }
    const stored = await this.#store.findAdminPasswordHash(body.username);
    // Verify against a dummy hash for unknown users too, so timing does not reveal which names exist.
    const valid = await verifyPassword(body.password, stored ?? DUMMY_HASH);
    if (stored === null || !valid) throw new HttpError(401, 'E_UNAUTHENTICATED', 'wrong username or password');
    reservation.slot.succeeded();
    const session = generateToken();
    const createdAt = this.#clock.now();
    await this.#store.createSession(hashToken(session), body.username, createdAt, new Date(createdAt.getTime() + this.#sessionTtlMs));
    sendJson(response, 200, { username: body.username }, { 'set-cookie': this.#cookie(session, Math.floor(this.#sessionTtlMs / 1000)) });
  }

  /** POST /api/v1/logout */
  async logout(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const session = readCookie(request, SESSION_COOKIE);
    if (session !== undefined) await this.#store.deleteSession(hashToken(session));
    sendJson(response, 200, { ok: true }, { 'set-cookie': this.#cookie('', 0) });
  }

  #cookie(value: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.#secureCookies ? '; Secure' : ''}`;
  }
}

/** scrypt hash of a random password nobody knows, used to equalize login timing. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
