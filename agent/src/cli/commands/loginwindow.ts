// `untether loginwindow print | apply PRESET | reset`: show or change the login window chain.
import { applyLoginWindowPreset, planFromMac, refuseMissingPlugins, requireRoot, type LoginWindowPlan } from '../../loginwindow/apply.js';
import { diffChains, diffChanges, renderDiff, type ChainDiffLine } from '../../loginwindow/compare.js';
import { LOGIN_WINDOW_PRESETS, PRESET_DESCRIPTIONS, loginWindowPresetSchema, type LoginWindowPreset } from '../../loginwindow/presets.js';
import { readLoginWindowStatus, type DriftReport, type LoginWindowStatus } from '../../loginwindow/status.js';
import { withAccountLock } from '../account-guard.js';
import type { Command, CommandContext, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printable } from '../table.js';

const KIND_NAMES: Readonly<Record<LoginWindowStatus['kind'], string>> = {
  apple: "Apple's login window",
  'jamf-connect': "Jamf Connect's login window",
  xcreds: "XCreds' login window",
  jumpcloud: "JumpCloud's login window",
  'nomad-login': "NoMAD Login's login window",
  other: 'another login window (no known UI mechanism)',
  unknown: 'unknown',
};

function driftText(drift: DriftReport): string {
  switch (drift.state) {
    case 'in-sync':
      return `in sync with preset "${drift.preset}"`;
    case 'reset-by-os':
      return `reset to the macOS default (an OS update does this); preset "${drift.preset}" needs to be applied again`;
    case 'changed-by-someone-else':
      return `changed by something other than Untether; preset "${drift.preset}" is no longer in place`;
    case 'not-managed':
      return 'not managed (no preset was applied by Untether)';
    case 'unknown':
      return `unknown: ${drift.reason}`;
    default: {
      const unreachable: never = drift;
      return String(unreachable);
    }
  }
}

function numbered(mechanisms: readonly string[]): string {
  const width = String(mechanisms.length).length;
  return mechanisms.map((mechanism, index) => `  ${String(index + 1).padStart(width)}  ${printable(mechanism)}\n`).join('');
}

// Mechanism names come from the authorization database, which another product may have filled: printable.
function diffText(lines: readonly ChainDiffLine[]): string {
  return renderDiff(lines.map((line) => ({ ...line, mechanism: printable(line.mechanism) })));
}

function renderStatus(status: LoginWindowStatus): string {
  const desired =
    status.desired.state === 'recorded'
      ? `${status.desired.value.preset} (applied ${status.desired.value.appliedAt} with ${status.desired.value.method})`
      : status.desired.state === 'none'
        ? 'none'
        : `unreadable (${status.desired.reason})`;
  const isDefault = status.isOsDefault === null ? `unknown (${status.osDefaultError ?? 'no default'})` : status.isOsDefault ? 'yes' : 'no';
  const lines = [
    `Login window (${status.right})`,
    `  Shows:           ${KIND_NAMES[status.kind]}`,
    `  DeMobilize:      ${status.demobilizeMechanism ? 'in the chain' : 'not in the chain'}`,
    `  macOS default:   ${isDefault}`,
    `  Managed preset:  ${desired}`,
    `  Drift:           ${driftText(status.drift)}`,
    `  authchanger:     ${status.authchangerInstalled ? 'installed' : 'not installed'}`,
    `  Plug-ins:        ${status.missingPlugins.length === 0 ? 'every plug-in the chain loads is installed' : `MISSING ${status.missingPlugins.map(printable).join(', ')}: logins fail until it is installed or the chain is reset`}`,
    '',
    `Mechanisms (${status.mechanisms.length}):`,
  ];
  let text = `${lines.join('\n')}\n${numbered(status.mechanisms)}`;
  if (status.osDefault && status.isOsDefault === false) {
    text += `\nDifferences from the macOS default (- default only, + this Mac only):\n${diffText(diffChains(status.osDefault, status.mechanisms))}`;
  }
  return text;
}

function statusJson(status: LoginWindowStatus): unknown {
  return {
    right: status.right,
    mechanisms: status.mechanisms,
    kind: status.kind,
    demobilizeMechanism: status.demobilizeMechanism,
    isOsDefault: status.isOsDefault,
    osDefault: status.osDefault,
    ...(status.osDefaultError === undefined ? {} : { osDefaultError: status.osDefaultError }),
    desired: status.desired.state === 'recorded' ? status.desired.value : null,
    ...(status.desired.state === 'unreadable' ? { desiredError: status.desired.reason } : {}),
    drift: status.drift,
    authchangerInstalled: status.authchangerInstalled,
    missingPlugins: status.missingPlugins,
  };
}

function renderPlan(plan: LoginWindowPlan, heading: string): string {
  const how =
    plan.method === 'authchanger'
      ? 'by running Jamf\'s "authchanger -reset -JamfConnect" once (authchanger decides the exact list; shown below is the best-known one), then checking that JamfConnectLogin:LoginUI is in the chain'
      : 'with "security authorizationdb write", every other key of the right kept, then read back and compared';
  const lines = [`${heading} "${plan.preset}": ${PRESET_DESCRIPTIONS[plan.preset]}.`];
  if (!plan.changes) {
    lines.push('The chain already is what this preset asks for; nothing would be written.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`Written ${how}.`, 'A backup of the whole right is taken first and put back if the check fails.');
  for (const mechanism of plan.removesForeign) lines.push(`Warning: removes ${printable(mechanism)}, which is neither Apple's nor this preset's.`);
  for (const plugin of plan.missingPlugins) lines.push(`Refused when run for real: ${plugin}.bundle is not installed in /Library/Security/SecurityAgentPlugins; a chain that loads it would stop every login.`);
  lines.push('', 'Chain (- removed, + added):');
  return `${lines.join('\n')}\n${diffText(plan.diff)}`;
}

function parsePreset(args: ParsedArgs): LoginWindowPreset {
  const [, name, ...extra] = args.positionals;
  if (name === undefined) throw new UsageError(`apply needs a preset: ${LOGIN_WINDOW_PRESETS.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const parsed = loginWindowPresetSchema.safeParse(name);
  if (!parsed.success) throw new UsageError(`unknown preset "${name}"; known: ${LOGIN_WINDOW_PRESETS.join(', ')}`);
  return parsed.data;
}

async function print(context: CommandContext, args: ParsedArgs): Promise<ExitCode> {
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
  if (args.values['dry-run'] === true || args.values.yes === true) throw new UsageError('print changes nothing; --dry-run and --yes do not apply');
  const status = await readLoginWindowStatus();
  context.stdout.write(args.values.json === true ? `${JSON.stringify(statusJson(status), null, 2)}\n` : renderStatus(status));
  return EXIT.OK;
}

async function apply(context: CommandContext, args: ParsedArgs, preset: LoginWindowPreset): Promise<ExitCode> {
  const json = args.values.json === true;
  const write = (value: unknown, text: string) => context.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);
  if (args.values['dry-run'] === true) {
    const { plan } = await planFromMac(preset);
    write({ result: 'dry-run', plan }, renderPlan(plan, 'Dry run: would apply preset'));
    return EXIT.OK;
  }
  requireRoot(`applying login window preset "${preset}"`);
  const { plan } = await planFromMac(preset);
  refuseMissingPlugins(plan);
  if (plan.changes && args.values.yes !== true) {
    if (!context.interactive) throw new UsageError('this changes the login window of every user; add --yes to confirm when there is no terminal');
    context.stderr.write(renderPlan(plan, 'About to apply preset'));
    if (!(await context.confirm('Apply this login window chain?'))) {
      context.stderr.write('Nothing was changed.\n');
      return EXIT.REFUSED;
    }
  }
  // The same lock and journal recovery as account changes: one Untether action at a time.
  const outcome = await withAccountLock(context, 'loginwindow', false, () => applyLoginWindowPreset(preset, { now: context.now() }));
  const text =
    outcome.result === 'unchanged'
      ? `Login window preset "${preset}" is already in place; nothing was written.\n`
      : `Applied login window preset "${preset}" (${outcome.chain.length} mechanisms, verified by reading the chain back). Backup of the previous right: ${outcome.backupPath}\n`;
  write({ result: outcome.result, preset, method: outcome.plan.method, chain: outcome.chain, backupPath: outcome.backupPath ?? null, changed: diffChanges(outcome.plan.diff) }, text);
  return EXIT.OK;
}

/** `untether loginwindow`: print the chain, apply a preset, or reset to the macOS default. */
export const loginwindowCommand: Command = {
  name: 'loginwindow',
  summary: "Show or change the login window chain (Apple's, Jamf Connect's, DeMobilize).",
  usage: 'untether loginwindow (print | apply PRESET | reset) [--dry-run] [--yes] [--json]',
  details: [
    'print   Show the system.login.console chain, which login window it is, whether it is the macOS',
    '        default, and whether it drifted from the preset Untether last applied (works as any user).',
    'apply   Write a preset (root). The chain is rebuilt from this macOS\'s own default in',
    '        /System/Library/Security/authorization.plist, with mechanisms placed relative to named anchors;',
    '        the whole right is backed up first, read back after the write, and restored on a mismatch.',
    'reset   The same as "apply apple": exactly the macOS default.',
    '',
    'Presets:',
    ...LOGIN_WINDOW_PRESETS.map((preset) => `  ${preset.padEnd(13)} ${PRESET_DESCRIPTIONS[preset]}`),
    '',
    "Jamf's authchanger is used only for jamf-connect, and only when it is installed: it alone knows Jamf",
    'Connect 2\'s exact list. Without it Untether writes the best-known list (unconfirmed; see docs).',
  ].join('\n'),
  examples: ['untether loginwindow print', 'sudo untether loginwindow apply demobilize --dry-run', 'sudo untether loginwindow apply jamf-connect --yes', 'sudo untether loginwindow reset --yes'],
  options: {
    'dry-run': { type: 'boolean', description: 'Print the plan and change nothing.' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
    json: { type: 'boolean', description: 'Print machine-readable JSON instead of text.' },
  },
  allowPositionals: true,
  async run(context, args) {
    const [verb] = args.positionals;
    switch (verb) {
      case 'print':
        return print(context, args);
      case 'apply':
        return apply(context, args, parsePreset(args));
      case 'reset':
        if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
        return apply(context, args, 'apple');
      case undefined:
        throw new UsageError('expected print, apply PRESET or reset');
      default:
        throw new UsageError(`unknown action "${verb}"; expected print, apply PRESET or reset`);
    }
  },
};
