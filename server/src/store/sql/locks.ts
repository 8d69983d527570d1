// Lock SQL: fleet-wide account locks, the fan-out of their commands, their release, per-device progress, and the
// cross-instance "locks changed" notice. The decisions (what matches, which state a command means) are the pure
// rules of server/src/locks/rules.ts; this file only reads and writes.
import { randomUUID } from 'node:crypto';
import {
  LOCK_DEVICE_STATES,
  deviceFingerprint,
  foldTarget,
  indexLocks,
  lockCommandParams,
  lockDeviceState,
  locksNaming,
  type LockCommandHistory,
  type LockCommandStatus,
  type LockCommandType,
  type LockDeviceState,
  type LockIndex,
  type LockRule,
  type LockTarget,
  type LockTargetKind,
} from '../../locks/rules.js';
import type { Queryable, SqlDriver } from '../driver.js';
import type {
  AccountLockRecord,
  CreateLockOutcome,
  LockDeviceProgress,
  LockSummary,
  NewLock,
  NewLockCommand,
  ReleaseLockOutcome,
  Store,
} from '../store.js';
import { insertAudit } from './audit.js';
import { COMMAND_CHANNEL, commandNoticePayload } from './commands.js';
import { iso, isoRequired, type Row } from './rows.js';

/** NOTIFY channel for "locks were created or released": every instance reloads its lock cache. */
const LOCK_CHANNEL = 'untether_locks';

/** The inventory field a target kind matches. */
function userField(kind: LockTargetKind): 'name' | 'linkedIdentity' {
  return kind === 'user' ? 'name' : 'linkedIdentity';
}

/** The columns of an account_locks row that a lock record and a lock rule both carry. */
function lockRowBasics(row: Row): Pick<AccountLockRecord, 'id' | 'targetKind' | 'reason' | 'createdBy' | 'releasedBy' | 'releaseReason'> {
  return {
    id: String(row.id),
    targetKind: row.target_kind === 'identity' ? 'identity' : 'user',
    reason: String(row.reason),
    createdBy: String(row.created_by),
    releasedBy: (row.released_by as string | null) ?? null,
    releaseReason: (row.release_reason as string | null) ?? null,
  };
}

function toLockRecord(row: Row): AccountLockRecord {
  return { ...lockRowBasics(row), target: String(row.target), createdAt: isoRequired(row.created_at), releasedAt: iso(row.released_at) };
}

function emptyCounts(): Record<LockDeviceState, number> {
  return Object.fromEntries(LOCK_DEVICE_STATES.map((state) => [state, 0])) as Record<LockDeviceState, number>;
}

/** A device a lock's command goes to, with what its fingerprint is made of. */
interface DeviceTargetRow {
  deviceId: string;
  account: string;
  fingerprint: string;
}

function toLockRule(row: Row): LockRule {
  return { ...lockRowBasics(row), folded: String(row.target_folded), active: row.released_at === null };
}

/** Whether an active lock in `index` names the account a lock command of this row named (by name or its identity). */
function heldByAnotherLock(index: LockIndex, row: Row): boolean {
  if (index.size === 0) return false;
  const account = String(row.account ?? '');
  const users = Array.isArray(row.users) ? (row.users as Array<{ name?: unknown; linkedIdentity?: unknown }>) : [];
  const listed = users.find((user) => typeof user.name === 'string' && user.name.toLowerCase() === account.toLowerCase());
  const linkedIdentity = typeof listed?.linkedIdentity === 'string' ? listed.linkedIdentity : null;
  return locksNaming(index, { name: account, linkedIdentity }).length > 0;
}

function toDeviceTarget(row: Row): DeviceTargetRow {
  const profiles = Array.isArray(row.profiles) ? (row.profiles as Array<{ identifier?: unknown }>).map((profile) => String(profile.identifier ?? '')) : [];
  return {
    deviceId: String(row.device_id),
    account: String(row.account),
    fingerprint: deviceFingerprint({ agentVersion: String(row.agent_version), capabilities: (row.capabilities as string[] | null) ?? [], profiles }),
  };
}

/** One command of `type` per target device, all issued together. */
function commandsFor(
  targets: readonly DeviceTargetRow[],
  base: Pick<NewLockCommand, 'lockId' | 'type' | 'requestedBy' | 'reason' | 'issuedAt' | 'validUntil'>,
): NewLockCommand[] {
  return targets.map((target) => ({ ...base, deviceId: target.deviceId, account: target.account, deviceFingerprint: target.fingerprint }));
}

/** Insert lock commands in one statement; an open one of the same lock, device and type wins. Returns their devices. */
async function insertLockCommands(q: Queryable, commands: readonly NewLockCommand[]): Promise<string[]> {
  if (commands.length === 0) return [];
  const records = commands.map((command) => ({
    id: randomUUID(),
    device_id: command.deviceId,
    // One batch per lock: the lock's id.
    batch_id: command.lockId,
    type: command.type,
    params: lockCommandParams(command.lockId, command.account, command.requestedBy, command.reason),
    issued_at: command.issuedAt.toISOString(),
    valid_until: command.validUntil.toISOString(),
    created_by: command.requestedBy,
    lock_id: command.lockId,
    device_fingerprint: command.deviceFingerprint,
  }));
  const rows = await q.query<Row>(
    `insert into commands (id, device_id, batch_id, type, params, issued_at, valid_until, created_by, status, lock_id, device_fingerprint)
     select c.id, c.device_id, c.batch_id, c.type, c.params, c.issued_at, c.valid_until, c.created_by, 'pending', c.lock_id, c.device_fingerprint
     from jsonb_to_recordset($1::jsonb) as c(id uuid, device_id uuid, batch_id uuid, type text, params jsonb, issued_at timestamptz,
       valid_until timestamptz, created_by text, lock_id uuid, device_fingerprint text)
     on conflict (lock_id, device_id, type) where lock_id is not null and status in ('pending', 'sent') do nothing
     returning device_id`,
    [JSON.stringify(records)],
  );
  return rows.map((row) => String(row.device_id));
}

async function notifyInTransaction(q: Queryable, commandDeviceIds: readonly string[]): Promise<void> {
  // NOTIFY inside the transaction is delivered at commit, never for a rolled-back lock.
  if (commandDeviceIds.length > 0) await q.query('select pg_notify($1, $2)', [COMMAND_CHANNEL, commandNoticePayload(commandDeviceIds)]);
  await q.query('select pg_notify($1, $2)', [LOCK_CHANNEL, 'changed']);
}

/** The lock part of the Store. */
export type LockQueries = Pick<
  Store,
  | 'countLockTargets'
  | 'createLock'
  | 'releaseLock'
  | 'listLocks'
  | 'getLock'
  | 'lockRules'
  | 'lockCommandHistory'
  | 'createLockCommands'
  | 'notifyLocks'
  | 'onLockNotice'
>;

/** Lock queries over `db`; `onlineSince(now)` is the last-seen threshold of an online device. */
export function lockQueries(db: SqlDriver, onlineSince: (now: Date) => Date): LockQueries {
  /** Devices whose latest inventory has an account `target` names, with the first such account (an unlocked one first). */
  async function matchingDevices(q: Queryable, target: LockTarget): Promise<DeviceTargetRow[]> {
    const rows = await q.query<Row>(
      `select d.id as device_id, d.agent_version, d.capabilities, d.inventory->'profiles' as profiles, m.account
       from devices d cross join lateral (
         select u.value->>'name' as account from jsonb_array_elements(d.inventory->'users') with ordinality as u(value, position)
         where lower(u.value->>$1) = $2
         order by coalesce((u.value->>'locked')::boolean, false), u.position limit 1) m
       where d.inventory is not null
       order by d.id`,
      [userField(target.kind), foldTarget(target.value)],
    );
    return rows.map(toDeviceTarget);
  }

  async function countsOf(lockIds: readonly string[]): Promise<Map<string, { devices: number; counts: Record<LockDeviceState, number> }>> {
    const result = new Map<string, { devices: number; counts: Record<LockDeviceState, number> }>();
    for (const id of lockIds) result.set(id, { devices: 0, counts: emptyCounts() });
    if (lockIds.length === 0) return result;
    const rows = await db.query<Row>(
      `select lock_id, type, status, count(*)::int as n from (
         select distinct on (lock_id, device_id) lock_id, type, status from commands
         where lock_id = any($1::uuid[]) order by lock_id, device_id, issued_at desc, id desc) latest
       group by 1, 2, 3`,
      [lockIds],
    );
    for (const row of rows) {
      const entry = result.get(String(row.lock_id));
      if (entry === undefined) continue;
      const n = Number(row.n);
      entry.devices += n;
      entry.counts[lockDeviceState(row.type as LockCommandType, row.status as LockCommandStatus)] += n;
    }
    return result;
  }

  async function summaries(records: readonly AccountLockRecord[]): Promise<LockSummary[]> {
    const counts = await countsOf(records.map((record) => record.id));
    return records.map((record) => ({ ...record, ...(counts.get(record.id) ?? { devices: 0, counts: emptyCounts() }) }));
  }

  return {
    async countLockTargets(target: LockTarget): Promise<number> {
      const rows = await db.query<Row>(
        `select count(*)::int as n from devices d
         where d.inventory is not null and exists (select 1 from jsonb_array_elements(d.inventory->'users') u where lower(u->>$1) = $2)`,
        [userField(target.kind), foldTarget(target.value)],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async createLock(input: NewLock): Promise<CreateLockOutcome> {
      return db.transaction(async (tx) => {
        const inserted = await tx.query<Row>(
          `insert into account_locks (id, target_kind, target, target_folded, reason, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (target_kind, target_folded) where released_at is null do nothing returning *`,
          [input.id, input.target.kind, input.target.value, foldTarget(input.target.value), input.reason, input.createdBy, input.now],
        );
        const row = inserted[0];
        if (row === undefined) {
          const existing = await tx.query<Row>('select id from account_locks where target_kind = $1 and target_folded = $2 and released_at is null', [
            input.target.kind,
            foldTarget(input.target.value),
          ]);
          return { kind: 'exists', lockId: String(existing[0]?.id ?? '') };
        }
        const lock = toLockRecord(row);
        const targets = await matchingDevices(tx, input.target);
        const deviceIds = await insertLockCommands(
          tx,
          commandsFor(targets, { lockId: lock.id, type: 'lock-account', requestedBy: input.createdBy, reason: input.reason, issuedAt: input.now, validUntil: input.validUntil }),
        );
        await insertAudit(
          tx,
          { actor: input.createdBy, action: 'lock.created', subject: lock.id, detail: { targetKind: lock.targetKind, target: lock.target, reason: lock.reason, devices: deviceIds.length } },
          input.now,
        );
        await notifyInTransaction(tx, deviceIds);
        return { kind: 'created', lock, deviceIds };
      });
    },

    async releaseLock(input: { lockId: string; releasedBy: string; reason: string; now: Date; validUntil: Date }): Promise<ReleaseLockOutcome> {
      return db.transaction(async (tx) => {
        const updated = await tx.query<Row>(
          'update account_locks set released_at = $2, released_by = $3, release_reason = $4 where id = $1 and released_at is null returning *',
          [input.lockId, input.now, input.releasedBy, input.reason],
        );
        const row = updated[0];
        if (row === undefined) {
          const existing = await tx.query<Row>('select * from account_locks where id = $1', [input.lockId]);
          return existing[0] === undefined ? { kind: 'not_found' } : { kind: 'already_released', lock: toLockRecord(existing[0]) };
        }
        const lock = toLockRecord(row);
        const cancelled = await tx.query<Row>(
          `update commands set status = 'cancelled', finished_at = $2 where lock_id = $1 and type = 'lock-account' and status = 'pending' returning id`,
          [lock.id, input.now],
        );
        // Devices the lock reached: sent, or answered with success (a sent command that expired may have run too).
        const reachedRows = await tx.query<Row>(
          `select distinct on (c.device_id) c.device_id, c.params->'account'->>'user' as account, d.agent_version, d.capabilities,
             d.inventory->'profiles' as profiles, d.inventory->'users' as users
           from commands c join devices d on d.id = c.device_id
           where c.lock_id = $1 and c.type = 'lock-account' and (c.sent_at is not null or c.status = 'succeeded') and c.status not in ('rejected', 'failed')
           order by c.device_id, c.issued_at desc`,
          [lock.id],
        );
        // Another active lock may name the same account (one by short name, one by identity): it stays locked there.
        const otherActive = indexLocks(
          (await tx.query<Row>('select * from account_locks where released_at is null and id <> $1', [lock.id])).map(toLockRule),
        );
        const reached = reachedRows.filter((row) => !heldByAnotherLock(otherActive, row));
        const unlockDeviceIds = await insertLockCommands(
          tx,
          commandsFor(reached.map(toDeviceTarget), {
            lockId: lock.id,
            type: 'unlock-account',
            requestedBy: input.releasedBy,
            reason: input.reason,
            issuedAt: input.now,
            validUntil: input.validUntil,
          }),
        );
        await insertAudit(
          tx,
          {
            actor: input.releasedBy,
            action: 'lock.released',
            subject: lock.id,
            detail: { targetKind: lock.targetKind, target: lock.target, reason: input.reason, cancelled: cancelled.length, unlocks: unlockDeviceIds.length },
          },
          input.now,
        );
        await notifyInTransaction(tx, unlockDeviceIds);
        return { kind: 'released', lock, cancelled: cancelled.length, unlockDeviceIds };
      });
    },

    async listLocks(limit: number): Promise<LockSummary[]> {
      const rows = await db.query<Row>('select * from account_locks order by (released_at is null) desc, created_at desc, id limit $1', [limit]);
      return summaries(rows.map(toLockRecord));
    },

    async getLock(lockId: string, now: Date, limit: number): Promise<{ lock: LockSummary; devices: LockDeviceProgress[] } | null> {
      const rows = await db.query<Row>('select * from account_locks where id = $1', [lockId]);
      if (rows[0] === undefined) return null;
      const [lock] = await summaries([toLockRecord(rows[0])]);
      const commands = await db.query<Row>(
        `select distinct on (c.device_id) c.id, c.device_id, c.type, c.status, c.params, c.result, c.issued_at, c.finished_at, d.hostname,
           (d.connected_instance is not null and d.last_seen_at >= $2) as online
         from commands c join devices d on d.id = c.device_id
         where c.lock_id = $1 order by c.device_id, c.issued_at desc, c.id desc`,
        [lockId, onlineSince(now)],
      );
      const devices = commands.map((row): LockDeviceProgress => {
        const type = row.type as LockCommandType;
        const params = row.params as { account?: { user?: string } } | null;
        const result = row.result as { code?: string; message?: string } | null;
        return {
          deviceId: String(row.device_id),
          hostname: String(row.hostname),
          online: row.online === true,
          account: params?.account?.user ?? '',
          phase: type === 'lock-account' ? 'lock' : 'unlock',
          state: lockDeviceState(type, row.status as LockCommandStatus),
          code: result?.code ?? null,
          message: result?.message ?? null,
          commandId: String(row.id),
          issuedAt: isoRequired(row.issued_at),
          finishedAt: iso(row.finished_at),
        };
      });
      const order = (state: LockDeviceState): number => LOCK_DEVICE_STATES.indexOf(state);
      devices.sort((a, b) => order(a.state) - order(b.state) || a.hostname.localeCompare(b.hostname) || a.deviceId.localeCompare(b.deviceId));
      return lock === undefined ? null : { lock, devices: devices.slice(0, limit) };
    },

    async lockRules(releasedSince: Date): Promise<LockRule[]> {
      const rows = await db.query<Row>('select * from account_locks where released_at is null or released_at >= $1', [releasedSince]);
      return rows.map(toLockRule);
    },

    async lockCommandHistory(deviceId: string, lockIds: readonly string[]): Promise<LockCommandHistory[]> {
      if (lockIds.length === 0) return [];
      const rows = await db.query<Row>(
        `select lock_id, type, status, issued_at, valid_until, sent_at, finished_at, result->>'finishedAt' as agent_finished_at, device_fingerprint
         from commands where device_id = $1 and lock_id = any($2::uuid[])`,
        [deviceId, lockIds],
      );
      const date = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(iso(value) ?? 0));
      return rows.map((row) => ({
        lockId: String(row.lock_id),
        type: row.type as LockCommandType,
        status: row.status as LockCommandStatus,
        issuedAt: new Date(isoRequired(row.issued_at)),
        validUntil: new Date(isoRequired(row.valid_until)),
        sentAt: date(row.sent_at),
        finishedAt: date(row.finished_at),
        agentFinishedAt: date(row.agent_finished_at),
        deviceFingerprint: (row.device_fingerprint as string | null) ?? null,
      }));
    },

    async createLockCommands(commands: readonly NewLockCommand[]): Promise<number> {
      if (commands.length === 0) return 0;
      return db.transaction(async (tx) => {
        // An open command past its validity (the sweep has not marked it yet) must not block its successor.
        await tx.query(
          `update commands set status = 'expired' where device_id = any($1::uuid[]) and lock_id = any($2::uuid[])
             and status in ('pending', 'sent') and valid_until <= $3`,
          [[...new Set(commands.map((command) => command.deviceId))], [...new Set(commands.map((command) => command.lockId))], commands[0]!.issuedAt],
        );
        const deviceIds = await insertLockCommands(tx, commands);
        if (deviceIds.length > 0) await tx.query('select pg_notify($1, $2)', [COMMAND_CHANNEL, commandNoticePayload([...new Set(deviceIds)])]);
        return deviceIds.length;
      });
    },

    async notifyLocks(): Promise<void> {
      await db.query('select pg_notify($1, $2)', [LOCK_CHANNEL, 'changed']);
    },

    async onLockNotice(handler: () => void): Promise<() => Promise<void>> {
      return db.listen(LOCK_CHANNEL, () => handler());
    },
  };
}
