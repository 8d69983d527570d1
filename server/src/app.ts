// buildServer: wires the store, gateway, command dispatcher, API and dashboard into an HTTP(S) server that is
// not listening yet. Only main.ts reads the environment and opens ports.
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'winston';
import { authenticatePrincipal, requireAccess, type Principal } from './api/access.js';
import { AdminAuth } from './api/admin-auth.js';
import { clientAddress, parseTrustedProxies } from './auth/client-address.js';
import { HttpError, sendError } from './api/http.js';
import { buildRoutes, matchRoute } from './api/routes.js';
import { hashPassword } from './auth/secrets.js';
import type { Clock } from './clock.js';
import { CommandDispatcher } from './commands/dispatcher.js';
import type { ServerConfig } from './config.js';
import { isDashboardPath, serveDashboard } from './dashboard/static.js';
import { Gateway } from './gateway/gateway.js';
import { ChangeFeed } from './live/change-feed.js';
import { LiveStreamHub } from './live/stream-hub.js';
import { LockFollowUp } from './locks/follow-up.js';
import { componentLogger } from './log.js';
import type { Store } from './store/store.js';

/** Everything buildServer needs. */
export interface BuildServerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: ServerConfig;
}

/** A built server: call start() then listen on `server`; close() stops everything but the store. */
export interface UntetherServer {
  server: http.Server | https.Server;
  gateway: Gateway;
  dispatcher: CommandDispatcher;
  /** What changed, coalesced, from this instance and the others (the dashboard's live streams hear it). */
  changes: ChangeFeed;
  live: LiveStreamHub;
  lockFollowUp: LockFollowUp;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Build the server. */
export function buildServer(options: BuildServerOptions): UntetherServer {
  const { store, clock, config } = options;
  const logger = componentLogger(options.logger, 'http');
  const liveLogger = componentLogger(options.logger, 'live');
  const changes = new ChangeFeed({ store, instanceId: config.instanceId, logger: liveLogger, coalesceMs: config.liveCoalesceMs });
  const live = new LiveStreamHub({
    logger: liveLogger,
    limits: { maxStreams: config.maxLiveStreams, heartbeatMs: config.liveHeartbeatMs, maxBufferedBytes: config.maxLiveBufferedBytes, retryMs: config.liveRetryMs },
  });
  changes.subscribe((topics) => {
    // Before the browsers hear it: the aggregates they refetch must not come from a cache filled before the change.
    if (topics.includes('devices') || topics.includes('progress')) store.fleetChanged();
    live.publish(topics);
  });
  const gateway = new Gateway({ store, clock, logger: componentLogger(options.logger, 'gateway'), config, changes });
  const dispatcher = new CommandDispatcher({ store, gateway, clock, logger: componentLogger(options.logger, 'commands'), sweepMs: config.commandSweepMs, changes });
  const lockFollowUp = new LockFollowUp({
    store,
    clock,
    logger: componentLogger(options.logger, 'locks'),
    retryAfterRefusalMs: config.lockRetryAfterRefusalMs,
    followUpMs: config.lockFollowUpMs,
    cacheMaxAgeMs: config.lockCacheMaxAgeMs,
    defaultCommandValidityMs: config.defaultCommandValidityMs,
  });
  gateway.setInventoryListener((device, inventory, collectedAt) => lockFollowUp.onInventory(device, inventory, collectedAt));
  const trustedProxies = parseTrustedProxies(config.trustedProxies);
  const addressOf = (request: http.IncomingMessage): string => clientAddress(request, trustedProxies);
  const auth = new AdminAuth({ store, clock, sessionTtlMs: config.sessionTtlMs, secureCookies: config.tls !== undefined, clientAddress: addressOf });
  const routes = buildRoutes({ store, clock, logger: componentLogger(options.logger, 'api'), config, auth, clientAddress: addressOf, changes, live });

  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    void handleRequest(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(response, error.status, error.code, error.message);
        return;
      }
      logger.error('request_failed', { method: request.method, path: request.url?.split('?')[0], error: (error as Error).message });
      sendError(response, 500, 'E_INTERNAL', 'internal error');
    });
  };

  async function handleRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && config.dashboard !== undefined && isDashboardPath(url.pathname)) {
      await serveDashboard(response, url.pathname, config.dashboard);
      return;
    }
    const matched = matchRoute(routes, request.method ?? 'GET', url.pathname);
    if (matched === 'not_found') throw new HttpError(404, 'E_NOT_FOUND', 'no such endpoint');
    if (matched === 'method') throw new HttpError(405, 'E_NOT_FOUND', 'method not allowed');
    let admin: Principal | undefined;
    if (matched.route.access !== 'public') {
      admin = await authenticatePrincipal(request, { auth, store, clock });
      requireAccess(admin, matched.route.access);
    }
    await matched.route.handle({ request, response, url, params: matched.params, admin });
  }

  const server = config.tls === undefined ? http.createServer(onRequest) : https.createServer({ cert: config.tls.cert, key: config.tls.key }, onRequest);
  // Slow or idle HTTP clients must not hold sockets forever.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));

  return {
    server,
    gateway,
    dispatcher,
    changes,
    live,
    lockFollowUp,
    async start() {
      await store.releaseInstance(config.instanceId, clock.now());
      if (config.initialAdmin !== undefined && (await store.countAdmins()) === 0) {
        await store.createAdmin(config.initialAdmin.username, await hashPassword(config.initialAdmin.password), clock.now());
        logger.info('admin_created', { username: config.initialAdmin.username });
      }
      gateway.start();
      await gateway.watchDeviceAccess();
      await dispatcher.start();
      await changes.start();
      await lockFollowUp.start();
    },
    async close() {
      // Streams first: browsers hear a clean end (and reconnect elsewhere) before their sockets are cut.
      live.close();
      await lockFollowUp.close();
      await dispatcher.close();
      await gateway.close();
      await changes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
