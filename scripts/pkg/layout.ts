// What the installer package puts on a Mac: every path, its mode and where it comes from. The one list the
// payload builder writes from, the payload check verifies against, the launchd plist test compares with, and
// the uninstall script removes (scripts/pkg/uninstall.sh lists the same top-level paths; a test checks).
import path from 'node:path';

/** Package identifier: the receipt `pkgutil --forget` removes. Equal to the launchd label on purpose. */
export const PKG_IDENTIFIER = 'io.untether.agent';
export const LAUNCHD_LABEL = 'io.untether.agent';

/** Mac paths the package installs. Root-owned and outside /usr/local, which admins and tools make user-writable. */
export const INSTALL_PATHS = {
  supportDir: '/Library/Application Support/Untether',
  binDir: '/Library/Application Support/Untether/bin',
  libDir: '/Library/Application Support/Untether/lib',
  /** What launchd runs: the standalone executable, or a launcher of the shipped runtime. */
  executable: '/Library/Application Support/Untether/bin/untether',
  /** The agent as one JavaScript file (ESM, Node 24). */
  bundle: '/Library/Application Support/Untether/lib/untether.mjs',
  /** A macOS Node runtime, only in the "runtime" flavour (no standalone executable). */
  runtime: '/Library/Application Support/Untether/lib/node',
  uninstall: '/Library/Application Support/Untether/uninstall.sh',
  launchDaemon: `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`,
  logDir: '/Library/Logs/Untether',
  /** newsyslog caps launchd's stdout/stderr files (the agent rotates agent.log itself). /etc is /private/etc. */
  newsyslog: `/private/etc/newsyslog.d/${LAUNCHD_LABEL}.conf`,
} as const;

/** Top-level paths the uninstall removes (everything the package and the agent create lives under these). */
export const UNINSTALL_PATHS = [INSTALL_PATHS.launchDaemon, INSTALL_PATHS.supportDir, INSTALL_PATHS.newsyslog, INSTALL_PATHS.logDir] as const;

/** How the executable at bin/untether is made. */
export type ExecutableFlavour =
  /** pkg or a Node single executable application: one Mach-O, no runtime beside it. */
  | 'standalone'
  /** A launcher script running lib/untether.mjs with the shipped lib/node. */
  | 'runtime'
  /** No macOS executable could be made here: the tree is built and checked, but cannot be packaged. */
  | 'none';

export interface PayloadItem {
  macPath: string;
  kind: 'file' | 'directory';
  mode: number;
  /** Only in some flavours. */
  flavours?: readonly ExecutableFlavour[];
}

/** Every item of the payload, parents before children. */
export function payloadItems(flavour: ExecutableFlavour): PayloadItem[] {
  const items: PayloadItem[] = [
    { macPath: '/Library/LaunchDaemons', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.launchDaemon, kind: 'file', mode: 0o644 },
    { macPath: INSTALL_PATHS.supportDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.binDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.executable, kind: 'file', mode: 0o755, flavours: ['standalone', 'runtime'] },
    { macPath: INSTALL_PATHS.libDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.bundle, kind: 'file', mode: 0o644 },
    { macPath: INSTALL_PATHS.runtime, kind: 'file', mode: 0o755, flavours: ['runtime'] },
    { macPath: INSTALL_PATHS.uninstall, kind: 'file', mode: 0o755 },
    // Root-only: the log may name accounts; secrets never reach it (agent/src/log/redact.ts).
    { macPath: INSTALL_PATHS.logDir, kind: 'directory', mode: 0o750 },
    { macPath: '/private/etc/newsyslog.d', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.newsyslog, kind: 'file', mode: 0o644 },
  ];
  return items.filter((item) => item.flavours === undefined || item.flavours.includes(flavour));
}

/** Installer scripts (Scripts/ of the component package), all executable. */
export const INSTALLER_SCRIPTS = ['preinstall', 'postinstall'] as const;

/** A Mac path inside a payload root directory on this machine. */
export function inPayload(payloadRoot: string, macPath: string): string {
  return path.join(payloadRoot, macPath);
}
