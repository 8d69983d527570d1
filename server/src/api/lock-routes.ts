// Routes of fleet-wide account locks and the audit log. Creating a lock follows group commands: a preview counts
// the devices that have the account now, and the create call must confirm that count.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { LockTarget } from '../locks/rules.js';
import type { Store } from '../store/store.js';
import { HttpError, parseQuery, readJsonBody, sendJson } from './http.js';
import type { Route } from './routes.js';
import { AuditListQuery, CreateLockBody, LockDetailQuery, LockListQuery, LockPreviewBody, UnlockBody } from './schemas.js';
import type { ChangeSink } from '../live/change-feed.js';

/** Same canonical UUID segment as routes.ts. */
const UUID = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';

/** The lock target of a parsed body (the schema guarantees exactly one of user and identity). */
function targetOf(body: { user?: string; identity?: string }): LockTarget {
  return body.user !== undefined ? { kind: 'user', value: body.user } : { kind: 'identity', value: body.identity ?? '' };
}

/** Build the lock and audit routes. */
export function buildLockRoutes(deps: { store: Store; clock: Clock; logger: Logger; config: ServerConfig; changes: ChangeSink }): Route[] {
  const { store, clock, logger, config } = deps;
  const validUntil = (now: Date, validForSeconds: number | undefined): Date =>
    new Date(now.getTime() + (validForSeconds === undefined ? config.defaultCommandValidityMs : validForSeconds * 1000));

  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/locks$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const { limit } = parseQuery(url, LockListQuery);
        sendJson(response, 200, { locks: await store.listLocks(limit) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/locks\/preview$/,
      access: 'read',
      handle: async ({ request, response }) => {
        const body = await readJsonBody(request, LockPreviewBody);
        sendJson(response, 200, { count: await store.countLockTargets(targetOf(body)) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/locks$/,
      access: 'commands',
      handle: async ({ request, response, admin }) => {
        const body = await readJsonBody(request, CreateLockBody);
        const target = targetOf(body);
        const count = await store.countLockTargets(target);
        if (count !== body.confirmCount) {
          throw new HttpError(409, 'E_CONFIRMATION_MISMATCH', `${target.kind} "${target.value}" is on ${count} devices now, not ${body.confirmCount}`);
        }
        const now = clock.now();
        const createdBy = admin?.name ?? 'unknown';
        const outcome = await store.createLock({ id: randomUUID(), target, reason: body.reason, createdBy, now, validUntil: validUntil(now, body.validForSeconds) });
        if (outcome.kind === 'exists') {
          throw new HttpError(409, 'E_LOCK_EXISTS', `lock ${outcome.lockId} already locks ${target.kind} "${target.value}"`);
        }
        deps.changes.changed('locks', 'commands');
        logger.info('lock_created', { lockId: outcome.lock.id, targetKind: target.kind, devices: outcome.deviceIds.length, admin: createdBy });
        sendJson(response, 201, { lock: outcome.lock, devices: outcome.deviceIds.length });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/api/v1/locks/${UUID}$`),
      access: 'read',
      handle: async ({ response, params, url }) => {
        const { limit } = parseQuery(url, LockDetailQuery);
        const found = await store.getLock(params.id ?? '', clock.now(), limit);
        if (found === null) throw new HttpError(404, 'E_NOT_FOUND', 'no such lock');
        sendJson(response, 200, found);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/v1/locks/${UUID}/unlock$`),
      access: 'commands',
      handle: async ({ request, response, params, admin }) => {
        const body = await readJsonBody(request, UnlockBody);
        const now = clock.now();
        const releasedBy = admin?.name ?? 'unknown';
        const outcome = await store.releaseLock({ lockId: params.id ?? '', releasedBy, reason: body.reason, now, validUntil: validUntil(now, body.validForSeconds) });
        switch (outcome.kind) {
          case 'not_found':
            throw new HttpError(404, 'E_NOT_FOUND', 'no such lock');
          case 'already_released':
            throw new HttpError(409, 'E_LOCK_RELEASED', `the lock was released at ${outcome.lock.releasedAt ?? '?'} by ${outcome.lock.releasedBy ?? '?'}`);
          case 'released':
            deps.changes.changed('locks', 'commands');
            logger.info('lock_released', { lockId: outcome.lock.id, cancelled: outcome.cancelled, unlocks: outcome.unlockDeviceIds.length, admin: releasedBy });
            sendJson(response, 200, { lock: outcome.lock, cancelled: outcome.cancelled, unlocks: outcome.unlockDeviceIds.length });
            return;
          default: {
            const unreachable: never = outcome;
            throw new Error(`releasing a lock: unknown outcome ${JSON.stringify(unreachable)}`);
          }
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/audit$/,
      access: 'read',
      handle: async ({ response, url }) => {
        const query = parseQuery(url, AuditListQuery);
        sendJson(response, 200, { entries: await store.listAudit(query) });
      },
    },
  ];
}
