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

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const root = createServerLogger({ level: settings.logLevel });
  const logger = componentLogger(root, 'main');
  const store = await openStore(settings.store, { onlineGraceMs: onlineGraceMs(settings.config), logger: componentLogger(root, 'store') });
  await reportOpenFilesLimit(store, settings.expectedDevices, logger);
  const app = buildServer({ store, clock: systemClock, logger: root, config: settings.config });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(settings.port, settings.host, resolve));
  logger.info('server_listening', { host: settings.host, port: (app.server.address() as AddressInfo | null)?.port ?? settings.port, store: store.kind, tls: settings.config.tls !== undefined, instanceId: settings.config.instanceId });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('server_stopping', { signal });
    app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error('server_stop_failed', { error: (error as Error).message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
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
