// Authorization plug-ins: a login mechanism "Plugin:Mechanism" is loaded from Plugin.bundle. Third-party
// bundles live in /Library/Security/SecurityAgentPlugins; a chain that names a plug-in that is not
// installed stops every login at the login window, so the agent checks before it writes one.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { systemPath } from './paths.js';

/** Where third-party authorization plug-ins are installed. */
export const SECURITY_AGENT_PLUGINS_DIR = '/Library/Security/SecurityAgentPlugins';

/** The Mac path of a plug-in's bundle, e.g. JamfConnectLogin → …/JamfConnectLogin.bundle. */
export function pluginBundlePath(plugin: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(plugin)) throw new TypeError(`authorization plug-in: "${plugin}" is not a plug-in name`);
  return path.posix.join(SECURITY_AGENT_PLUGINS_DIR, `${plugin}.bundle`);
}

/** Whether a third-party authorization plug-in's bundle is installed (a directory, not a symlink). */
export async function isPluginInstalled(plugin: string): Promise<boolean> {
  try {
    return (await lstat(systemPath(pluginBundlePath(plugin)))).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
