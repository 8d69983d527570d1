import { describeConfigProblem, enabledStages, loadConfig } from '../../config/load.js';
import { readDaemonState } from '../../daemon/state.js';
import { checkFullDiskAccess } from '../../system/full-disk-access.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { lockStatuses } from '../../actions/lock.js';
import { errorMessage } from '../../errors.js';
import type { LockStatus } from '../../plan/lock.js';

/** One line per locked account: who asked and why, or that Untether did not lock it. */
function describeLock(status: LockStatus): string {
  if (status.kind === 'locked-foreign') return `locked, not by Untether (${status.how.join(', ')})`;
  if (status.kind === 'unlocked') return 'not locked';
  const { provenance } = status;
  const why = provenance.reason ? `"${provenance.reason}"` : 'no reason given';
  return `locked by Untether at ${provenance.lockedAt}, requested by ${provenance.requestedBy} (${provenance.source}), reason: ${why}, lock ${provenance.lockId}${status.alsoForeign ? '; also disabled by something else' : ''}`;
}
import { printable } from '../table.js';

/** `untether status`: where the migration of this Mac stands, as the daemon last saw it. */
export const statusCommand: Command = {
  name: 'status',
  summary: "Show the migration stage, what the agent waits for, and each stage's last result.",
  usage: 'untether status [--json]',
  details: 'Reads the state the daemon writes after every pass, the configuration (with any invalid key named) and Full Disk Access.',
  examples: ['sudo untether status', 'sudo untether status --json'],
  options: { json: { type: 'boolean', description: 'Print the status as JSON.' } },
  async run(context, args) {
    const [state, loaded, fullDiskAccess, locks] = await Promise.all([
      readDaemonState().catch(() => undefined),
      loadConfig(),
      checkFullDiskAccess().then((report) => report.status),
      lockStatuses().then(
        (statuses) => ({ ok: true as const, locked: statuses.filter((entry) => entry.status.kind !== 'unlocked') }),
        (error: unknown) => ({ ok: false as const, error: errorMessage(error) }),
      ),
    ]);
    const configProblems = loaded.problems.map(describeConfigProblem);
    if (args.values.json === true) {
      const lockJson = locks.ok ? locks.locked : { unreadable: locks.error };
      context.stdout.write(`${JSON.stringify({ daemon: state ?? null, config: { enabledStages: enabledStages(loaded.config), problems: configProblems }, fullDiskAccess, locks: lockJson }, null, 2)}\n`);
      return EXIT.OK;
    }
    const lines: string[] = [];
    lines.push(`Configuration: ${enabledStages(loaded.config).join(', ') || 'no stage enabled (the agent only scans)'}`);
    for (const problem of configProblems) lines.push(`  invalid: ${printable(problem)}`);
    lines.push(`Full Disk Access: ${fullDiskAccess}`);
    if (!state) {
      lines.push('Daemon: has not run yet (launchd starts it after the package is installed).');
    } else {
      lines.push(`Stage: ${state.stage}${state.waitingFor ? ` (waiting for ${state.waitingFor})` : ''}   updated ${state.updatedAt} by pid ${state.pid}`);
      lines.push(`Server: ${state.server.url ?? 'none configured'}`);
      for (const view of state.views) {
        const result = state.lastResult[view.stage];
        const last = result ? `; last: ${result.outcome} at ${result.at}${result.message ? ` (${printable(result.message)})` : ''}` : '';
        lines.push(`  ${view.stage.padEnd(11)} ${view.status.padEnd(8)} ${printable(view.reason)}${last}`);
      }
    }
    if (!locks.ok) lines.push(`Locked accounts: could not be read (${printable(locks.error)}; run as root)`);
    else if (locks.locked.length === 0) lines.push('Locked accounts: none');
    else {
      lines.push('Locked accounts:');
      for (const { user, status } of locks.locked) lines.push(`  ${printable(user)}: ${printable(describeLock(status))}`);
    }
    context.stdout.write(`${lines.join('\n')}\n`);
    return configProblems.length > 0 ? EXIT.BAD_CONFIG : EXIT.OK;
  },
};
