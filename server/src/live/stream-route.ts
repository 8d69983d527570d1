// GET /api/stream: the dashboard's live stream. Same access as reading the dashboard (a session cookie or a
// read-scope token); the credential is checked again at every heartbeat, so a logout or expiry ends the stream.
import type { Clock } from '../clock.js';
import { authenticatePrincipal, requireAccess } from '../api/access.js';
import type { AdminAuth } from '../api/admin-auth.js';
import { HttpError } from '../api/http.js';
import type { RouteContext } from '../api/routes.js';
import type { Store } from '../store/store.js';
import type { LiveStreamHub } from './stream-hub.js';

/** The path browsers open with EventSource. */
export const LIVE_STREAM_PATH = '/api/stream';

/** The route handler, for a route whose access is `read` (the router authenticated the request already). */
export function liveStreamHandler(deps: { hub: LiveStreamHub; auth: AdminAuth; store: Store; clock: Clock }): (context: RouteContext) => Promise<void> {
  return async ({ request, response, admin }) => {
    const stillAllowed = async (): Promise<boolean> => {
      try {
        requireAccess(await authenticatePrincipal(request, deps), 'read');
        return true;
      } catch (error) {
        if (error instanceof HttpError && (error.status === 401 || error.status === 403)) return false;
        throw error;
      }
    };
    deps.hub.open(request, response, admin?.name ?? 'unknown', stillAllowed);
  };
}
