// The REST API: a route table of method, path pattern, who may call it, and the handler.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'winston';
import { generateToken, hashToken } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { ChangeSink } from '../live/change-feed.js';
import { LIVE_STREAM_PATH, liveStreamHandler } from '../live/stream-route.js';
import type { LiveStreamHub } from '../live/stream-hub.js';
import type { DeviceFilter, Store } from '../store/store.js';
import type { RouteAccess, Principal } from './access.js';
import type { AdminAuth } from './admin-auth.js';
import { enrollHandler } from './enroll.js';
import { buildLockRoutes } from './lock-routes.js';
import { writeDevicesCsv } from './csv.js';
import { HttpError, parseQuery, readJsonBody, sendJson } from './http.js';
import {
  CommandListQuery,
  CommandPreviewBody,
  CreateCommandBody,
  CreateSecretBody,
  CreateTokenBody,
  DeviceListQuery,
  encodeDeviceCursor,
  EventListQuery,
  ProgressQuery,
} from './schemas.js';
import type * as z from 'zod';

/** What a handler gets. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Record<string, string>;
  admin: Principal | undefined;
}

/** One API route. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  /** `public` routes authenticate themselves or need nothing; others need a token of that scope, or a session. */
  access: RouteAccess;
  handle(context: RouteContext): Promise<void>;
}

/** Dependencies of the API. */
export interface ApiDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: ServerConfig;
  auth: AdminAuth;
  /** The client's address (X-Forwarded-For only from trusted proxies). */
  clientAddress: (request: IncomingMessage) => string;
  /** Where changes the dashboard shows are announced (devices, commands). */
  changes: ChangeSink;
  /** The dashboard's live streams. */
  live: LiveStreamHub;
}

/** A path segment that is a UUID in canonical form; anything else answers 404 before the store casts it (500). */
const UUID = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';

function toFilter(query: z.infer<typeof DeviceListQuery>): DeviceFilter {
  return { stage: query.stage, state: query.state, domain: query.domain, online: query.online, search: query.q };
}

/** Build the route table. */
export function buildRoutes(deps: ApiDependencies): Route[] {
  const { store, clock, logger, config, auth, clientAddress, changes, live } = deps;
  const enroll = enrollHandler({ store, clock, logger, clientAddress });
  const liveStream = liveStreamHandler({ hub: live, auth, store, clock });

  async function resolveTarget(target: z.infer<typeof CommandPreviewBody>['target']): Promise<string[]> {
    if ('deviceId' in target) {
      const device = await store.getDevice(target.deviceId, clock.now());
      if (device === null) throw new HttpError(404, 'E_NOT_FOUND', 'no such device');
      return [device.id];
    }
    return store.deviceIdsMatching(target.filter, clock.now(), config.maxGroupCommandDevices);
  }

  return [
    {
      method: 'GET',
      pattern: /^\/healthz$/,
      access: 'public',
      handle: async ({ response }) => sendJson(response, 200, { ok: true, store: store.kind }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/enroll$/,
      access: 'public',
      handle: async ({ request, response }) => {
        await enroll(request, response);
        // New device, rotated token or a re-enrollment waiting for approval: the device list shows each.
        changes.changed('devices', 'progress');
      },
    },
    { method: 'POST', pattern: /^\/api\/v1\/login$/, access: 'public', handle: async ({ request, response }) => auth.login(request, response) },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/logout$/,
      access: 'public',
      handle: async ({ request, response }) => {
        await auth.logout(request, response);
        // The session is gone: its live streams on this instance end now (elsewhere at their next heartbeat).
        void live.recheckAll();
      },
    },
    // Server-Sent Events for the dashboard: `event: change` with the topics to refetch.
    { method: 'GET', pattern: new RegExp(`^${LIVE_STREAM_PATH}$`), access: 'read', handle: liveStream },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/me$/,
      access: 'read',
      handle: async ({ response, admin }) => sendJson(response, 200, { name: admin?.name, via: admin?.via }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/overview$/,
      access: 'read',
      handle: async ({ response }) => sendJson(response, 200, await store.overview(clock.now())),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/progress$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const { days } = parseQuery(url, ProgressQuery);
        sendJson(response, 200, { points: await store.progress(new Date(clock.now().getTime() - days * 86_400_000)) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devices$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const query = parseQuery(url, DeviceListQuery);
        const page = await store.listDevices(toFilter(query), { limit: query.limit, offset: query.offset, after: query.after, before: query.before }, clock.now());
        sendJson(response, 200, {
          devices: page.devices,
          total: page.total,
          next: page.next === null ? null : encodeDeviceCursor(page.next),
          previous: page.previous === null ? null : encodeDeviceCursor(page.previous),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/devices\.csv$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const query = parseQuery(url, DeviceListQuery);
        await writeDevicesCsv(response, store, toFilter(query), clock.now());
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/api/v1/devices/${UUID}$`),
      access: 'read',
      handle: async ({ response, params }) => {
        const device = await store.getDevice(params.id ?? '', clock.now());
        if (device === null) throw new HttpError(404, 'E_NOT_FOUND', 'no such device');
        const [timeline, commands] = await Promise.all([
          store.listEvents({ deviceId: device.id, limit: 200 }),
          store.listCommands({ deviceId: device.id, limit: 50 }),
        ]);
        sendJson(response, 200, { device, timeline, commands });
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/v1/devices/${UUID}/revoke$`),
      access: 'admin',
      handle: async ({ response, params, admin }) => {
        const deviceId = params.id ?? '';
        if (!(await store.revokeDevice(deviceId, clock.now()))) throw new HttpError(404, 'E_NOT_FOUND', 'no such device');
        await store.notifyDeviceAccess([deviceId]);
        changes.changed('devices');
        logger.warn('device_revoked', { deviceId, admin: admin?.name });
        sendJson(response, 200, { revoked: true });
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/api/v1/devices/${UUID}$`),
      access: 'admin',
      handle: async ({ response, params, admin }) => {
        const deviceId = params.id ?? '';
        if (!(await store.deleteDevice(deviceId))) throw new HttpError(404, 'E_NOT_FOUND', 'no such device');
        await store.notifyDeviceAccess([deviceId]);
        changes.changed('devices', 'progress', 'events', 'commands');
        logger.warn('device_deleted', { deviceId, admin: admin?.name });
        sendJson(response, 200, { deleted: true });
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/v1/devices/${UUID}/reenrollments/${UUID}/approve$`),
      access: 'admin',
      handle: async ({ response, params, admin }) => {
        const deviceId = params.id ?? '';
        const requestId = params.requestId ?? '';
        if (!(await store.approveReenrollment(deviceId, requestId, admin?.name ?? 'unknown', clock.now()))) {
          throw new HttpError(404, 'E_NOT_FOUND', 'no such pending re-enrollment for this device');
        }
        // The old token stopped working: close its socket on every instance.
        await store.notifyDeviceAccess([deviceId]);
        changes.changed('devices');
        logger.warn('reenrollment_approved', { deviceId, requestId, admin: admin?.name });
        sendJson(response, 200, { approved: true });
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/api/v1/devices/${UUID}/reenrollments/${UUID}$`),
      access: 'admin',
      handle: async ({ response, params, admin }) => {
        const deviceId = params.id ?? '';
        const requestId = params.requestId ?? '';
        if (!(await store.rejectReenrollment(deviceId, requestId))) throw new HttpError(404, 'E_NOT_FOUND', 'no such re-enrollment for this device');
        changes.changed('devices');
        logger.info('reenrollment_rejected', { deviceId, requestId, admin: admin?.name });
        sendJson(response, 200, { rejected: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/events$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const query = parseQuery(url, EventListQuery);
        const before = query.before === undefined ? undefined : new Date(query.before);
        sendJson(response, 200, { events: await store.listEvents({ deviceId: query.deviceId, kind: query.kind, before, limit: query.limit }) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/commands$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const query = parseQuery(url, CommandListQuery);
        sendJson(response, 200, { commands: await store.listCommands(query) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/commands\/preview$/,
      access: 'read',
      handle: async ({ request, response }) => {
        const body = await readJsonBody(request, CommandPreviewBody);
        const ids = await resolveTarget(body.target);
        sendJson(response, 200, { count: ids.length });
      },
    },
    ...buildLockRoutes({ store, clock, logger, config, changes }),
    {
      method: 'POST',
      pattern: /^\/api\/v1\/commands$/,
      access: 'commands',
      handle: async ({ request, response, admin }) => {
        const body = await readJsonBody(request, CreateCommandBody);
        const deviceIds = await resolveTarget(body.target);
        if (deviceIds.length !== body.confirmCount) {
          throw new HttpError(409, 'E_CONFIRMATION_MISMATCH', `the target matches ${deviceIds.length} devices, not ${body.confirmCount}`);
        }
        const now = clock.now();
        const validUntil = new Date(now.getTime() + (body.validForSeconds === undefined ? config.defaultCommandValidityMs : body.validForSeconds * 1000));
        const batchId = randomUUID();
        const createdBy = admin?.name ?? 'unknown';
        const commands = deviceIds.map((deviceId) => ({ id: randomUUID(), deviceId, batchId, action: body.action, issuedAt: now, validUntil, createdBy }));
        await store.createCommands(commands, {
          actor: createdBy,
          action: 'commands.created',
          subject: batchId,
          detail: { type: body.action.type, count: commands.length, target: 'deviceId' in body.target ? { deviceId: body.target.deviceId } : { filter: body.target.filter } },
        });
        await store.notifyCommands(deviceIds);
        changes.changed('commands');
        logger.info('commands_created', { batchId, type: body.action.type, count: commands.length, admin: admin?.name });
        sendJson(response, 201, { batchId, count: commands.length, commandIds: commands.length <= 100 ? commands.map((c) => c.id) : undefined });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/enrollment-secrets$/,
      access: 'admin',
      handle: async ({ response }) => sendJson(response, 200, { secrets: await store.listEnrollmentSecrets() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/enrollment-secrets$/,
      access: 'admin',
      handle: async ({ request, response, admin }) => {
        const body = await readJsonBody(request, CreateSecretBody);
        const now = clock.now();
        const id = randomUUID();
        const secret = generateToken();
        const expiresAt = body.expiresInDays === undefined ? null : new Date(now.getTime() + body.expiresInDays * 86_400_000);
        await store.createEnrollmentSecret(
          { id, name: body.name, secretHash: hashToken(secret), now, expiresAt, maxDevices: body.maxDevices },
          { actor: admin?.name ?? 'unknown', action: 'enrollment_secret.created', subject: id, detail: { name: body.name, maxDevices: body.maxDevices, expiresAt: expiresAt?.toISOString() ?? null } },
        );
        logger.info('enrollment_secret_created', { id, maxDevices: body.maxDevices, admin: admin?.name });
        sendJson(response, 201, { id, name: body.name, secret, expiresAt: expiresAt?.toISOString() ?? null, maxDevices: body.maxDevices });
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/api/v1/enrollment-secrets/${UUID}$`),
      access: 'admin',
      handle: async ({ response, params }) => {
        if (!(await store.revokeEnrollmentSecret(params.id ?? '', clock.now()))) throw new HttpError(404, 'E_NOT_FOUND', 'no such active secret');
        sendJson(response, 200, { revoked: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/tokens$/,
      access: 'admin',
      handle: async ({ response }) => sendJson(response, 200, { tokens: await store.listApiTokens() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/tokens$/,
      access: 'session',
      handle: async ({ request, response, admin }) => {
        const body = await readJsonBody(request, CreateTokenBody);
        const id = randomUUID();
        const token = generateToken();
        const now = clock.now();
        const expiresAt = new Date(now.getTime() + body.expiresInDays * 86_400_000);
        await store.createApiToken(
          { id, name: body.name, tokenHash: hashToken(token), createdBy: admin?.name ?? 'unknown', now, scope: body.scope, expiresAt },
          { actor: admin?.name ?? 'unknown', action: 'api_token.created', subject: id, detail: { name: body.name, scope: body.scope, expiresAt: expiresAt.toISOString() } },
        );
        logger.info('api_token_created', { id, scope: body.scope, expiresAt: expiresAt.toISOString(), admin: admin?.name });
        sendJson(response, 201, { id, name: body.name, token, scope: body.scope, expiresAt: expiresAt.toISOString() });
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/api/v1/tokens/${UUID}$`),
      access: 'admin',
      handle: async ({ response, params }) => {
        if (!(await store.revokeApiToken(params.id ?? '', clock.now()))) throw new HttpError(404, 'E_NOT_FOUND', 'no such active token');
        // Streams opened with that token end now on this instance (elsewhere at their next heartbeat).
        void live.recheckAll();
        sendJson(response, 200, { revoked: true });
      },
    },
  ];
}

/** Find the route for a request: the route and its path parameter, or why none matched. */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'not_found' | 'method' {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    if (match[1] !== undefined) params.id = match[1];
    if (match[2] !== undefined) params.requestId = match[2];
    return { route, params };
  }
  return pathMatched ? 'method' : 'not_found';
}
