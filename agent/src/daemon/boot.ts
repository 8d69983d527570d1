// Whether this start of the daemon is the first since the Mac booted (the "boot" demobilize time): the
// boot time is remembered in the data directory, so a restart by launchd is not mistaken for a boot.
import os from 'node:os';
import { dataPath, readDataFile, writeDataFile } from '../system/datastore.js';

// Boot times computed from uptime wobble by a second or two; anything closer than this is the same boot.
const SAME_BOOT_TOLERANCE_MS = 60_000;

/** True the first time it is called after each boot; records the boot. */
export async function isFirstStartSinceBoot(now: Date): Promise<boolean> {
  const bootedAt = now.getTime() - os.uptime() * 1000;
  const path = dataPath('last-boot.json');
  const text = await readDataFile(path);
  const previous = text === undefined ? undefined : Number((JSON.parse(text) as { bootedAt?: unknown }).bootedAt);
  if (previous !== undefined && Number.isFinite(previous) && Math.abs(previous - bootedAt) < SAME_BOOT_TOLERANCE_MS) return false;
  await writeDataFile(path, { bootedAt });
  return true;
}
