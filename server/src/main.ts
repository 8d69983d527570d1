#!/usr/bin/env node
// untether-server: read the environment, open the store, listen, stop cleanly on SIGTERM/SIGINT.
import type { AddressInfo } from 'node:net';
import { buildServer } from './app.js';
import { systemClock } from './clock.js';
import { onlineGraceMs } from './config.js';
import { settingsFromEnv } from './env.js';
import { openFilesShortfall, readOpenFilesLimit } from './fd-limit.js';
import { componentLogger, createServerLogger } from './log.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import type { Logger } from 'winston';

/** Longest a server whose embedded database died spends closing before it exits anyway. */
const STOP_AFTER_STORE_LOST_MS = 10_000;

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const root = createServerLogger({ level: settings.logLevel });
  const logger = componentLogger(root, 'main');
  let stop: (reason: string, exitCode: number) => void = () => process.exit(1);
  const store = await openStore(settings.store, {
    onlineGraceMs: onlineGraceMs(settings.config),
    logger: componentLogger(root, 'store'),
    // Every call would fail from now on: exit, so that the supervisor (systemd Restart=on-failure) starts a server
    // that opens the database again, instead of one that answers every agent with an error. Closing cannot wait on
    // the dead database for long.
    onLost: (error) => {
      logger.error('store_lost', { error: error.message });
      setTimeout(() => process.exit(1), STOP_AFTER_STORE_LOST_MS).unref();
      stop('store_lost', 1);
    },
  });
  await reportOpenFilesLimit(store, settings.expectedDevices, logger);
  const app = buildServer({ store, clock: systemClock, logger: root, config: settings.config });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(settings.port, settings.host, resolve));
  logger.info('server_listening', { host: settings.host, port: (app.server.address() as AddressInfo | null)?.port ?? settings.port, store: store.kind, tls: settings.config.tls !== undefined, instanceId: settings.config.instanceId });
  let stopping = false;
  stop = (reason, exitCode) => {
    if (stopping) return;
    stopping = true;
    logger.info('server_stopping', { reason });
    app
      .close()
      .then(() => store.close())
      .then(() => process.exit(exitCode))
      .catch((error: unknown) => {
        logger.error('server_stop_failed', { error: (error as Error).message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
}

/** Log the open-files limit, and warn when it cannot hold a socket per enrolled (or expected) device. */
async function reportOpenFilesLimit(store: Store, expectedDevices: number | undefined, logger: Logger): Promise<void> {
  const limit = readOpenFilesLimit();
  if (limit === undefined) return;
  const enrolled = await store.countDevices({}, new Date());
  const devices = Math.max(enrolled, expectedDevices ?? 0);
  logger.info('open_files_limit', { soft: limit.soft ?? 'unlimited', hard: limit.hard ?? 'unlimited', enrolledDevices: enrolled, expectedDevices: devices });
  const shortfall = openFilesShortfall(limit, devices);
  if (shortfall !== undefined) logger.warn('open_files_limit_low', { detail: shortfall, soft: limit.soft, hard: limit.hard, expectedDevices: devices });
}

main().catch((error: unknown) => {
  process.stderr.write(`untether-server: ${(error as Error).message}\n`);
  process.exit(1);
});
