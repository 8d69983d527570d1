// Full Disk Access (TCC "SystemPolicyAllFiles") decides whether a root daemon may touch files in users'
// homes. Probed by opening the system TCC database, which only a process with Full Disk Access can read.
// (A root daemon's own home is not a reliable probe; deployment-and-fleet.md B8.)
import { open } from 'node:fs/promises';
import { systemPath } from './paths.js';

export const TCC_DATABASE = '/Library/Application Support/com.apple.TCC/TCC.db';

export type FullDiskAccess = 'granted' | 'denied' | 'unknown';

/** Whether this process has Full Disk Access, judged by opening the system TCC database. */
export async function probeFullDiskAccess(): Promise<FullDiskAccess> {
  try {
    const file = await open(systemPath(TCC_DATABASE), 'r');
    // A directory opens but cannot be read; read one byte to be sure the data is reachable.
    try {
      await file.read(Buffer.alloc(1), 0, 1, 0);
    } finally {
      await file.close();
    }
    return 'granted';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'EACCES' || code === 'EISDIR') return 'denied';
    return 'unknown';
  }
}
