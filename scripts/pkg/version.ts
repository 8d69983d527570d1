// Dotted version numbers as Installer compares them (its JavaScript `system.compareVersions`): the build checks a
// runtime's minimum macOS with it, and the simulated installer answers the Distribution's scripts with it.

/** -1, 0 or 1 over dotted version numbers ("13.5" < "13.10"; a missing part counts as 0). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}
