// Enrollment SQL: who gets a device token. New devices (within the secret's limit), re-enrollment of a known
// hardware UUID (only with its current token, or through an admin-approved request), revocation and deletion,
// and the cross-instance notice that makes every instance drop sockets whose token is no longer valid.
import type { SqlDriver } from '../driver.js';
import type { EnrollDeviceInput, EnrollOutcome, Store } from '../store.js';
import type { Row } from './rows.js';

/** NOTIFY channel for "these devices' tokens changed". */
const DEVICE_ACCESS_CHANNEL = 'untether_device_access';
/** NOTIFY payloads are limited to 8000 bytes: past this many ids, send "*" (every instance rechecks every socket). */
const MAX_IDS_PER_NOTICE = 150;

/** The enrollment part of the Store. */
export type EnrollmentQueries = Pick<
  Store,
  'enrollDevice' | 'revokeDevice' | 'deleteDevice' | 'approveReenrollment' | 'rejectReenrollment' | 'notifyDeviceAccess' | 'onDeviceAccessNotice'
>;

/** Enrollment queries over `db`. */
export function enrollmentQueries(db: SqlDriver): EnrollmentQueries {
  return {
    async enrollDevice(input: EnrollDeviceInput): Promise<EnrollOutcome> {
      const hardwareUuid = input.hardwareUuid.toUpperCase();
      return db.transaction(async (tx) => {
        const existing = await tx.query<Row>('select id, serial, token_hash from devices where hardware_uuid = $1 for update', [hardwareUuid]);
        const known = existing[0];
        if (known === undefined) {
          const slot = await tx.query('update enrollment_secrets set enrolled_devices = enrolled_devices + 1 where id = $1 and enrolled_devices < max_devices returning id', [
            input.secretId,
          ]);
          if (slot.length === 0) return { kind: 'secret_exhausted' };
          await tx.query(
            `insert into devices (id, hardware_uuid, serial, hostname, token_hash, enrolled_at, enrollment_secret_id, agent_version)
             values ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [input.newDeviceId, hardwareUuid, input.serial, input.hostname, input.tokenHash, input.now, input.secretId, input.agentVersion],
          );
          await tx.query(`insert into device_milestones (device_id, milestone, at) values ($1, 'enrolled', $2) on conflict do nothing`, [
            input.newDeviceId,
            input.now,
          ]);
          return { kind: 'enrolled', deviceId: input.newDeviceId, reenrolled: false, serialChanged: false };
        }

        const deviceId = String(known.id);
        const serialChanged = String(known.serial) !== input.serial;
        const rotate = async (): Promise<EnrollOutcome> => {
          await tx.query(
            `update devices set token_hash = $2, serial = $3, hostname = $4, agent_version = $5, enrollment_secret_id = $6, revoked_at = null,
               identity_changed_at = case when $7 then $8 else identity_changed_at end
             where id = $1`,
            [deviceId, input.tokenHash, input.serial, input.hostname, input.agentVersion, input.secretId, serialChanged, input.now],
          );
          return { kind: 'enrolled', deviceId, reenrolled: true, serialChanged };
        };

        if (input.pollRequestHash !== null) {
          const polled = await tx.query<Row>('select id, approved_at from device_reenrollments where request_hash = $1 and device_id = $2', [
            input.pollRequestHash,
            deviceId,
          ]);
          const request = polled[0];
          if (request !== undefined) {
            if (request.approved_at === null) return { kind: 'pending', requestId: String(request.id), created: false };
            await tx.query('delete from device_reenrollments where id = $1', [request.id]);
            return rotate();
          }
        }

        // Possession of the device's current token proves this is the same agent (a revoked device has none).
        if (input.presentedTokenHash !== null && known.token_hash !== null && input.presentedTokenHash === String(known.token_hash)) return rotate();

        const pending = await tx.query<Row>('select count(*)::int as n from device_reenrollments where device_id = $1 and approved_at is null', [deviceId]);
        if (Number(pending[0]?.n ?? 0) >= input.maxPendingPerDevice) return { kind: 'too_many_pending' };
        await tx.query(
          `insert into device_reenrollments (id, device_id, request_hash, serial, hostname, agent_version, secret_id, remote_address, requested_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            input.newRequest.id,
            deviceId,
            input.newRequest.requestHash,
            input.serial,
            input.hostname,
            input.agentVersion,
            input.secretId,
            input.newRequest.remoteAddress,
            input.now,
          ],
        );
        return { kind: 'pending', requestId: input.newRequest.id, created: true };
      });
    },

    async revokeDevice(deviceId: string, now: Date): Promise<boolean> {
      return db.transaction(async (tx) => {
        const rows = await tx.query('update devices set token_hash = null, revoked_at = $2 where id = $1 returning id', [deviceId, now]);
        // An approved request not yet collected would hand the revoked device a new token: revocation wins.
        await tx.query('delete from device_reenrollments where device_id = $1 and approved_at is not null', [deviceId]);
        return rows.length > 0;
      });
    },

    async deleteDevice(deviceId: string): Promise<boolean> {
      // Commands, milestones and re-enrollment requests go with it (on delete cascade); events have no foreign key
      // (migration 7), so they are deleted here, after the device row: deleting the row first waits for any event
      // batch holding it and makes every later batch skip this device, so no event outlives it.
      return db.transaction(async (tx) => {
        const rows = await tx.query('delete from devices where id = $1 returning id', [deviceId]);
        await tx.query('delete from events where device_id = $1', [deviceId]);
        return rows.length > 0;
      });
    },

    async approveReenrollment(deviceId: string, requestId: string, admin: string, now: Date): Promise<boolean> {
      return db.transaction(async (tx) => {
        const rows = await tx.query(
          'update device_reenrollments set approved_at = $3, approved_by = $4 where id = $2 and device_id = $1 and approved_at is null returning id',
          [deviceId, requestId, now, admin],
        );
        if (rows.length === 0) return false;
        await tx.query('update devices set token_hash = null where id = $1', [deviceId]);
        await tx.query('delete from device_reenrollments where device_id = $1 and id <> $2', [deviceId, requestId]);
        return true;
      });
    },

    async rejectReenrollment(deviceId: string, requestId: string): Promise<boolean> {
      const rows = await db.query('delete from device_reenrollments where id = $2 and device_id = $1 returning id', [deviceId, requestId]);
      return rows.length > 0;
    },

    async notifyDeviceAccess(deviceIds: readonly string[]): Promise<void> {
      if (deviceIds.length === 0) return;
      const payload = deviceIds.length > MAX_IDS_PER_NOTICE ? '*' : deviceIds.join(',');
      await db.query('select pg_notify($1, $2)', [DEVICE_ACCESS_CHANNEL, payload]);
    },

    async onDeviceAccessNotice(handler: (deviceIds: string[]) => void): Promise<() => Promise<void>> {
      return db.listen(DEVICE_ACCESS_CHANNEL, (payload) => handler(payload === '*' ? ['*'] : payload.split(',').filter((id) => id.length > 0)));
    },
  };
}
