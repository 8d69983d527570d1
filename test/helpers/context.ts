// An in-memory CommandContext: captures what a command prints, answers confirmations as told.
import type { CommandContext } from '../../agent/src/cli/command.js';

export interface CapturedContext extends CommandContext {
  out: () => string;
  err: () => string;
  questions: string[];
}

export function captureContext(options: { interactive?: boolean; answer?: boolean; now?: Date } = {}): CapturedContext {
  let out = '';
  let err = '';
  const questions: string[] = [];
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    interactive: options.interactive ?? false,
    async confirm(question) {
      questions.push(question);
      return options.answer ?? false;
    },
    now: () => options.now ?? new Date('2026-11-24T12:00:00Z'),
    out: () => out,
    err: () => err,
    questions,
  };
}
