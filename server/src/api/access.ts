// Who may call which admin route. API tokens carry a scope (read < commands < admin); a logged-in admin session
// may do everything, including what no token may: create API tokens. Expired or revoked tokens are refused.
import type { IncomingMessage } from 'node:http';
import { bearerToken, hashToken } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { ApiTokenScope, Store } from '../store/store.js';
import type { AdminAuth, AdminPrincipal } from './admin-auth.js';
import { HttpError } from './http.js';

/** What a route needs: nothing (`public`), a token of at least this scope, or a logged-in session. */
export type RouteAccess = 'public' | ApiTokenScope | 'session';

/** An authenticated admin request and what it may do. */
export interface Principal extends AdminPrincipal {
  scope: ApiTokenScope | 'session';
}

const RANK: Record<Principal['scope'], number> = { read: 0, commands: 1, admin: 2, session: 3 };

/** The admin behind a request: an API token (with its scope) or a session; otherwise 401. */
export async function authenticatePrincipal(request: IncomingMessage, deps: { auth: AdminAuth; store: Store; clock: Clock }): Promise<Principal> {
  const token = bearerToken(request.headers.authorization);
  if (token !== undefined) {
    const record = await deps.store.useApiToken(hashToken(token), deps.clock.now());
    if (record === null) throw new HttpError(401, 'E_UNAUTHENTICATED', 'unknown, revoked or expired API token');
    return { name: `token:${record.name}`, via: 'token', scope: record.scope };
  }
  // No bearer token: only a session cookie can authenticate the request.
  const admin = await deps.auth.authenticate(request);
  return { ...admin, scope: 'session' };
}

/** Refuse with 403 when `principal` may not do what `access` asks. */
export function requireAccess(principal: Principal, access: Exclude<RouteAccess, 'public'>): void {
  if (RANK[principal.scope] >= RANK[access]) return;
  const needs = access === 'session' ? 'a logged-in admin session (API tokens cannot do this)' : `an API token of scope ${access} or more`;
  throw new HttpError(403, 'E_FORBIDDEN', `this needs ${needs}; the token's scope is ${principal.scope}`);
}
