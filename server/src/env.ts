// Reads the server's settings from environment variables (pure: the environment is passed in). Only main.ts
// calls this with process.env.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { summarizeIssues } from '../../protocol/src/index.js';
import { parseTrustedProxies } from './auth/client-address.js';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import type { StoreLocation } from './store/open.js';

const Env = z.object({
  UNTETHER_HOST: z.string().default('127.0.0.1'),
  UNTETHER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: z.string().url().optional(),
  UNTETHER_DATA_DIR: z.string().default('./untether-data'),
  UNTETHER_TLS_CERT_FILE: z.string().optional(),
  UNTETHER_TLS_KEY_FILE: z.string().optional(),
  UNTETHER_ADMIN_USER: z.string().min(1).default('admin'),
  UNTETHER_ADMIN_PASSWORD_FILE: z.string().optional(),
  UNTETHER_INSTANCE_ID: z.string().min(1).max(128).optional(),
  UNTETHER_HEARTBEAT_SECONDS: z.coerce.number().int().min(5).max(3600).optional(),
  UNTETHER_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  UNTETHER_TRUSTED_PROXIES: z.string().max(4096).optional(),
  UNTETHER_EXPECTED_DEVICES: z.coerce.number().int().min(0).max(10_000_000).optional(),
  UNTETHER_LOCK_RETRY_MINUTES: z.coerce.number().int().min(1).max(525_600).optional(),
  UNTETHER_LOCK_FOLLOW_UP_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
});

/** Everything main.ts needs to start. */
export interface ServerSettings {
  host: string;
  port: number;
  store: StoreLocation;
  config: ServerConfig;
  logLevel: string;
  /** Fleet size the open-files limit is checked against at start, when above the enrolled count. */
  expectedDevices: number | undefined;
}

/** Where the dashboard's files are, relative to the compiled server (dist/server/src/). */
export function defaultDashboardDirs(): { staticDir: string; scriptDir: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return { staticDir: path.resolve(here, '../../../server/dashboard/static'), scriptDir: path.resolve(here, '../dashboard') };
}

/** Comma-separated addresses or CIDR ranges, checked now so a typo stops the start instead of trusting nobody. */
function trustedProxies(raw: string | undefined): string[] {
  const entries = (raw ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  try {
    parseTrustedProxies(entries);
  } catch (error) {
    throw new Error(`reading the environment: UNTETHER_TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  return entries;
}

/** Parse the environment into settings; throws a readable error naming the bad variables. */
export function settingsFromEnv(rawEnv: Record<string, string | undefined>): ServerSettings {
  const parsed = Env.safeParse(rawEnv);
  if (!parsed.success) throw new Error(`reading the environment: ${summarizeIssues(parsed.error.issues)}`);
  const env = parsed.data;
  if ((env.UNTETHER_TLS_CERT_FILE === undefined) !== (env.UNTETHER_TLS_KEY_FILE === undefined)) {
    throw new Error('reading the environment: set both UNTETHER_TLS_CERT_FILE and UNTETHER_TLS_KEY_FILE, or neither');
  }
  const tls =
    env.UNTETHER_TLS_CERT_FILE !== undefined && env.UNTETHER_TLS_KEY_FILE !== undefined
      ? { cert: readFileSync(env.UNTETHER_TLS_CERT_FILE, 'utf8'), key: readFileSync(env.UNTETHER_TLS_KEY_FILE, 'utf8') }
      : undefined;
  const password = env.UNTETHER_ADMIN_PASSWORD_FILE === undefined ? undefined : readFileSync(env.UNTETHER_ADMIN_PASSWORD_FILE, 'utf8').trim();
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    instanceId: env.UNTETHER_INSTANCE_ID ?? `${os.hostname()}-${process.pid}`,
    heartbeatIntervalMs: (env.UNTETHER_HEARTBEAT_SECONDS ?? DEFAULT_CONFIG.heartbeatIntervalMs / 1000) * 1000,
    tls,
    trustedProxies: trustedProxies(env.UNTETHER_TRUSTED_PROXIES),
    initialAdmin: password === undefined ? undefined : { username: env.UNTETHER_ADMIN_USER, password },
    dashboard: defaultDashboardDirs(),
    lockRetryAfterRefusalMs: env.UNTETHER_LOCK_RETRY_MINUTES === undefined ? DEFAULT_CONFIG.lockRetryAfterRefusalMs : env.UNTETHER_LOCK_RETRY_MINUTES * 60_000,
    lockFollowUpMs: env.UNTETHER_LOCK_FOLLOW_UP_DAYS === undefined ? DEFAULT_CONFIG.lockFollowUpMs : env.UNTETHER_LOCK_FOLLOW_UP_DAYS * 86_400_000,
  };
  return {
    host: env.UNTETHER_HOST,
    port: env.UNTETHER_PORT ?? (tls === undefined ? 8080 : 8443),
    store: env.DATABASE_URL !== undefined ? { kind: 'postgres', connectionString: env.DATABASE_URL } : { kind: 'pglite', dataDir: path.resolve(env.UNTETHER_DATA_DIR) },
    config,
    logLevel: env.UNTETHER_LOG_LEVEL,
    expectedDevices: env.UNTETHER_EXPECTED_DEVICES,
  };
}
