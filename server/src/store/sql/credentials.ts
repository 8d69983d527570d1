// Credential SQL: enrollment secrets, admins, sessions and API tokens. (Device tokens live with devices.)
import type { SqlDriver } from '../driver.js';
import type { ApiTokenRecord, ApiTokenScope, AuditEntry, EnrollmentSecretRecord, Store } from '../store.js';
import { withAudit } from './audit.js';
import { iso, isoRequired, type Row } from './rows.js';

/** A stored scope; anything unexpected reads as the least privilege. */
function toScope(value: unknown): ApiTokenScope {
  return value === 'commands' || value === 'admin' ? value : 'read';
}

/** The credential part of the Store. */
export type CredentialQueries = Pick<
  Store,
  | 'createEnrollmentSecret'
  | 'listEnrollmentSecrets'
  | 'revokeEnrollmentSecret'
  | 'useEnrollmentSecret'
  | 'countAdmins'
  | 'createAdmin'
  | 'findAdminPasswordHash'
  | 'createSession'
  | 'findSession'
  | 'deleteSession'
  | 'createApiToken'
  | 'useApiToken'
  | 'listApiTokens'
  | 'revokeApiToken'
>;

/** Credential queries over `db`. */
export function credentialQueries(db: SqlDriver): CredentialQueries {
  return {
    async createEnrollmentSecret(
      input: { id: string; name: string; secretHash: string; now: Date; expiresAt: Date | null; maxDevices: number },
      audit?: AuditEntry,
    ): Promise<void> {
      await withAudit(db, audit, input.now, (q) =>
        q.query('insert into enrollment_secrets (id, name, secret_hash, created_at, expires_at, max_devices) values ($1, $2, $3, $4, $5, $6)', [
          input.id,
          input.name,
          input.secretHash,
          input.now,
          input.expiresAt,
          input.maxDevices,
        ]),
      );
    },

    async listEnrollmentSecrets(): Promise<EnrollmentSecretRecord[]> {
      const rows = await db.query<Row>('select id, name, created_at, expires_at, revoked_at, uses, max_devices, enrolled_devices from enrollment_secrets order by created_at desc');
      return rows.map((row) => ({
        id: String(row.id),
        name: String(row.name),
        createdAt: isoRequired(row.created_at),
        expiresAt: iso(row.expires_at),
        revokedAt: iso(row.revoked_at),
        uses: Number(row.uses),
        maxDevices: Number(row.max_devices),
        enrolledDevices: Number(row.enrolled_devices),
      }));
    },

    async revokeEnrollmentSecret(id: string, now: Date): Promise<boolean> {
      const rows = await db.query('update enrollment_secrets set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
      return rows.length > 0;
    },

    async useEnrollmentSecret(secretHash: string, now: Date): Promise<{ id: string } | null> {
      const rows = await db.query<Row>(
        `update enrollment_secrets set uses = uses + 1
         where secret_hash = $1 and revoked_at is null and (expires_at is null or expires_at > $2) returning id`,
        [secretHash, now],
      );
      return rows[0] === undefined ? null : { id: String(rows[0].id) };
    },

    async countAdmins(): Promise<number> {
      const rows = await db.query<Row>('select count(*)::int as n from admins');
      return Number(rows[0]?.n ?? 0);
    },

    async createAdmin(username: string, passwordHash: string, now: Date): Promise<void> {
      await db.query(
        'insert into admins (username, password_hash, created_at) values ($1, $2, $3) on conflict (username) do update set password_hash = excluded.password_hash',
        [username, passwordHash, now],
      );
    },

    async findAdminPasswordHash(username: string): Promise<string | null> {
      const rows = await db.query<Row>('select password_hash from admins where username = $1', [username]);
      return rows[0] === undefined ? null : String(rows[0].password_hash);
    },

    async createSession(tokenHash: string, username: string, now: Date, expiresAt: Date): Promise<void> {
      await db.query('delete from sessions where expires_at <= $1', [now]);
      await db.query('insert into sessions (token_hash, username, created_at, expires_at) values ($1, $2, $3, $4)', [tokenHash, username, now, expiresAt]);
    },

    async findSession(tokenHash: string, now: Date): Promise<{ username: string } | null> {
      const rows = await db.query<Row>('select username from sessions where token_hash = $1 and expires_at > $2', [tokenHash, now]);
      return rows[0] === undefined ? null : { username: String(rows[0].username) };
    },

    async deleteSession(tokenHash: string): Promise<void> {
      await db.query('delete from sessions where token_hash = $1', [tokenHash]);
    },

    async createApiToken(input, audit): Promise<void> {
      await withAudit(db, audit, input.now, (q) =>
        q.query('insert into api_tokens (id, name, token_hash, created_at, created_by, scope, expires_at) values ($1, $2, $3, $4, $5, $6, $7)', [
          input.id,
          input.name,
          input.tokenHash,
          input.now,
          input.createdBy,
          input.scope,
          input.expiresAt,
        ]),
      );
    },

    async useApiToken(tokenHash: string, now: Date): Promise<{ name: string; scope: ApiTokenScope } | null> {
      const rows = await db.query<Row>(
        `update api_tokens set last_used_at = $2
         where token_hash = $1 and revoked_at is null and (expires_at is null or expires_at > $2) returning name, scope`,
        [tokenHash, now],
      );
      return rows[0] === undefined ? null : { name: String(rows[0].name), scope: toScope(rows[0].scope) };
    },

    async listApiTokens(): Promise<ApiTokenRecord[]> {
      const rows = await db.query<Row>('select id, name, created_at, created_by, last_used_at, revoked_at, scope, expires_at from api_tokens order by created_at desc');
      return rows.map((row) => ({
        id: String(row.id),
        name: String(row.name),
        createdAt: isoRequired(row.created_at),
        createdBy: String(row.created_by),
        lastUsedAt: iso(row.last_used_at),
        revokedAt: iso(row.revoked_at),
        scope: toScope(row.scope),
        expiresAt: iso(row.expires_at),
      }));
    },

    async revokeApiToken(id: string, now: Date): Promise<boolean> {
      const rows = await db.query('update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
      return rows.length > 0;
    },
  };
}
