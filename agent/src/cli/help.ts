import type { Command } from './command.js';

/** The full help of one command: usage, what it does, its options and examples. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.details) lines.push('', command.details);
  const options = Object.entries(command.options);
  if (options.length > 0) {
    lines.push('', 'Options:');
    const labels = options.map(([name, spec]) => {
      const short = spec.short ? `-${spec.short}, ` : '    ';
      const value = spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : '';
      return `  ${short}--${name}${value}`;
    });
    const width = Math.max(...labels.map((label) => label.length));
    options.forEach(([, spec], index) => lines.push(`${labels[index]!.padEnd(width)}  ${spec.description}`));
  }
  if (command.examples && command.examples.length > 0) {
    lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  }
  return lines.join('\n') + '\n';
}

/** The top-level help: what Untether is and the list of commands. */
export function generalHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `untether ${version}: move a Mac off Active Directory without losing a user's password, home, SecureToken or FileVault unlock.`,
    '',
    'Usage: untether <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "untether <command> --help" for a command\'s options and examples.',
    'Every command that changes the Mac has --dry-run, which prints the plan and changes nothing.',
    '',
  ].join('\n');
}
