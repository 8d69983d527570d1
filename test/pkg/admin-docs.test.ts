// The hand-written admin docs name things the code defines; these checks keep them in step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXTENSION_ATTRIBUTES } from '../../agent/src/ea/attributes.js';
import { ARCHITECTURES, INSTALL_PATHS, LAUNCHD_LABEL, componentIdentifier } from '../../scripts/pkg/layout.js';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'admin');
const read = (name: string) => readFileSync(path.join(docs, name), 'utf8');

describe('admin docs', () => {
  it('list every extension attribute the agent has (untether ea --help)', () => {
    const jamf = read('jamf.md');
    for (const attribute of EXTENSION_ATTRIBUTES) expect(jamf, attribute.name).toContain(`| \`${attribute.name}\` |`);
  });

  it('name the installed paths, label and receipt as the package layout defines them', () => {
    const readme = read('README.md');
    for (const macPath of [INSTALL_PATHS.launchDaemon, INSTALL_PATHS.adminCommand, INSTALL_PATHS.runtime, INSTALL_PATHS.uninstall, INSTALL_PATHS.newsyslog, INSTALL_PATHS.pathsEntry]) expect(readme).toContain(macPath);
    for (const arch of ARCHITECTURES) expect(readme).toContain(componentIdentifier(arch));
    expect(read('packaging.md')).toContain(`launchctl print system/${LAUNCHD_LABEL}`);
  });

  it('link only to files that exist', () => {
    for (const name of ['README.md', 'packaging.md', 'configuration.md', 'full-disk-access.md', 'jamf.md', 'logs.md']) {
      for (const match of read(name).matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
        expect(() => readFileSync(path.join(docs, match[1]!)), `${name} → ${match[1]}`).not.toThrow();
      }
    }
  });
});
