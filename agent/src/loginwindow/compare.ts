// Comparing login chains, pure: the line diff a dry run prints, and whether the chain on the Mac still is
// the one the admin asked for (drift), so the daemon can re-apply a preset after an OS update reset it.
import { mechanismPlugin, sameChain } from './chain.js';
import { JAMF_CONNECT_LOGIN_UI, presetChain, type LoginWindowPreset } from './presets.js';

/** One line of a chain diff: kept, added by the change, or removed by it. */
export interface ChainDiffLine {
  change: 'same' | 'added' | 'removed';
  mechanism: string;
}

/**
 * The shortest edit from one chain to another as a line diff (longest common subsequence), so a moved
 * mechanism shows as removed at its old place and added at its new one.
 */
export function diffChains(from: readonly string[], to: readonly string[]): ChainDiffLine[] {
  // lcs[i][j] = length of the longest common subsequence of from[i..] and to[j..]
  const lcs: number[][] = Array.from({ length: from.length + 1 }, () => new Array<number>(to.length + 1).fill(0));
  for (let i = from.length - 1; i >= 0; i -= 1) {
    for (let j = to.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = from[i] === to[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: ChainDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    if (i < from.length && j < to.length && from[i] === to[j]) {
      lines.push({ change: 'same', mechanism: from[i]! });
      i += 1;
      j += 1;
    } else if (j < to.length && (i === from.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      lines.push({ change: 'added', mechanism: to[j]! });
      j += 1;
    } else {
      lines.push({ change: 'removed', mechanism: from[i]! });
      i += 1;
    }
  }
  return lines;
}

/** Whether a diff changes anything. */
export function diffChanges(lines: readonly ChainDiffLine[]): boolean {
  return lines.some((line) => line.change !== 'same');
}

/** A diff as text: "  " kept, "+ " added, "- " removed, one mechanism per line. */
export function renderDiff(lines: readonly ChainDiffLine[]): string {
  const mark = { same: '  ', added: '+ ', removed: '- ' } as const;
  return lines.map((line) => `${mark[line.change]}${line.mechanism}\n`).join('');
}

/**
 * Whether a chain is what a preset asks for on this macOS. apple and demobilize are exact (the chain is
 * data we build); jamf-connect only requires Jamf Connect's login UI, because Jamf's own authchanger
 * decides the rest of that list (UNCONFIRMED) and Jamf Connect's installer may rewrite it on upgrade.
 */
export function satisfiesPreset(preset: LoginWindowPreset, current: readonly string[], osDefault: readonly string[]): boolean {
  if (preset === 'jamf-connect') return current.includes(JAMF_CONNECT_LOGIN_UI);
  return sameChain(current, presetChain(osDefault, preset));
}

/**
 * in-sync: the chain is what the preset asks for; reset-by-os: it is exactly the macOS default although
 * a non-apple preset is wanted (what an OS update does); changed-by-someone-else: anything else.
 */
export type DriftState = 'in-sync' | 'reset-by-os' | 'changed-by-someone-else';

/** Compare the chain on the Mac with the preset the admin asked for. Pure; the daemon re-applies on reset-by-os. */
export function detectDrift(desiredPreset: LoginWindowPreset, current: readonly string[], osDefault: readonly string[]): DriftState {
  if (satisfiesPreset(desiredPreset, current, osDefault)) return 'in-sync';
  if (desiredPreset !== 'apple' && sameChain(current, osDefault)) return 'reset-by-os';
  return 'changed-by-someone-else';
}

/** The plug-ins a chain loads that the macOS default does not (third-party bundles that must be installed). */
export function thirdPartyPlugins(chain: readonly string[], osDefault: readonly string[]): string[] {
  const apple = new Set(osDefault.map(mechanismPlugin));
  return [...new Set(chain.map(mechanismPlugin))].filter((plugin) => !apple.has(plugin));
}
