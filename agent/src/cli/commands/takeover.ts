// `untether takeover`: link existing local accounts to their users' cloud identities, transactionally.
import { open } from 'node:fs/promises';
import { errorMessage, UntetherError } from '../../errors.js';
import { describeOperation, nameAfter } from '../../plan/operations.js';
import { CSV_LIMITS } from '../../takeover/csv.js';
import { MAPPING_COLUMNS, TAKEOVER_PROVIDERS, mappingFromCli, parseMappingCsv, takeoverProviderSchema, type Mapping } from '../../takeover/mapping.js';
import { JAMF_CONNECT_IDPS, jamfConnectIdpSchema } from '../../takeover/plan.js';
import { takeover, type TakeoverReport, type TakeoverResult } from '../../takeover/run.js';
import { withAccountLock } from '../account-guard.js';
import type { Command, ParsedArgs } from '../command.js';
import { confirmRealRun } from '../confirm.js';
import { UsageError } from '../command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printable } from '../table.js';
import { parseOption } from '../validate.js';
import * as z from 'zod';

function optionText(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Read the mapping file, never more than the size limit (checked on the open file, not a separate stat). */
async function readMappingFile(file: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new UntetherError('E_MAPPING_FILE', `reading the mapping CSV: ${file}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, { exitCode: EXIT.USAGE, cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new UntetherError('E_MAPPING_FILE', `reading the mapping CSV: ${file}: not a regular file`, { exitCode: EXIT.USAGE });
    if (stats.size > CSV_LIMITS.maxBytes) {
      throw new UntetherError('E_MAPPING_CSV', `reading the mapping CSV: ${file}: ${stats.size} bytes; the limit is ${CSV_LIMITS.maxBytes} bytes (${CSV_LIMITS.maxRows} rows); split it`, { exitCode: EXIT.USAGE });
    }
    const buffer = Buffer.alloc(CSV_LIMITS.maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Turn mapping problems into usage errors: the input is wrong, nothing ran. */
function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UntetherError && (error.code === 'E_MAPPING_INVALID' || error.code === 'E_MAPPING_CSV')) {
      throw new UntetherError(error.code, error.message, { exitCode: EXIT.USAGE, cause: error });
    }
    throw error;
  }
}

async function readMappings(args: ParsedArgs): Promise<Mapping[]> {
  const file = optionText(args, 'mapping');
  const local = optionText(args, 'local');
  const cloud = optionText(args, 'cloud-user');
  const issuer = optionText(args, 'issuer');
  const subject = optionText(args, 'subject');
  if (file !== undefined) {
    if (local !== undefined || cloud !== undefined || issuer !== undefined || subject !== undefined) {
      throw new UsageError('give either --mapping FILE.csv or --cloud-user (with --local, --issuer, --subject), not both');
    }
    const bytes = await readMappingFile(file);
    return asUsage(() => parseMappingCsv(bytes));
  }
  if (cloud === undefined) throw new UsageError('give --cloud-user USER (and --local NAME), or --mapping FILE.csv');
  return [asUsage(() => mappingFromCli({ localUser: local, cloudUser: cloud, issuer, subject }))];
}

function resultLine(result: TakeoverResult, dryRun: boolean): string {
  const { plan, outcome } = result;
  const head = `${printable(plan.source)}: ${printable(plan.user ?? '?')} ← ${printable(plan.cloudUser)} (${plan.provider})`;
  const lines: string[] = [];
  if (plan.action === 'refuse') lines.push(`${head}: refused: ${printable(plan.reason ?? '')}`);
  else if (plan.action === 'unchanged') lines.push(`${head}: already linked this way; nothing to do`);
  else {
    const renamedTo = plan.user === null ? plan.user : nameAfter(plan.user, plan.operations);
    const rename = renamedTo !== null && renamedTo !== plan.user ? ` and rename to ${printable(renamedTo)}` : '';
    lines.push(`${head}: ${dryRun ? 'would link' : 'link'}${rename}`);
  }
  if (plan.action === 'link' && (dryRun || !outcome)) plan.operations.forEach((operation, index) => lines.push(`  ${index + 1}. ${printable(describeOperation(operation))}`));
  const finalName = plan.user === null ? '' : nameAfter(plan.user, plan.operations);
  if (outcome?.outcome === 'committed' && plan.user !== null && finalName !== plan.user) {
    lines.push(`  linked, renamed to ${printable(finalName)} and verified (snapshot ${outcome.snapshotId}; undo with: untether restore --user ${printable(plan.user)})`);
  } else if (outcome?.outcome === 'committed') lines.push(`  linked and verified (snapshot ${outcome.snapshotId}; undo with: untether restore --user ${printable(plan.user ?? '')})`);
  else if (outcome?.outcome === 'rolled-back') lines.push(`  ROLLED BACK to its snapshot: ${printable(outcome.reason)}`);
  else if (outcome) lines.push(`  FAILED, needs an admin: ${printable(outcome.reason)}`);
  if (outcome && outcome.outcome !== 'committed') for (const problem of outcome.problems) lines.push(`    - ${printable(problem)}`);
  return `${lines.join('\n')}\n`;
}

function summary(report: TakeoverReport): string {
  const count = (predicate: (result: TakeoverResult) => boolean) => report.accounts.filter(predicate).length;
  const unchanged = count((result) => result.plan.action === 'unchanged');
  const refused = count((result) => result.plan.action === 'refuse');
  if (report.conflicts.length > 0) return `Refused: the mapping has ${report.conflicts.length} conflict(s); fix them and run again. Nothing was changed.\n`;
  if (report.dryRun) return `Dry run: ${count((result) => result.plan.action === 'link')} would link, ${unchanged} unchanged, ${refused} refused. Nothing was changed.\n`;
  return (
    `${count((result) => result.outcome?.outcome === 'committed')} linked, ${count((result) => result.outcome?.outcome === 'rolled-back')} rolled back, ` +
    `${count((result) => result.outcome?.outcome === 'failed')} failed, ${unchanged} unchanged, ${refused} refused.\n`
  );
}

function render(report: TakeoverReport): string {
  const provider = `Provider: ${report.provider}${report.providerDetected ? ' (detected from the login window)' : ''}\n`;
  const conflicts = report.conflicts.map((conflict) => `conflict: ${printable(conflict)}\n`).join('');
  return provider + conflicts + report.accounts.map((result) => resultLine(result, report.dryRun)).join('') + summary(report);
}

/** Exit code: conflicts refuse everything; otherwise every mapping must end linked or unchanged. */
export function takeoverExitCode(report: TakeoverReport): ExitCode {
  if (report.conflicts.length > 0) return EXIT.REFUSED;
  const refused = report.accounts.filter((result) => result.plan.action === 'refuse').length;
  if (report.dryRun) return refused > 0 ? EXIT.REFUSED : EXIT.OK;
  const done = report.accounts.filter((result) => result.outcome?.outcome === 'committed' || result.plan.action === 'unchanged').length;
  const failed = report.accounts.filter((result) => result.outcome !== undefined && result.outcome.outcome !== 'committed').length;
  if (refused + failed === 0) return EXIT.OK;
  if (report.accounts.some((result) => result.outcome?.outcome === 'committed')) return EXIT.PARTIAL;
  if (done > 0) return failed > 0 ? EXIT.PARTIAL : EXIT.REFUSED;
  return failed > 0 ? EXIT.FAILED : EXIT.REFUSED;
}

/** `untether takeover`: link local accounts to cloud identities so the IdP login uses them. */
export const takeoverCommand: Command = {
  name: 'takeover',
  summary: "Link local accounts to their users' cloud identities so the IdP login uses them.",
  usage:
    'untether takeover (--cloud-user USER [--local NAME] [--issuer URL --subject SUB] | --mapping FILE.csv) [--provider auto|jamf-connect|xcreds|generic] [--idp IDP] [--alias] [--rename] [--dry-run] [--yes] [--json]',
  details: [
    'Writes the attributes the login product reads to recognise an existing account as its user\'s, so it',
    'uses that account instead of creating a second one:',
    '  jamf-connect  NetworkUser, OIDCProvider (--idp), and AzureUser or OktaUser for those IdPs',
    '  xcreds        _xcreds_oidc_username, _xcreds_oidc_full_username, _xcreds_oidc_iss/_sub when known',
    '  generic       io.untether.cloud.username, .issuer, .subject (native attributes)',
    'auto (default) picks jamf-connect or xcreds when the login window is theirs, generic otherwise.',
    '',
    'Matching: --local / local_user names the account; otherwise the account named like the cloud user or',
    'its short name (before "@"), ignoring case. Each local account and each cloud user may appear once;',
    'duplicates refuse the whole run. System, hidden and mobile accounts are refused (demobilize first), so',
    'is an account already linked to another identity, and a cloud short name that is another account.',
    '',
    'CSV: UTF-8 with a header row; columns (any order, names in any case):',
    `  ${MAPPING_COLUMNS.join(', ')}; only cloud_user is required.`,
    `At most ${CSV_LIMITS.maxBytes / 1024 / 1024} MB and ${CSV_LIMITS.maxRows} rows. Values that start with = + - @ (spreadsheet`,
    'formulas), contain control characters or path separators, or are too long are refused',
    'with their row; any problem refuses the whole file.',
    '',
    'Each account is a transaction: snapshot, apply, verify by re-reading, roll back on failure. Undo a link',
    'with "untether restore --user NAME". A notice is recorded for the user\'s next login: the password stays',
    'the same, and the keychain may ask for the previous one.',
    '',
    '--rename also renames the account to the cloud short name: RecordName (other aliases kept),',
    'the home folder /Users/OLD to /Users/NEW (moved on the same volume, never copied) and NFSHomeDirectory.',
    'Refused while the user is logged in, for a home outside /Users/OLD, when /Users/NEW exists, when the',
    'name is another account or group, and when a group lists the account by name. Undo it with',
    '"untether restore --user OLD" (the snapshot keeps the old name; the new name finds it too).',
  ].join('\n'),
  examples: [
    'sudo untether takeover --local jdoe --cloud-user john.doe@example.com --provider jamf-connect --idp Azure --dry-run',
    'sudo untether takeover --mapping /tmp/mapping.csv --alias --yes',
  ],
  options: {
    local: { type: 'string', valueName: 'NAME', description: 'The local account to link (default: the account named like the cloud user).' },
    'cloud-user': { type: 'string', valueName: 'USER', description: "The user's name at the identity provider, e.g. jdoe@example.com." },
    issuer: { type: 'string', valueName: 'URL', description: "The IdP's OIDC issuer (https), for xcreds and generic." },
    subject: { type: 'string', valueName: 'SUB', description: "The user's stable subject at that issuer (needs --issuer)." },
    mapping: { type: 'string', valueName: 'FILE.csv', description: 'A CSV of local account to cloud user mappings (see above).' },
    provider: { type: 'string', valueName: 'NAME', description: `auto (default), ${TAKEOVER_PROVIDERS.join(', ')}.` },
    idp: { type: 'string', valueName: 'IDP', description: `Jamf Connect's OIDCProvider: ${JAMF_CONNECT_IDPS.join(', ')}.` },
    alias: { type: 'boolean', description: 'Also add the cloud short name as an alias (RecordName) of the account.' },
    rename: { type: 'boolean', description: 'Also rename the account and its home folder to the cloud short name (user logged out).' },
    'dry-run': { type: 'boolean', description: 'Print the plan for each mapping and change nothing.' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation (needed when there is no terminal).' },
    json: { type: 'boolean', description: 'Print the plans and outcomes as JSON.' },
  },
  async run(context, args) {
    const providerText = optionText(args, 'provider') ?? 'auto';
    const provider = parseOption(z.union([z.literal('auto'), takeoverProviderSchema]), 'provider', providerText);
    const idpText = optionText(args, 'idp');
    const idp = idpText === undefined ? null : parseOption(jamfConnectIdpSchema, 'idp', idpText);
    if (provider === 'jamf-connect' && idp === null) throw new UsageError(`--provider jamf-connect needs --idp (${JAMF_CONNECT_IDPS.join(', ')})`);
    const mappings = await readMappings(args);
    const dryRun = args.values['dry-run'] === true;
    const json = args.values.json === true;
    const request = { mappings, provider, idp, alias: args.values.alias === true, rename: args.values.rename === true, now: () => context.now() };

    if (!dryRun && !(await confirmRealRun(context, args, `Link ${mappings.length} mapping(s) to their cloud identities?`))) return EXIT.REFUSED;
    const report = await withAccountLock(context, 'takeover', dryRun, () => takeover({ ...request, dryRun }));
    if (json) context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const warning of report.warnings) context.stderr.write(`warning: ${printable(warning)}\n`);
      context.stdout.write(render(report));
    }
    return takeoverExitCode(report);
  },
};
