// Runs the built `untether` CLI as a child process, the way an admin or launchd does.
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Works both from test/helpers (vitest, TypeScript) and dist/test/helpers (built JavaScript).
const projectRoot = path.basename(path.dirname(repoRoot)) === 'dist' ? path.dirname(path.dirname(repoRoot)) : repoRoot;

/** The built CLI entry, as package.json's bin.untether names it. */
export const UNTETHER_BIN = path.join(projectRoot, 'dist', 'agent', 'src', 'cli', 'main.js');

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run `untether ARGS` against a system root, optionally as another uid (e.g. 65534 to test "not root"). */
export async function runUntether(
  args: readonly string[],
  options: { root: string; uid?: number; input?: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliRun> {
  const result = await execa(process.execPath, [UNTETHER_BIN, ...args], {
    env: { UNTETHER_SYSTEM_ROOT: options.root, ...options.env },
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 60_000,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
