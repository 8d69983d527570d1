// What the agent keeps about the login window in its root-only data directory: the preset the admin asked
// for (so drift can be seen later, e.g. after an OS update reset the chain) and a backup of the whole right
// before every write (so a failed verify, or an admin, can put it back).
import * as z from 'zod';
import { dataPath, listDataFiles, readDataFile, removeDataFile, writeDataFile } from '../system/datastore.js';
import type { AuthorizationRight } from '../system/security.js';
import { LOGIN_CONSOLE_RIGHT } from '../system/security.js';
import { UntetherError } from '../errors.js';
import { loginWindowPresetSchema } from './presets.js';

/** Folder under Untether's data directory for login window files. */
export const LOGINWINDOW_DATA_DIR = 'loginwindow';
const DESIRED_FILE = 'desired.json';
const BACKUP_PREFIX = 'backup-';
/** Backups kept; older ones are removed after a successful write (one per apply; OS updates are rare). */
export const BACKUPS_KEPT = 20;

const desiredSchema = z.strictObject({
  schemaVersion: z.literal(1),
  preset: loginWindowPresetSchema,
  /** Who wrote the chain: Untether through `security authorizationdb write`, or Jamf's authchanger. */
  method: z.enum(['authorizationdb', 'authchanger']),
  appliedAt: z.iso.datetime(),
  /** The chain read back right after the write. */
  chain: z.array(z.string()),
  /** The macOS default chain at the time (authorization.plist). */
  osDefault: z.array(z.string()),
});

/** The login window the admin asked for, as recorded by the last successful apply or reset. */
export type DesiredLoginWindow = z.infer<typeof desiredSchema>;

const rightSchema = z.looseObject({ class: z.string(), mechanisms: z.array(z.string()).optional() });

const backupSchema = z.strictObject({
  schemaVersion: z.literal(1),
  right: z.string(),
  takenAt: z.iso.datetime(),
  reason: z.string(),
  definition: rightSchema,
});

/** A copy of the whole right as it was before a write. */
export type LoginWindowBackup = Omit<z.infer<typeof backupSchema>, 'definition'> & { definition: AuthorizationRight };

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string, macPath: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UntetherError('E_LOGINWINDOW_STATE', `reading ${what}: ${macPath}: not JSON`, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new UntetherError('E_LOGINWINDOW_STATE', `reading ${what}: ${macPath}: ${issues}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The Mac path of the desired-preset file. */
export function desiredPath(): string {
  return dataPath(LOGINWINDOW_DATA_DIR, DESIRED_FILE);
}

/** The preset last applied; undefined when the agent never managed the login window. */
export async function readDesired(): Promise<DesiredLoginWindow | undefined> {
  const text = await readDataFile(desiredPath());
  return text === undefined ? undefined : parseJson(text, desiredSchema, 'the desired login window', desiredPath());
}

/** Record the preset after a verified write. */
export async function writeDesired(desired: DesiredLoginWindow): Promise<void> {
  await writeDataFile(desiredPath(), desiredSchema.parse(desired));
}

// A backup must come back exactly; JSON keeps strings, numbers, booleans, arrays and dicts, and this right
// has nothing else. Refuse a right holding dates or data rather than write a backup that would lie.
function checkJsonSafe(value: unknown, where: string): void {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return;
  if (Array.isArray(value)) return value.forEach((item, index) => checkJsonSafe(item, `${where}[${index}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) checkJsonSafe(item, `${where}.${key}`);
    return;
  }
  throw new UntetherError('E_LOGINWINDOW_STATE', `backing up ${LOGIN_CONSOLE_RIGHT}: ${where} is a ${Object.prototype.toString.call(value)}, which a JSON backup cannot keep; nothing was changed`);
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');
}

/** Write a backup of the whole right before changing it; returns its Mac path. */
export async function writeBackup(definition: AuthorizationRight, takenAt: Date, reason: string): Promise<string> {
  checkJsonSafe(definition, 'right');
  const backup: LoginWindowBackup = { schemaVersion: 1, right: LOGIN_CONSOLE_RIGHT, takenAt: takenAt.toISOString(), reason, definition };
  const names = await listDataFiles(dataPath(LOGINWINDOW_DATA_DIR));
  // A counter keeps two backups taken in the same millisecond apart and in order.
  let counter = 1;
  const nameOf = (n: number) => `${BACKUP_PREFIX}${stamp(takenAt)}-${String(n).padStart(3, '0')}.json`;
  while (names.includes(nameOf(counter))) counter += 1;
  const name = nameOf(counter);
  const macPath = dataPath(LOGINWINDOW_DATA_DIR, name);
  await writeDataFile(macPath, backup);
  return macPath;
}

/** Read one backup file. */
export async function readBackup(macPath: string): Promise<LoginWindowBackup> {
  const text = await readDataFile(macPath);
  if (text === undefined) throw new UntetherError('E_LOGINWINDOW_STATE', `reading login window backup: ${macPath}: does not exist`);
  return parseJson(text, backupSchema, 'login window backup', macPath) as LoginWindowBackup;
}

/** Mac paths of the backups, oldest first. */
export async function listBackups(): Promise<string[]> {
  const names = await listDataFiles(dataPath(LOGINWINDOW_DATA_DIR));
  return names.filter((name) => name.startsWith(BACKUP_PREFIX) && name.endsWith('.json')).map((name) => dataPath(LOGINWINDOW_DATA_DIR, name));
}

/** Remove all but the newest BACKUPS_KEPT backups. */
export async function pruneBackups(): Promise<void> {
  const backups = await listBackups();
  for (const macPath of backups.slice(0, Math.max(0, backups.length - BACKUPS_KEPT))) await removeDataFile(macPath);
}
