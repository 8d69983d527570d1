// Loggers for tests: silent by default, or capturing every record for assertions on what was (not) logged.
import { Writable } from 'node:stream';
import winston from 'winston';
import { redactSecrets } from '../../../server/src/log.js';

/** A logger that writes nothing. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, defaultMeta: { component: 'test' } });
}

/** A logger that keeps every formatted line, so a test can check that no secret was written. */
export function capturingLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(redactSecrets(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}
