import { readFileSync } from 'node:fs';

// The bundled Mac payload has no package.json beside it; the build replaces this through a define.
declare const __UNTETHER_VERSION__: string | undefined;

/** The agent's version, as in package.json. */
export function agentVersion(): string {
  if (typeof __UNTETHER_VERSION__ === 'string') return __UNTETHER_VERSION__;
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const raw: unknown = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8'));
      if (raw && typeof raw === 'object' && 'name' in raw && raw.name === 'untether' && 'version' in raw) {
        return String(raw.version);
      }
    } catch {
      // Not at this depth (source vs dist layout); try the next.
    }
  }
  return '0.0.0-unknown';
}
