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

/** What node-mac-permissions' getAuthStatus('full-disk-access') answered, or why it was not asked. */
export type PermissionsModuleAnswer =
  | { kind: 'answered'; status: string }
  | { kind: 'unavailable'; reason: 'not-macos' | 'not-installed' | 'failed'; detail?: string };

/** Both views of Full Disk Access, for `untether status` and the server. */
export interface FullDiskAccessReport {
  /** The verdict: the file probe when it is conclusive, else the module's answer. */
  status: FullDiskAccess;
  /** Opening the TCC database (reliable for a root daemon). */
  probe: FullDiskAccess;
  /** node-mac-permissions, whose own check opens files in the process's home (/var/root for the daemon). */
  permissionsModule: PermissionsModuleAnswer;
}

/** The part of node-mac-permissions the agent uses. */
interface PermissionsModule {
  getAuthStatus(type: 'full-disk-access'): string;
}

// A variable specifier: neither TypeScript nor the bundler resolves it, so the optional, macOS-only native
// module is looked up at run time beside the agent and its absence is an answer, not a build error.
const PERMISSIONS_MODULE = 'node-mac-permissions';

/** Load node-mac-permissions when it is installed (macOS only); undefined when it is not. */
async function loadPermissionsModule(): Promise<PermissionsModule | undefined> {
  try {
    const loaded = (await import(PERMISSIONS_MODULE)) as { default?: PermissionsModule } & Partial<PermissionsModule>;
    const candidate = typeof loaded.getAuthStatus === 'function' ? loaded : loaded.default;
    return typeof candidate?.getAuthStatus === 'function' ? (candidate as PermissionsModule) : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Ask node-mac-permissions, skipping it off macOS and when it is not installed. */
export async function askPermissionsModule(
  options: { platform?: NodeJS.Platform; load?: () => Promise<PermissionsModule | undefined> } = {},
): Promise<PermissionsModuleAnswer> {
  if ((options.platform ?? process.platform) !== 'darwin') return { kind: 'unavailable', reason: 'not-macos' };
  try {
    const permissions = await (options.load ?? loadPermissionsModule)();
    if (permissions === undefined) return { kind: 'unavailable', reason: 'not-installed' };
    return { kind: 'answered', status: permissions.getAuthStatus('full-disk-access') };
  } catch (error) {
    return { kind: 'unavailable', reason: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Full Disk Access from both sources. The TCC probe decides when it can (granted or denied); the module's
 * heuristic decides only when the probe could not tell, because for root its files usually do not exist.
 */
export async function checkFullDiskAccess(
  options: { platform?: NodeJS.Platform; load?: () => Promise<PermissionsModule | undefined> } = {},
): Promise<FullDiskAccessReport> {
  const [probe, permissionsModule] = await Promise.all([probeFullDiskAccess(), askPermissionsModule(options)]);
  let status = probe;
  if (probe === 'unknown' && permissionsModule.kind === 'answered') {
    status = permissionsModule.status === 'authorized' ? 'granted' : permissionsModule.status === 'denied' ? 'denied' : 'unknown';
  }
  return { status, probe, permissionsModule };
}
