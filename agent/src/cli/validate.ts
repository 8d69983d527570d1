// zod checks for command-line values, so a bad value is refused by name before anything runs.
import * as z from 'zod';
import { UsageError } from './command.js';

/** A macOS short name as an admin types it: no path separators, control characters or leading dash. */
export const shortNameSchema = z
  .string()
  .min(1, 'is empty')
  .max(255, 'is longer than 255 characters')
  .refine((name) => !name.startsWith('-'), 'starts with "-"')
  .refine((name) => !/[/:\u0000-\u001f\u007f]/.test(name), 'contains "/", ":" or a control character');

/** Parse a value with a schema; a failure becomes a usage error naming the option and the value. */
export function parseOption<T>(schema: z.ZodType<T>, option: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const shown = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
    throw new UsageError(`--${option} ${shown} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}
