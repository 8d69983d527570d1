// Winston JSON logging for the server. Every logger has a `component`; messages are fixed event names with
// structured fields; values under secret-looking keys are replaced before any transport sees them.
import winston from 'winston';

/** Field names whose values are never written to a log. */
const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|secret|password|enrollsecret|enrollmentsecret|apitoken|passwordhash|tokenhash)$/i;

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, SECRET_KEYS.test(key) ? '[redacted]' : redactValue(inner, depth + 1)]),
  );
}

/** A winston format that masks secret fields at any depth. */
export const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
    else info[key] = redactValue(info[key], 0);
  }
  return info;
});

/** Create the root logger of the server. Use componentLogger() for every module: child meta sets `component`. */
export function createServerLogger(options: { level?: string; silent?: boolean } = {}): winston.Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger for one component. */
export function componentLogger(root: winston.Logger, component: string): winston.Logger {
  return root.child({ component });
}
