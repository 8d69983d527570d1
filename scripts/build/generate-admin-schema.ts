// Write the admin artifacts generated from the configuration schema into docs/admin/ (or, with --check, fail
// when the committed ones differ: the same comparison test/config/admin-schema.test.ts makes).
//
//   npm run build && node dist/scripts/build/generate-admin-schema.js [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configurationReference, exampleMobileconfig, jamfSchema, loginItemsMobileconfig, pppcMobileconfig } from './admin-schema.js';
import { repositoryRoot } from './repo.js';

/** Each generated file (relative to the repository) and its content. */
export function adminArtifacts(): Array<{ file: string; content: string }> {
  return [
    { file: 'docs/admin/io.untether.agent.jamf-schema.json', content: `${JSON.stringify(jamfSchema(), null, 2)}\n` },
    { file: 'docs/admin/io.untether.agent.example.mobileconfig', content: exampleMobileconfig() },
    { file: 'docs/admin/configuration-reference.md', content: configurationReference() },
    { file: 'docs/admin/io.untether.agent.pppc.example.mobileconfig', content: pppcMobileconfig() },
    { file: 'docs/admin/io.untether.agent.login-items.example.mobileconfig', content: loginItemsMobileconfig() },
  ];
}

function main(argv: string[]): number {
  const root = repositoryRoot();
  const check = argv.includes('--check');
  let stale = 0;
  for (const { file, content } of adminArtifacts()) {
    const target = path.join(root, file);
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      current = undefined; // not generated yet
    }
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${file} is out of date: run "npm run build && npm run generate:admin-schema"\n`);
      stale += 1;
    } else {
      writeFileSync(target, content);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
