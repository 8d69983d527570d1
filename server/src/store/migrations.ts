// Schema migrations, the same SQL text for PGlite and PostgreSQL. Append new migrations; never edit an applied one.
import type { SqlDriver } from './driver.js';

/** One migration step. */
interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Advisory lock key so that several instances starting together migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_274_001;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
create table enrollment_secrets (
  id uuid primary key,
  name text not null,
  secret_hash text not null unique,
  created_at timestamptz not null,
  expires_at timestamptz,
  revoked_at timestamptz,
  uses integer not null default 0
);

create table devices (
  id uuid primary key,
  hardware_uuid text not null unique,
  serial text not null,
  hostname text not null,
  token_hash text not null unique,
  enrolled_at timestamptz not null,
  enrollment_secret_id uuid references enrollment_secrets(id),
  agent_version text not null,
  protocol_version integer,
  capabilities jsonb not null default '[]',
  connected_instance text,
  last_seen_at timestamptz,
  identity_changed_at timestamptz,
  inventory jsonb,
  inventory_at timestamptz,
  domain text,
  bound boolean,
  ever_bound boolean not null default false,
  mobile_count integer,
  ever_mobile boolean not null default false,
  login_kind text,
  filevault text,
  macos_version text,
  stage text not null default 'scan',
  state text not null default 'unknown',
  waiting_for text,
  stage_state jsonb,
  stage_at timestamptz
);
create index devices_stage on devices (stage);
create index devices_state on devices (state);
create index devices_domain on devices (domain);
create index devices_last_seen on devices (last_seen_at);
create index devices_hostname on devices (hostname, id);

create table events (
  event_id uuid primary key,
  device_id uuid not null references devices(id) on delete cascade,
  seq bigint not null,
  time timestamptz not null,
  received_at timestamptz not null,
  kind text not null,
  user_name text,
  stage text,
  code text,
  message text,
  detail jsonb
);
create index events_device_time on events (device_id, time desc, seq desc);
create index events_received on events (received_at desc);
create index events_time on events (time desc, seq desc);

create table device_milestones (
  device_id uuid not null references devices(id) on delete cascade,
  milestone text not null,
  at timestamptz not null,
  primary key (device_id, milestone)
);
create index device_milestones_at on device_milestones (milestone, at);

create table commands (
  id uuid primary key,
  device_id uuid not null references devices(id) on delete cascade,
  batch_id uuid not null,
  type text not null,
  params jsonb not null,
  issued_at timestamptz not null,
  valid_until timestamptz not null,
  created_by text not null,
  status text not null,
  sent_at timestamptz,
  sent_by_instance text,
  finished_at timestamptz,
  result jsonb
);
create index commands_device_status on commands (device_id, status);
create index commands_status_valid on commands (status, valid_until);
create index commands_issued on commands (issued_at desc);

create table admins (
  username text primary key,
  password_hash text not null,
  created_at timestamptz not null
);

create table sessions (
  token_hash text primary key,
  username text not null references admins(username) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null
);

create table api_tokens (
  id uuid primary key,
  name text not null,
  token_hash text not null unique,
  created_at timestamptz not null,
  created_by text not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
`,
  },
  {
    version: 2,
    name: 'device revocation, re-enrollment approval, secret limits, API token scopes',
    sql: `
alter table devices alter column token_hash drop not null;
alter table devices add column revoked_at timestamptz;

alter table enrollment_secrets add column max_devices integer not null default 1000;
alter table enrollment_secrets add column enrolled_devices integer not null default 0;
update enrollment_secrets s set enrolled_devices = (select count(*) from devices d where d.enrollment_secret_id = s.id);

create table device_reenrollments (
  id uuid primary key,
  device_id uuid not null references devices(id) on delete cascade,
  request_hash text not null unique,
  serial text not null,
  hostname text not null,
  agent_version text not null,
  secret_id uuid references enrollment_secrets(id),
  remote_address text,
  requested_at timestamptz not null,
  approved_at timestamptz,
  approved_by text
);
create index device_reenrollments_device on device_reenrollments (device_id);

-- Tokens made before scopes could do everything but create tokens; they keep that ('admin').
alter table api_tokens add column scope text not null default 'admin';
alter table api_tokens alter column scope drop default;
alter table api_tokens add column expires_at timestamptz;
`,
  },
  {
    // perf-server (issue 13): dashboard device lists at 50,000 devices. If another branch also added a version 3,
    // renumber this one; it depends only on version 1's devices table.
    version: 3,
    name: 'perf-server: device list indexes in hostname order per filter, filter statistics, trigram search',
    sql: `
-- Each filter the dashboard offers walks its own index in the list's order (hostname, id), instead of the whole
-- hostname index filtered row by row; the equality lookups the old one-column indexes served still use these.
create index devices_stage_hostname on devices (stage, hostname, id);
create index devices_state_hostname on devices (state, hostname, id);
create index devices_domain_hostname on devices (domain, hostname, id);
-- Connected devices in list order: the "online" filter reads its first page without visiting offline ones.
create index devices_connected_hostname on devices (hostname, id) where connected_instance is not null;
drop index devices_stage;
drop index devices_state;
drop index devices_domain;
-- Stage, state and domain are correlated (a region migrates together): tell the planner, so a combined filter is
-- not estimated as their product.
create statistics devices_filter_stats (dependencies, mcv) on stage, state, domain from devices;

-- Substring search (hostname or serial ILIKE '%term%') through trigram indexes when pg_trgm can be had (PGlite
-- loads it; PostgreSQL ships it in contrib, trusted since 13). Without it, search scans the table as before.
do $$
begin
  create extension if not exists pg_trgm;
exception when others then
  raise notice 'pg_trgm is not available (%): device search will scan the devices table', sqlerrm;
end $$;
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    create index devices_hostname_trgm on devices using gin (hostname gin_trgm_ops);
    create index devices_serial_trgm on devices using gin (serial gin_trgm_ops);
  end if;
end $$;
`,
  },
  {
    // server-locks (issue 12): fleet-wide account locks, their commands, and the audit log. If another branch also
    // added a version 4, renumber this one; it depends only on version 1's commands table.
    version: 4,
    name: 'server-locks: account locks, lock id on commands, audit log',
    sql: `
create table account_locks (
  id uuid primary key,
  target_kind text not null check (target_kind in ('user', 'identity')),
  target text not null,
  -- lower(target): user names and identities match case-insensitively (macOS short names are case-insensitive).
  target_folded text not null,
  reason text not null,
  created_by text not null,
  created_at timestamptz not null,
  released_at timestamptz,
  released_by text,
  release_reason text
);
-- One active lock per target: a second one would only make its unlock ambiguous.
create unique index account_locks_active_target on account_locks (target_kind, target_folded) where released_at is null;
create index account_locks_created on account_locks (created_at desc, id);

alter table commands add column lock_id uuid references account_locks(id);
-- Which device state a lock-account or unlock-account was decided on (agent version, capabilities, profiles):
-- a refusal is retried early when this changes.
alter table commands add column device_fingerprint text;
create index commands_lock_device on commands (lock_id, device_id, issued_at desc) where lock_id is not null;
-- At most one open (pending or sent) command of a lock per device and type: the admin's fan-out and the inventory
-- path of another instance may both decide to send it.
create unique index commands_lock_open on commands (lock_id, device_id, type) where lock_id is not null and status in ('pending', 'sent');

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  subject text not null,
  detail jsonb not null default '{}'
);
create index audit_log_at on audit_log (at desc, id desc);
`,
  },
  {
    // issue 13: event ingest. No query orders or filters events by received_at (the timeline uses time and seq), so
    // its index only cost every insert an index update.
    version: 5,
    name: 'perf-ingest: drop the unused events_received index',
    sql: `drop index if exists events_received;`,
  },
  {
    // perf-api (issue 13): device search and last-seen churn at 50,000 devices. If another branch also added a
    // version 6, renumber this one; it depends only on versions 1 and 3.
    version: 6,
    name: 'perf-api: one trigram index for device search without a pending list; no last-seen index',
    sql: `
-- The two trigram indexes had GIN's pending list on (fastupdate): every row version written (a server start marks
-- its devices offline, agents' last-seen updates) went to an unsorted list that each search reads whole and the
-- planner prices in, until a vacuum merged it (PGlite vacuums every 10 minutes). At 37,500 such rows the search
-- fell back to a scan of the table (45 ms alone). One index over both columns, updated in place, keeps search on
-- the index; the query still tests each column (the index only narrows the rows).
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    drop index if exists devices_hostname_trgm;
    drop index if exists devices_serial_trgm;
    create index devices_search_trgm on devices using gin ((hostname || ' ' || serial) gin_trgm_ops) with (fastupdate = off);
  end if;
end $$;
-- No query looks devices up by last-seen time (the online filter uses the connected-devices index): without this
-- index a last-seen update touches no indexed column and can be a heap-only update, writing no index at all.
drop index if exists devices_last_seen;
`,
  },
  {
    // issue 13: event ingest. The per-row foreign-key check (a locking lookup of the device for every event) was about
    // a fifth of an event's cost in PGlite. insertEvents locks each device of a batch once instead, and deleteDevice
    // deletes the events itself; see docs/decisions/2026-12-03-events-without-foreign-key.md.
    version: 7,
    name: 'perf-ingest: events checked against devices once per batch, not by a per-row foreign key',
    sql: `alter table events drop constraint if exists events_device_id_fkey;`,
  },
];

/** Apply every migration not yet applied, under an advisory lock; returns the versions applied now. */
export async function migrate(driver: SqlDriver): Promise<number[]> {
  return driver.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null)');
    const rows = await tx.query<{ version: number }>('select version from schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const appliedNow: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (version, name, applied_at) values ($1, $2, now())', [migration.version, migration.name]);
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}
