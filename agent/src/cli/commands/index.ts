import type { Command } from '../command.js';
import { eaCommand } from './ea.js';
import { notBuiltCommand } from './not-built.js';
import { scanCommand } from './scan.js';

const dryRun = { type: 'boolean', description: 'Print the plan and change nothing.' } as const;
const yes = { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' } as const;
const json = { type: 'boolean', description: 'Print machine-readable JSON instead of text.' } as const;

/** Every command, in the order `untether --help` lists them. */
export const COMMANDS: readonly Command[] = [
  scanCommand,
  notBuiltCommand({
    name: 'demobilize',
    summary: 'Convert AD mobile accounts to local accounts, keeping password, home, SecureToken and FileVault.',
    usage: 'untether demobilize (--user NAME ... | --all) [--dry-run] [--yes] [--json]',
    options: {
      user: { type: 'string', multiple: true, short: 'u', valueName: 'NAME', description: 'A mobile account to convert (repeat for several).' },
      all: { type: 'boolean', description: 'Convert every mobile account that passes the safety gates.' },
      'dry-run': dryRun,
      yes,
      json,
    },
    examples: ['sudo untether demobilize --user jdoe --dry-run', 'sudo untether demobilize --all --yes'],
  }),
  notBuiltCommand({
    name: 'restore',
    summary: "Put an account back exactly as it was before Untether's last change to it.",
    usage: 'untether restore --user NAME [--dry-run] [--yes]',
    options: {
      user: { type: 'string', short: 'u', valueName: 'NAME', description: 'The account to restore from its latest snapshot.' },
      'dry-run': dryRun,
      yes,
    },
  }),
  notBuiltCommand({
    name: 'unbind',
    summary: 'Remove the Active Directory binding once no mobile account is left.',
    usage: 'untether unbind [--dry-run] [--yes]',
    options: { 'dry-run': dryRun, yes },
  }),
  notBuiltCommand({
    name: 'loginwindow',
    summary: "Show or change the login window chain (Apple's, Jamf Connect's, DeMobilize).",
    usage: 'untether loginwindow (print | apply PRESET | reset) [--dry-run]',
    options: { 'dry-run': dryRun, json },
    allowPositionals: true,
  }),
  notBuiltCommand({
    name: 'takeover',
    summary: "Link local accounts to their users' cloud identities so the IdP login uses them.",
    usage: 'untether takeover (--local NAME --cloud-user USER | --mapping FILE.csv) [--provider jamf-connect|xcreds|generic] [--dry-run]',
    options: {
      local: { type: 'string', valueName: 'NAME', description: 'The local account to link.' },
      'cloud-user': { type: 'string', valueName: 'USER', description: "The user's name at the identity provider." },
      mapping: { type: 'string', valueName: 'FILE.csv', description: 'A CSV of local account to cloud user mappings.' },
      provider: { type: 'string', valueName: 'NAME', description: 'jamf-connect, xcreds or generic.' },
      'dry-run': dryRun,
      yes,
    },
  }),
  eaCommand,
  notBuiltCommand({
    name: 'status',
    summary: "Show the migration stage, what the agent waits for, and each stage's last result.",
    usage: 'untether status [--json]',
    options: { json },
  }),
  notBuiltCommand({
    name: 'log',
    summary: "Show recent entries of the agent's log, readably.",
    usage: 'untether log [--since DURATION] [--level LEVEL] [--user NAME]',
    options: {
      since: { type: 'string', valueName: 'DURATION', description: 'Only entries newer than this, e.g. 2h or 30m.' },
      level: { type: 'string', valueName: 'LEVEL', description: 'Only entries at this level or above.' },
      user: { type: 'string', valueName: 'NAME', description: 'Only entries about this account.' },
    },
  }),
  notBuiltCommand({
    name: 'daemon',
    summary: 'Run the migration service (launchd starts this at boot as root).',
    usage: 'untether daemon',
    options: {},
  }),
];
