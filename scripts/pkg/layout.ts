// What the installer package puts on a Mac: every path, its mode and where it comes from. The one list the
// payload builder writes from, the payload check verifies against, the launchd plist test compares with, and
// the uninstall script removes (scripts/pkg/uninstall.sh lists the same top-level paths; a test checks).
import path from 'node:path';

/** Launchd label and the stem of every package identifier. */
export const LAUNCHD_LABEL = 'io.untether.agent';
/** Kept for callers that name "the package": the stem the per-architecture receipts share. */
export const PKG_IDENTIFIER = LAUNCHD_LABEL;

/** The two Mac architectures the product archive carries, each with its own official Node runtime. */
export const ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * Receipt identifier of the component for one architecture. Two self-contained components (each with the agent
 * and its own runtime) rather than a shared one plus runtime-only ones: one set of scripts runs, once, in a known
 * order, and one receipt lists every installed file (docs/decisions/2026-12-02-installer-package.md).
 */
export function componentIdentifier(arch: Architecture): string {
  return `${LAUNCHD_LABEL}.${arch}`;
}

/** Who signed the official macOS Node runtime (Node.js Foundation's Developer ID); the build checks the runtime's signature names these. */
export const RUNTIME_SIGNER = { identifier: 'node', teamId: 'HX7739G8FX' } as const;

/** Mac paths the package installs. Root-owned and outside /usr/local, which admins and tools make user-writable. */
/**
 * Options launchd gives the runtime before the bundle: V8's lite mode keeps the idle daemon small
 * (docs/decisions/2026-12-03-daemon-lite-mode.md). launchd/io.untether.agent.plist carries them; a test pins both.
 */
export const DAEMON_RUNTIME_OPTIONS = ['--lite-mode'] as const;

export const INSTALL_PATHS = {
  supportDir: '/Library/Application Support/Untether',
  /** The admin command's directory, named by the paths.d entry so `untether` is on an admin's PATH. */
  binDir: '/Library/Application Support/Untether/bin',
  /** The admin command: says "run with sudo" to a non-root user, else runs the runtime on the bundle. */
  adminCommand: '/Library/Application Support/Untether/bin/untether',
  libDir: '/Library/Application Support/Untether/lib',
  /** The agent as one JavaScript file (ESM, Node 24+). */
  bundle: '/Library/Application Support/Untether/lib/untether.mjs',
  /** Root-only (0700): a Full Disk Access grant to the runtime cannot be borrowed by a local user running it. */
  runtimeDir: '/Library/Application Support/Untether/runtime',
  /** The official macOS Node runtime, byte for byte as the Node.js project signed it. What launchd runs. */
  runtime: '/Library/Application Support/Untether/runtime/node',
  /** The installed version, root-owned: preinstall refuses to install an older one over it. */
  version: '/Library/Application Support/Untether/VERSION',
  uninstall: '/Library/Application Support/Untether/uninstall.sh',
  launchDaemon: `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`,
  /** path_helper(8) adds the directory this file names to every login shell's PATH. /etc is /private/etc. */
  pathsEntry: `/private/etc/paths.d/${LAUNCHD_LABEL}`,
  logDir: '/Library/Logs/Untether',
  /** newsyslog caps launchd's stdout/stderr files (the agent rotates agent.log itself). */
  newsyslog: `/private/etc/newsyslog.d/${LAUNCHD_LABEL}.conf`,
} as const;

/** Data the agent keeps under supportDir that an upgrade must keep and the uninstall keeps when asked to. */
export const AGENT_DATA = {
  journal: `${INSTALL_PATHS.supportDir}/journal`,
  journalHistory: `${INSTALL_PATHS.supportDir}/journal-history`,
  snapshots: `${INSTALL_PATHS.supportDir}/snapshots`,
  actionLock: `${INSTALL_PATHS.supportDir}/action.lock`,
} as const;

/** Top-level paths the uninstall removes (everything the package and the agent create lives under these). */
export const UNINSTALL_PATHS = [INSTALL_PATHS.launchDaemon, INSTALL_PATHS.pathsEntry, INSTALL_PATHS.newsyslog, INSTALL_PATHS.supportDir, INSTALL_PATHS.logDir] as const;

/** Where a payload file's bytes come from. */
export type PayloadSource =
  | { from: 'repo'; file: string }
  | { from: 'bundle' }
  | { from: 'runtime' }
  | { from: 'version' }
  | { from: 'text'; text: string };

export interface PayloadItem {
  macPath: string;
  kind: 'file' | 'directory';
  mode: number;
  /** Files only. */
  source?: PayloadSource;
}

/** The paths.d entry: one directory per line. */
export const PATHS_ENTRY_TEXT = `${INSTALL_PATHS.binDir}\n`;

/** Every item of the payload, parents before children. Every item is root:wheel. */
export function payloadItems(): PayloadItem[] {
  return [
    { macPath: '/Library', kind: 'directory', mode: 0o755 },
    { macPath: '/Library/Application Support', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.supportDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.version, kind: 'file', mode: 0o644, source: { from: 'version' } },
    { macPath: INSTALL_PATHS.uninstall, kind: 'file', mode: 0o755, source: { from: 'repo', file: 'scripts/pkg/uninstall.sh' } },
    { macPath: INSTALL_PATHS.binDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.adminCommand, kind: 'file', mode: 0o755, source: { from: 'repo', file: 'scripts/pkg/untether' } },
    { macPath: INSTALL_PATHS.libDir, kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.bundle, kind: 'file', mode: 0o644, source: { from: 'bundle' } },
    { macPath: INSTALL_PATHS.runtimeDir, kind: 'directory', mode: 0o700 },
    { macPath: INSTALL_PATHS.runtime, kind: 'file', mode: 0o755, source: { from: 'runtime' } },
    { macPath: '/Library/LaunchDaemons', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.launchDaemon, kind: 'file', mode: 0o644, source: { from: 'repo', file: `launchd/${LAUNCHD_LABEL}.plist` } },
    // Root-only: the log may name accounts; secrets never reach it (agent/src/log/redact.ts).
    { macPath: '/Library/Logs', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.logDir, kind: 'directory', mode: 0o750 },
    { macPath: '/private', kind: 'directory', mode: 0o755 },
    { macPath: '/private/etc', kind: 'directory', mode: 0o755 },
    { macPath: '/private/etc/newsyslog.d', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.newsyslog, kind: 'file', mode: 0o644, source: { from: 'repo', file: 'scripts/pkg/newsyslog.conf' } },
    { macPath: '/private/etc/paths.d', kind: 'directory', mode: 0o755 },
    { macPath: INSTALL_PATHS.pathsEntry, kind: 'file', mode: 0o644, source: { from: 'text', text: PATHS_ENTRY_TEXT } },
  ];
}

/** Installer scripts (Scripts/ of each component package), all executable. */
export const INSTALLER_SCRIPTS = ['preinstall', 'postinstall'] as const;

/** A Mac path inside a payload root directory on this machine. */
export function inPayload(payloadRoot: string, macPath: string): string {
  return path.join(payloadRoot, macPath);
}
