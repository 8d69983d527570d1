import path from 'node:path';

// Every absolute path the agent touches goes through systemPath(), so a test or the demo can point
// the whole agent at a simulated Mac by setting UNTETHER_SYSTEM_ROOT. On a real Mac the root is "/".
let overrideRoot: string | undefined;

/** The directory that stands for "/" of the Mac the agent manages. */
export function systemRoot(): string {
  return overrideRoot ?? process.env.UNTETHER_SYSTEM_ROOT ?? '/';
}

/** Point the agent at another system root (tests running in-process). Pass undefined to go back to the environment. */
export function setSystemRoot(root: string | undefined): void {
  overrideRoot = root === undefined ? undefined : path.resolve(root);
}

/** Resolve a macOS absolute path (e.g. "/usr/bin/dscl") under the system root. */
export function systemPath(macPath: string): string {
  if (!path.posix.isAbsolute(macPath)) {
    throw new Error(`resolving system path: "${macPath}" is not absolute`);
  }
  const root = systemRoot();
  return root === '/' ? macPath : path.join(root, macPath);
}

/** The Mac-side paths the agent reads and writes, before the system root is applied. */
export const MAC_PATHS = {
  supportDir: '/Library/Application Support/Untether',
  logDir: '/Library/Logs/Untether',
  managedPreferencesDir: '/Library/Managed Preferences',
  preferencesDir: '/Library/Preferences',
  usersDir: '/Users',
  authorizationDefaults: '/System/Library/Security/authorization.plist',
  loginwindowPreferences: '/Library/Preferences/com.apple.loginwindow.plist',
  managedLoginwindowPreferences: '/Library/Managed Preferences/com.apple.loginwindow.plist',
  console: '/dev/console',
} as const;
