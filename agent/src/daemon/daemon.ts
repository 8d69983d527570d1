// `untether daemon`: the service launchd starts at boot as root. It runs the migration at start, when the
// console user changes (scutil notifications, no polling), when the configuration changes, on a timer, and
// when the server asks. One action at a time, under the lock shared with the CLI. SIGTERM lets the current
// step finish (or roll back) and exits 0; after a crash the journal is recovered at the next start.
import { errorMessage } from '../errors.js';
import type { Logger } from 'winston';
import type { Command } from '../../../protocol/src/index.js';
import { describeConfigProblem, loadConfig, type LoadedConfig } from '../config/load.js';
import { readEnrollmentSecret } from '../config/secret.js';
import { watchConfig } from '../config/watch.js';
import type { HandlerOutcome, NewEvent, ServerLink } from '../link/link.js';
import { consoleUser } from '../system/consoleuser.js';
import type { LoginWindowPreset } from '../loginwindow/presets.js';
import { applyLoggingSettings, closeLogging, createLogger } from '../log/logger.js';
import { watchConsoleUser } from '../system/console-watch.js';
import { dataPath } from '../system/datastore.js';
import { ensurePrivateDirectory } from '../system/files.js';
import { checkFullDiskAccess, type FullDiskAccess } from '../system/full-disk-access.js';
import { computerName } from '../system/computer-name.js';
import { systemPath } from '../system/paths.js';
import type { ToolSession } from '../system/run.js';
import { runExclusive } from '../txn/exclusive.js';
import { agentVersion } from '../version.js';
import { isFirstStartSinceBoot } from './boot.js';
import { runMigrationPass, type PassOutcome } from './migration.js';
import { toProtocolInventory, toProtocolStageState } from './report.js';
import type { MigrationStage, Trigger } from './stages.js';
import { writeDaemonState, type StageResult } from './state.js';

/** How often the daemon looks again when schedule windows are configured (a window opening is noticed this fast). */
export const SCHEDULE_TICK_MS = 5 * 60_000;
/** When the lock is busy (an admin runs the CLI), try again after this. */
export const BUSY_RETRY_MS = 30_000;

// Stronger triggers win when several arrive during a pass: they may unlock more (boot-time stages, a new config).
const TRIGGER_RANK: Record<Trigger, number> = { start: 4, 'config-change': 3, 'console-change': 2, schedule: 1, 'after-change': 0 };

/** A promise chain that runs one job at a time (passes and server commands alike). */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }
  idle(): Promise<unknown> {
    return this.#tail;
  }
}

/** Whether the link's command policy differs between two configurations (loads the policy module only when asked). */
async function linkPolicyChanged(next: LoadedConfig, previous: LoadedConfig): Promise<boolean> {
  const { commandPolicyOf } = await import('../link/policy.js');
  return JSON.stringify(commandPolicyOf(next)) !== JSON.stringify(commandPolicyOf(previous));
}

export interface DaemonHandle {
  /** Resolves with the exit code once the daemon has stopped. */
  stopped: Promise<number>;
  stop(): Promise<void>;
}

/** Start the daemon. Signals (SIGTERM, SIGINT) stop it cleanly. */
export async function startDaemon(now: () => Date = () => new Date()): Promise<DaemonHandle> {
  let loaded: LoadedConfig = await loadConfig();
  applyLoggingSettings(loaded.config.logging, { captureCrashes: true });
  const log: Logger = createLogger({ component: 'daemon' });
  for (const problem of loaded.problems) log.warn('config_problem', { ...problem });
  log.info('daemon_started', { version: agentVersion(), pid: process.pid });

  const serial = new Serial();
  const results: Partial<Record<MigrationStage, StageResult>> = {};
  const firstRunSinceBoot = await isFirstStartSinceBoot(now());
  let fullDiskAccess: FullDiskAccess = (await checkFullDiskAccess()).status;
  let link: ServerLink | undefined;
  let stopping = false;
  let pending: Trigger | undefined;
  let running = false;
  let lastStage: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (resolveStopped = resolve));

  const emit = (event: NewEvent) => {
    const code = event.code !== undefined && /^E_[A-Z0-9_]{1,60}$/.test(event.code) ? event.code : undefined;
    link?.send({ ...event, code });
  };

  async function publish(outcome: PassOutcome): Promise<void> {
    await writeDaemonState({
      pid: process.pid,
      updatedAt: now().toISOString(),
      stage: outcome.current.stage,
      waitingFor: outcome.current.waitingFor,
      views: outcome.views,
      lastResult: results,
      configProblems: loaded.problems.map(describeConfigProblem),
      fullDiskAccess,
      server: { url: loaded.config.server.url ?? null, linked: link !== undefined },
    });
    if (link) link.report({ type: 'inventory', collectedAt: outcome.inventory.collectedAt, inventory: toProtocolInventory(outcome.inventory, await computerName()) });
    link?.report({ type: 'stageState', at: now().toISOString(), state: toProtocolStageState(outcome.current, results) });
    const stageText = `${outcome.current.stage}:${outcome.current.waitingFor ?? ''}`;
    if (stageText !== lastStage) {
      lastStage = stageText;
      log.info('stage_changed', { stage: outcome.current.stage, waitingFor: outcome.current.waitingFor });
      emit({ kind: 'stage.changed', stage: outcome.current.stage, message: outcome.current.waitingFor ? `waiting for ${outcome.current.waitingFor}` : undefined });
    }
  }

  async function pass(trigger: Trigger): Promise<void> {
    fullDiskAccess = (await checkFullDiskAccess()).status;
    const result = await runExclusive(
      'daemon',
      now,
      () => runMigrationPass(trigger, { config: loaded.config, now, log, emit, results, firstRunSinceBoot }),
      (recovery) => {
        for (const outcome of recovery.outcomes) log.warn('journal_recovered', { ...outcome });
        for (const problem of recovery.unreadable) log.error('journal_unreadable', { problem });
      },
    );
    if (!result.ran) {
      log.info('lock_busy', { owner: result.owner?.command, pid: result.owner?.pid });
      setTimeout(() => request(trigger), BUSY_RETRY_MS).unref();
      return;
    }
    await publish(result.value);
  }

  /** Ask for a pass; passes never overlap, and triggers arriving meanwhile are folded into one more pass. */
  function request(trigger: Trigger): void {
    if (stopping) return;
    if (running) {
      if (pending === undefined || TRIGGER_RANK[trigger] > TRIGGER_RANK[pending]) pending = trigger;
      return;
    }
    running = true;
    void serial
      .run(() => pass(trigger))
      .catch((error: unknown) => log.error('pass_failed', { trigger, error: errorMessage(error) }))
      .finally(() => {
        running = false;
        const next = pending;
        pending = undefined;
        if (next !== undefined) request(next);
      });
  }

  function armTimer(): void {
    if (timer) clearInterval(timer);
    const config = loaded.config;
    const intervals = [config.inventory.enabled ? config.inventory.intervalMinutes * 60_000 : undefined, config.demobilize.when === 'schedule' ? SCHEDULE_TICK_MS : undefined].filter(
      (value): value is number => value !== undefined,
    );
    if (intervals.length === 0) return;
    timer = setInterval(() => request('schedule'), Math.min(...intervals));
  }

  async function handleCommand(command: Command): Promise<HandlerOutcome> {
    emit({ kind: 'command.received', message: command.type, detail: { commandId: command.id } });
    // A lock's session handling (the logout grace) runs after the action lock is released.
    let afterLock: ((outcome: HandlerOutcome) => Promise<HandlerOutcome>) | undefined;
    const result = await serial.run(() =>
      runExclusive('daemon', now, async (): Promise<HandlerOutcome> => {
        // Read under the lock, so no CLI action changes the SecureToken holders between this check and the change.
        const { readDirectory } = await import('../txn/account-state.js');
        const { listCryptoUsers } = await import('../system/diskutil.js');
        const { guardCommand, lastSecureTokenHolder } = await import('./command-guard.js');
        const [directory, cryptoUsers] = await Promise.all([readDirectory(), listCryptoUsers('/').catch(() => null)]);
        const guard = guardCommand(command, loaded.config.commandPolicy.protectedAccounts, lastSecureTokenHolder(directory.users, cryptoUsers));
        if (guard.refuse) {
          log.warn('command_refused', { commandId: command.id, type: command.type, code: guard.code, reason: guard.reason });
          return { outcome: 'rejected', code: guard.code, message: guard.reason };
        }
        const serverPolicy = { ...loaded.config.demobilize.policy, excludeUsers: [...loaded.config.demobilize.policy.excludeUsers, ...guard.exclude] };
        switch (command.type) {
          case 'rescan':
            return { outcome: 'succeeded', message: 'scanned' };
          case 'demobilize': {
            const users = command.params.scope === 'all' ? ('all' as const) : [command.params.user];
            const { demobilize } = await import('../actions/demobilize.js');
            const report = await demobilize({ users, dryRun: false, policy: serverPolicy, now });
            const outcomes = report.accounts.map((account) => account.outcome?.outcome ?? account.plan.action);
            const ok = outcomes.every((outcome) => outcome === 'committed' || outcome === 'skip');
            return { outcome: ok ? 'succeeded' : 'failed', message: report.accounts.map((account) => `${account.plan.user}: ${account.outcome?.outcome ?? account.plan.action}`).join(', ') || 'no mobile account' };
          }
          case 'restore': {
            if (command.params.scope !== 'user') return { outcome: 'failed', code: 'E_COMMAND_INVALID', message: 'restore takes one user' };
            const { restoreAccount } = await import('../actions/restore.js');
            const report = await restoreAccount(command.params.user, { dryRun: false, now });
            return { outcome: report.outcome === undefined || report.outcome.outcome === 'committed' ? 'succeeded' : 'failed', message: report.outcome?.outcome ?? 'nothing to restore' };
          }
          case 'unbind': {
            const { unbind } = await import('../actions/unbind.js');
            await unbind({ dryRun: false });
            return { outcome: 'succeeded', message: 'unbound and verified' };
          }
          case 'loginwindow': {
            const { applyLoginWindowPreset } = await import('../loginwindow/apply.js');
            const outcome = await applyLoginWindowPreset(command.params.preset as LoginWindowPreset, { now: now() });
            return { outcome: 'succeeded', message: `preset ${command.params.preset}: ${outcome.result}` };
          }
          case 'takeover': {
            const provider = loaded.config.takeover.provider ?? 'auto';
            const [{ takeover }, { mappingsFromServer }] = await Promise.all([import('../takeover/run.js'), import('../takeover/mapping.js')]);
            const report = await takeover({ mappings: mappingsFromServer(command.params.mappings), provider, idp: loaded.config.takeover.idp ?? null, alias: loaded.config.takeover.alias, dryRun: false, now });
            if (report.conflicts.length > 0) return { outcome: 'failed', code: 'E_MAPPING_INVALID', message: report.conflicts.join('; ').slice(0, 2000) };
            const failed = report.accounts.filter((account) => account.outcome && account.outcome.outcome !== 'committed');
            return { outcome: failed.length === 0 ? 'succeeded' : 'failed', message: report.accounts.map((account) => `${account.plan.user ?? account.plan.cloudUser}: ${account.outcome?.outcome ?? account.plan.action}`).join(', ').slice(0, 2000) };
          }
          case 'lock-account':
          case 'unlock-account': {
            const { runLockCommand } = await import('./lock-command.js');
            const step = await runLockCommand(command, loaded.config, { directory, cryptoUsers }, now);
            afterLock = step.afterwards;
            return step.outcome;
          }
        }
      }),
    ).catch((error: unknown) => ({ ran: true as const, value: { outcome: 'failed' as const, code: 'E_COMMAND_FAILED', message: errorMessage(error).slice(0, 2000) } }));
    if (!result.ran) return { outcome: 'failed', code: 'E_BUSY', message: 'another Untether action is running; send the command again later' };
    request('after-change');
    if (afterLock) {
      const first = result.value;
      return afterLock(first).catch((error: unknown) => ({ ...first, message: `${first.message ?? ''}; session handling failed: ${errorMessage(error)}`.slice(0, 2000) }));
    }
    return result.value;
  }

  async function startLink(): Promise<void> {
    const server = loaded.config.server;
    if (!server.url) return;
    // The link (ws, the protocol's schemas, the durable queue) is loaded only on Macs that report to a server.
    const [{ createServerLink }, { commandPolicyOf }, { hardwareIdentity }, { COMMAND_TYPES }] = await Promise.all([
      import('../link/link.js'),
      import('../link/policy.js'),
      import('../system/ioreg.js'),
      import('../../../protocol/src/commands.js'),
    ]);
    const identity = await hardwareIdentity();
    const hostname = await computerName();
    await ensurePrivateDirectory(dataPath('link'));
    link = createServerLink({
      serverUrl: server.url,
      dataDir: systemPath(dataPath('link')),
      readEnrollSecret: () => {
        const secret = readEnrollmentSecret(loaded.config.server);
        if (secret.kind === 'refused') log.error('enrollment_secret_refused', { reason: secret.reason });
        return secret.kind === 'found' ? secret.secret : undefined;
      },
      device: { hardwareUuid: identity.hardwareUuid, serial: identity.serialNumber, hostname },
      agentVersion: agentVersion(),
      tls: { caFile: server.caFile ? systemPath(server.caFile) : undefined, spkiPins: server.spkiPins },
      policy: commandPolicyOf(loaded),
      logger: createLogger({ component: 'link' }),
      now,
    });
    for (const type of Object.keys(COMMAND_TYPES) as Array<keyof typeof COMMAND_TYPES>) {
      link.onCommand(type, (command) => handleCommand(command as Command));
    }
    link.start();
    emit({ kind: 'agent.started', message: agentVersion() });
    for (const problem of loaded.problems) emit({ kind: 'config.invalid', message: describeConfigProblem(problem).slice(0, 2000) });
  }

  // A notice waits for the user's click (up to five minutes): shown beside the migration, never in its queue.
  const noticeShownFor = new Set<string>();
  async function noticeAtLogin(): Promise<void> {
    const console = await consoleUser().catch(() => undefined);
    if (console?.kind !== 'user' || noticeShownFor.has(console.name)) return;
    noticeShownFor.add(console.name);
    try {
      const { notifyOnLogin } = await import('../notify/send.js');
      const outcome = await notifyOnLogin({ user: console.name, uid: console.uid }, loaded.config.notices, { now: now() });
      if (outcome.show) log.info('notice_shown', { user: console.name, kind: outcome.notice?.kind, shown: outcome.show.shown, via: outcome.show.via });
    } catch (error) {
      log.warn('notice_failed', { user: console.name, error: errorMessage(error) });
    } finally {
      noticeShownFor.delete(console.name);
    }
  }

  let consoleWatch: ToolSession | undefined;
  const watchConsole = () => {
    consoleWatch = watchConsoleUser(() => {
      request('console-change');
      void noticeAtLogin();
    });
    // scutil should run for the daemon's life; if it ends, watch again after a pause.
    void consoleWatch.exited.then(() => {
      if (!stopping) setTimeout(watchConsole, 5_000).unref();
    });
  };

  const configWatcher = watchConfig(
    async (next) => {
      const serverChanged =
        JSON.stringify(next.config.server) !== JSON.stringify(loaded.config.server) ||
        ((next.config.server.url !== undefined || loaded.config.server.url !== undefined) && (await linkPolicyChanged(next, loaded)));
      loaded = next;
      applyLoggingSettings(loaded.config.logging, { captureCrashes: true });
      log.info('config_changed', { problems: loaded.problems.length });
      for (const problem of loaded.problems) emit({ kind: 'config.invalid', message: describeConfigProblem(problem).slice(0, 2000) });
      armTimer();
      if (serverChanged) {
        await link?.stop();
        link = undefined;
        await startLink().catch((error: unknown) => log.error('link_failed', { error: errorMessage(error) }));
      }
      request('config-change');
    },
    { baseline: loaded, log },
  );

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info('daemon_stopping', {});
    if (timer) clearInterval(timer);
    configWatcher.close();
    consoleWatch?.stop();
    // The current step finishes (or rolls back) before the daemon exits: never half a conversion.
    await serial.idle();
    await link?.stop();
    log.info('daemon_stopped', {});
    closeLogging();
    resolveStopped(0);
  }

  // `on`, not `once`: execa's exit hook re-raises a signal that no other listener is left to handle.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await startLink().catch((error: unknown) => log.error('link_failed', { error: errorMessage(error) }));
  watchConsole();
  armTimer();
  request('start');
  return { stopped, stop };
}
