// Test helpers for the system layer: load captured fixtures, and install tiny fake tools (shell scripts
// at the real macOS paths under a temporary system root) that replay a fixture and record how they
// were called. Deliberately independent of test/macsim/.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setSystemRoot } from '../../agent/src/system/paths.js';
import { TOOL_PATHS, type ToolName } from '../../agent/src/system/tools.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

/** What a tool printed and how it exited. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Load a captured case: `fixture('macos-13/dscl-read-nixbld1')` reads .txt, .stderr.txt and .json. */
export function fixture(name: string): ToolOutput {
  const base = path.join(FIXTURES, name);
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  const stdout = read(`${base}.txt`);
  const stderr = read(`${base}.stderr.txt`);
  const meta = read(`${base}.json`);
  if (stdout === undefined && stderr === undefined) throw new Error(`loading fixture: ${name}: no .txt or .stderr.txt`);
  const exitCode = meta === undefined ? 0 : (JSON.parse(meta) as { exitCode: number }).exitCode;
  return { stdout: stdout ?? '', stderr: stderr ?? '', exitCode };
}

/** The stdout of a captured case. */
export function fixtureText(name: string): string {
  return fixture(name).stdout;
}

/** One recorded call of a fake tool. */
export interface FakeCall {
  args: string[];
  stdin: string;
}

/** A temporary system root with fake tools; call `dispose()` in afterEach. */
export class FakeMac {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Create an empty root and point the agent's systemPath() at it. */
  static create(): FakeMac {
    const mac = new FakeMac(mkdtempSync(path.join(tmpdir(), 'untether-system-')));
    setSystemRoot(mac.root);
    return mac;
  }

  private stateDir(tool: ToolName): string {
    return path.join(this.root, '.fake', tool);
  }

  /** Install a fake tool answering each call with the next response (the last one repeats). */
  install(tool: ToolName, responses: Partial<ToolOutput> | ReadonlyArray<Partial<ToolOutput>>): void {
    const list = Array.isArray(responses) ? responses : [responses as Partial<ToolOutput>];
    const state = this.stateDir(tool);
    rmSync(state, { recursive: true, force: true });
    mkdirSync(state, { recursive: true });
    list.forEach((response, index) => {
      writeFileSync(path.join(state, `${index + 1}.stdout`), response.stdout ?? '');
      writeFileSync(path.join(state, `${index + 1}.stderr`), response.stderr ?? '');
      writeFileSync(path.join(state, `${index + 1}.exit`), String(response.exitCode ?? 0));
    });
    const script = [
      '#!/bin/sh',
      `d='${state}'`,
      // Each call claims the first free number by creating its slot file exclusively (noclobber): calls made at
      // once (the agent reads /Users and /Groups in parallel) get distinct numbers, where reading and rewriting a
      // counter lost one of them.
      'n=1; while ! (set -C; : > "$d/slot.$n") 2>/dev/null; do n=$((n+1)); done',
      `k=$n; [ "$k" -gt ${list.length} ] && k=${list.length}`,
      'for a in "$@"; do printf "%s\\0" "$a"; done > "$d/call.$n.args"',
      'cat > "$d/call.$n.stdin"',
      'cat "$d/$k.stdout"; cat "$d/$k.stderr" >&2',
      'exit "$(cat "$d/$k.exit")"',
      '',
    ].join('\n');
    const file = path.join(this.root, TOOL_PATHS[tool]);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, script);
    chmodSync(file, 0o755);
  }

  /** Install a fake tool that replays a captured fixture case. */
  installFixture(tool: ToolName, name: string): void {
    this.install(tool, fixture(name));
  }

  /** The calls a fake tool received, in order. */
  calls(tool: ToolName): FakeCall[] {
    const state = this.stateDir(tool);
    const count = existsSync(state) ? readdirSync(state).filter((name) => name.startsWith('slot.')).length : 0;
    return Array.from({ length: count }, (_, index) => {
      const args = readFileSync(path.join(state, `call.${index + 1}.args`), 'utf8');
      return {
        args: args === '' ? [] : args.slice(0, -1).split('\0'),
        stdin: readFileSync(path.join(state, `call.${index + 1}.stdin`), 'utf8'),
      };
    });
  }

  /** A Mac path under this root, for file tests. */
  path(macPath: string): string {
    return path.join(this.root, macPath);
  }

  /** Remove the root and point systemPath() back at the environment. */
  dispose(): void {
    setSystemRoot(undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}
