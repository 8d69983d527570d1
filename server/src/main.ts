#!/usr/bin/env node
// untether-server: read the environment, open the store, listen, stop cleanly on SIGTERM/SIGINT.
import { buildServer } from './app.js';
import { systemClock } from './clock.js';
import { onlineGraceMs } from './config.js';
import { settingsFromEnv } from './env.js';
import { componentLogger, createServerLogger } from './log.js';
import { openStore } from './store/open.js';

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const root = createServerLogger({ level: settings.logLevel });
  const logger = componentLogger(root, 'main');
  const store = await openStore(settings.store, { onlineGraceMs: onlineGraceMs(settings.config), logger: componentLogger(root, 'store') });
  const app = buildServer({ store, clock: systemClock, logger: root, config: settings.config });
  await app.start();
  await new Promise<void>((resolve) => app.server.listen(settings.port, settings.host, resolve));
  logger.info('server_listening', { host: settings.host, port: settings.port, store: store.kind, tls: settings.config.tls !== undefined, instanceId: settings.config.instanceId });
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

main().catch((error: unknown) => {
  process.stderr.write(`untether-server: ${(error as Error).message}\n`);
  process.exit(1);
});
