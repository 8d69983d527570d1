// The Mac's name as admins see it in Jamf and System Settings (ComputerName), for reports.
import os from 'node:os';
import * as z from 'zod';
import { readPlistFile } from './files.js';

/** Where configd keeps the names (binary plist on a Mac): System → System → ComputerName / HostName. */
export const SYSTEM_CONFIGURATION_PREFERENCES = '/Library/Preferences/SystemConfiguration/preferences.plist';

const preferencesSchema = z.object({
  System: z.object({ System: z.object({ ComputerName: z.string().min(1).optional(), HostName: z.string().min(1).optional() }).optional() }).optional(),
});

/** ComputerName, else HostName, else the kernel's host name. */
export async function computerName(): Promise<string> {
  const raw = await readPlistFile(SYSTEM_CONFIGURATION_PREFERENCES).catch(() => undefined);
  const parsed = preferencesSchema.safeParse(raw);
  const names = parsed.success ? parsed.data.System?.System : undefined;
  return names?.ComputerName ?? names?.HostName ?? os.hostname();
}
