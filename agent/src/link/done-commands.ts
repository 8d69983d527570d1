// Ids of commands this Mac already completed, kept on disk for a retention period so a replayed command is
// refused even after a restart. The retention is longer than the longest command validity, so an id that ages
// out can only come back expired.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { MAX_COMMAND_VALIDITY_MS } from '../../../protocol/src/index.js';
import { writeFileAtomic } from './token-file.js';

export const DONE_COMMANDS_FILE_NAME = 'commands-done.json';

/** Twice the longest validity of a command. */
export const DONE_RETENTION_MS = 2 * MAX_COMMAND_VALIDITY_MS;

const DoneFile = z.record(z.string(), z.iso.datetime({ offset: true }));

/** The persisted set of completed command ids. */
export class DoneCommands {
  readonly #file: string;
  readonly #done: Map<string, string>;

  private constructor(file: string, done: Map<string, string>) {
    this.#file = file;
    this.#done = done;
  }

  static open(dataDir: string): DoneCommands {
    const file = path.join(dataDir, DONE_COMMANDS_FILE_NAME);
    let entries: Record<string, string> = {};
    try {
      const parsed = DoneFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) entries = parsed.data;
    } catch {
      entries = {};
    }
    return new DoneCommands(file, new Map(Object.entries(entries)));
  }

  has(id: string): boolean {
    return this.#done.has(id);
  }

  ids(): Set<string> {
    return new Set(this.#done.keys());
  }

  /** Record a completed id and forget the ones past retention. */
  add(id: string, now: Date): void {
    this.#done.set(id, now.toISOString());
    for (const [doneId, at] of this.#done) {
      if (now.getTime() - Date.parse(at) > DONE_RETENTION_MS) this.#done.delete(doneId);
    }
    writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries(this.#done)));
  }
}
