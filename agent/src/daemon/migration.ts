// One pass of the migration: scan, evaluate the stages, run the first ready one, scan again, until
// nothing is ready. Runs under the action lock shared with the CLI; a failed stage is not retried in the
// same pass, and not before RETRY_AFTER_MS on timer ticks.
import { errorMessage } from '../errors.js';
import type { Logger } from 'winston';
import type { NewEvent } from '../link/link.js';
import type { AgentConfig } from '../config/schema.js';
import { scanMac } from '../inventory/collect.js';
import type { MacInventory } from '../inventory/model.js';
import { satisfiesPreset } from '../loginwindow/compare.js';
import { readLoginWindowStatus } from '../loginwindow/status.js';
import { currentStage, evaluateStages, type MigrationFacts, type MigrationStage, type StageView, type Trigger } from './stages.js';
import type { StageResult } from './state.js';

/** A failed stage waits this long before a timer or login retries it (a start or config change retries at once). */
export const RETRY_AFTER_MS = 15 * 60_000;
/** Stages a single pass may run; guards against a loop if a stage reports success without progress. */
const MAX_STAGES_PER_PASS = 6;

export interface PassContext {
  config: AgentConfig;
  now: () => Date;
  log: Logger;
  emit: (event: NewEvent) => void;
  results: Partial<Record<MigrationStage, StageResult>>;
  firstRunSinceBoot: boolean;
}

export interface PassOutcome {
  inventory: MacInventory;
  views: StageView[];
  current: { stage: MigrationStage | 'done'; waitingFor: string | null };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What the stages need from a scan. */
export async function migrationFacts(config: AgentConfig, inventory: MacInventory, firstRunSinceBoot: boolean): Promise<MigrationFacts> {
  let loginWindowSatisfied: boolean | null = null;
  let loginWindowChangedElsewhere = false;
  const preset = config.loginWindow.preset;
  if (preset !== undefined && inventory.loginWindow.kind !== 'unknown') {
    const status = await readLoginWindowStatus().catch(() => undefined);
    if (status && status.osDefault !== null) {
      loginWindowSatisfied = satisfiesPreset(preset, status.mechanisms, status.osDefault);
      // Re-applied after an OS update reset it; a chain another product or an admin changed is reported, not fought.
      loginWindowChangedElsewhere = !loginWindowSatisfied && status.drift.state === 'changed-by-someone-else' && status.drift.preset === preset;
    }
  }
  return {
    bound: inventory.binding.bound,
    mobileAccounts: inventory.users.filter((user) => user.kind === 'mobile').map((user) => user.name),
    loggedInUsers: inventory.users.filter((user) => user.loggedIn).map((user) => user.name),
    loginWindowSatisfied,
    loginWindowChangedElsewhere,
    linksPending: null,
    firstRunSinceBoot,
  };
}

/** Run one stage; never throws (a failure is a result). */
async function runStage(view: StageView, context: PassContext): Promise<StageResult> {
  const at = () => context.now().toISOString();
  const { config } = context;
  try {
    switch (view.stage) {
      case 'demobilize': {
        const { demobilize } = await import('../actions/demobilize.js');
        const report = await demobilize({
          users: view.users ?? [],
          dryRun: false,
          policy: config.demobilize.policy,
          now: context.now,
          onEvent: (event) => context.log.info('transaction_event', { ...event, operation: undefined }),
        });
        for (const account of report.accounts) {
          for (const gate of account.plan.gates.filter((candidate) => candidate.outcome === 'refuse')) {
            context.emit({ kind: 'gate.refused', stage: 'demobilize', user: account.plan.user, message: gate.message, detail: { gate: gate.gate } });
          }
          const outcome = account.outcome;
          if (!outcome) continue;
          context.emit(
            outcome.outcome === 'committed'
              ? { kind: 'step.succeeded', stage: 'demobilize', user: outcome.user, message: 'converted and verified', detail: { snapshot: outcome.snapshotId } }
              : { kind: 'step.failed', stage: 'demobilize', user: outcome.user, code: outcome.outcome === 'rolled-back' ? 'E_ROLLED_BACK' : 'E_NEEDS_ADMIN', message: outcome.reason, detail: { problems: outcome.problems.slice(0, 20) } },
          );
        }
        const outcomes = report.accounts.flatMap((account) => (account.outcome ? [account.outcome] : []));
        const failed = outcomes.filter((outcome) => outcome.outcome !== 'committed').length;
        const done = outcomes.length - failed;
        if (failed > 0) return { outcome: 'failed', at: at(), code: 'E_DEMOBILIZE_FAILED', message: `${done} converted, ${failed} rolled back or failed` };
        if (done === 0) return { outcome: 'refused', at: at(), message: 'no account passed the safety gates' };
        return { outcome: 'succeeded', at: at(), message: `${done} account(s) converted and verified` };
      }
      case 'unbind': {
        const { unbind } = await import('../actions/unbind.js');
        await unbind({ dryRun: false });
        context.emit({ kind: 'step.succeeded', stage: 'unbind', message: 'unbound and verified' });
        return { outcome: 'succeeded', at: at(), message: 'unbound and verified' };
      }
      case 'loginwindow': {
        const preset = config.loginWindow.preset!;
        const { applyLoginWindowPreset } = await import('../loginwindow/apply.js');
        const outcome = await applyLoginWindowPreset(preset, { now: context.now() });
        context.emit({ kind: 'step.succeeded', stage: 'loginwindow', message: `login window preset ${preset}: ${outcome.result}` });
        return { outcome: 'succeeded', at: at(), message: `preset ${preset} ${outcome.result}` };
      }
      case 'link':
        return { outcome: 'skipped', at: at(), message: 'linking from a file or by name is run by `untether takeover`; the daemon takes mappings from the server' };
      case 'scan':
        return { outcome: 'succeeded', at: at() };
    }
  } catch (error) {
    context.emit({ kind: 'step.failed', stage: view.stage, code: errorCode(error), message: errorMessage(error).slice(0, 2000) });
    return { outcome: 'failed', at: at(), code: errorCode(error) ?? 'E_STAGE_FAILED', message: errorMessage(error) };
  }
}

function recentlyFailed(result: StageResult | undefined, now: Date): boolean {
  return result?.outcome === 'failed' && now.getTime() - Date.parse(result.at) < RETRY_AFTER_MS;
}

/** Scan, evaluate, and run ready stages in order. The caller holds the action lock. */
export async function runMigrationPass(trigger: Trigger, context: PassContext): Promise<PassOutcome> {
  const attempted = new Set<MigrationStage>();
  let currentTrigger = trigger;
  for (let round = 0; ; round += 1) {
    const inventory = await scanMac(context.now());
    const facts = await migrationFacts(context.config, inventory, context.firstRunSinceBoot);
    const views = evaluateStages(context.config, facts, currentTrigger, context.now());
    const patient = trigger === 'schedule' || trigger === 'console-change';
    const ready = views.find(
      (view) => view.status === 'ready' && view.stage !== 'scan' && !attempted.has(view.stage) && !(patient && recentlyFailed(context.results[view.stage], context.now())),
    );
    if (!ready || round >= MAX_STAGES_PER_PASS) return { inventory, views, current: currentStage(views) };
    attempted.add(ready.stage);
    context.log.info('stage_started', { stage: ready.stage, trigger: currentTrigger, reason: ready.reason });
    context.emit({ kind: 'step.started', stage: ready.stage, message: ready.reason });
    const result = await runStage(ready, context);
    context.results[ready.stage] = result;
    context.log.info('stage_finished', { stage: ready.stage, outcome: result.outcome, message: result.message });
    currentTrigger = 'after-change';
  }
}
