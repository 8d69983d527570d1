// `npm run pkg:inspect -- FILE.pkg [--json]`: prints what a flat package holds and checks it. Works on any
// flat package (component or product archive, ours or Apple's). Exit 0 clean, 1 problems, 2 bad usage.
import { readFileSync } from 'node:fs';
import { checkPackage, readPackage } from './format/index.js';
import { formatReport, reportJson } from './format/report.js';

const USAGE = `Usage: npm run pkg:inspect -- FILE.pkg [--json]

Prints a macOS flat installer package (.pkg) without macOS tools:
  - the XAR table of contents (name, type, encoding, stored and decoded sizes, mode, owner)
  - the Distribution (title, minimum macOS, architectures, choices with their selected expressions, pkg-refs)
  - each component's PackageInfo, its Bom in lsbom's columns (path, mode, uid/gid, size, cksum) and its scripts
  - the check results: Bom against Payload, PackageInfo counts, scripts, root:wheel owners, Distribution refs

Options:
  --json    print the same as one JSON object
  --help    print this help

Exit status: 0 when the package checks clean, 1 when it has problems (or is refused as damaged),
2 on bad usage (no file, unknown option, unreadable file).
`;

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json');
  const files = argv.filter((a) => !a.startsWith('-'));
  if (unknown.length > 0 || files.length !== 1) {
    process.stderr.write(`pkg:inspect: ${unknown.length > 0 ? `unknown option ${unknown.join(' ')}` : files.length === 0 ? 'no package file given' : 'give exactly one package file'}\n\n${USAGE}`);
    return 2;
  }
  const file = files[0]!;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    process.stderr.write(`pkg:inspect: reading ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  let read;
  try {
    read = readPackage(bytes);
  } catch (error) {
    const message = `${file}: refused: ${(error as Error).message}`;
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ refused: (error as Error).message, clean: false }, null, 2)}\n`);
    process.stderr.write(`pkg:inspect: ${message}\n`);
    return 1;
  }
  const problems = checkPackage(read);
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify(reportJson(read, problems), null, 2)}\n` : formatReport(read, problems));
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
