// Pure: the migration as a staged state machine. From the configuration, what the Mac looks like now and
// what woke the daemon, decide for every stage whether it is off, complete, waiting (and for what), or
// ready to run. Stages run in order; a stage waits for the enabled stages before it.
import type { AgentConfig } from '../config/schema.js';
import { isWithinSchedule } from '../config/schedule.js';

/** The stages, in order, named as the protocol names them. */
export const MIGRATION_STAGES = ['scan', 'demobilize', 'unbind', 'loginwindow', 'link'] as const;
export type MigrationStage = (typeof MIGRATION_STAGES)[number];

/** What woke the daemon. A server command runs its own action; it is not a trigger here. */
export type Trigger = 'start' | 'console-change' | 'schedule' | 'config-change' | 'after-change';

/** What the stages need to know about the Mac, from a fresh scan. */
export interface MigrationFacts {
  bound: boolean;
  /** Short names of the mobile accounts left. */
  mobileAccounts: readonly string[];
  /** Users with any session (console, fast user switching, terminal, SSH, processes). */
  loggedInUsers: readonly string[];
  /** Whether the login window equals the configured preset (null: could not be read). */
  loginWindowSatisfied: boolean | null;
  /** The preset was applied and something other than an OS update changed the chain since. */
  loginWindowChangedElsewhere: boolean;
  /** Local accounts still to link (null: linking cannot tell yet). */
  linksPending: number | null;
  /** The daemon's start came with this boot (the "boot" demobilize time). */
  firstRunSinceBoot: boolean;
}

export type StageStatus = 'off' | 'complete' | 'waiting' | 'ready';

export interface StageView {
  stage: MigrationStage;
  status: StageStatus;
  /** A short machine word for what the stage waits for (protocol `waitingFor`), or null. */
  waitingFor: string | null;
  /** One sentence for people: why this status. */
  reason: string;
  /** For demobilize: the accounts the run would take. */
  users?: string[];
}

function demobilizeView(config: AgentConfig, facts: MigrationFacts, trigger: Trigger, now: Date): StageView {
  const settings = config.demobilize;
  const base = { stage: 'demobilize' as const };
  if (!settings.enabled) return { ...base, status: 'off', waitingFor: null, reason: 'demobilize is not enabled in the configuration' };
  const excluded = new Set(settings.policy.excludeUsers);
  const inScope = facts.mobileAccounts.filter((name) => !excluded.has(name) && (settings.allUsers || settings.users.includes(name)));
  if (inScope.length === 0) return { ...base, status: 'complete', waitingFor: null, reason: 'no mobile account left in scope' };
  const eligible = settings.policy.loggedInUser === 'allow' ? inScope : inScope.filter((name) => !facts.loggedInUsers.includes(name));
  if (eligible.length === 0) return { ...base, status: 'waiting', waitingFor: 'user-logout', reason: `${inScope.join(', ')} is logged in; waiting for logout`, users: inScope };
  switch (settings.when) {
    case 'boot':
      if (!facts.firstRunSinceBoot || trigger !== 'start') return { ...base, status: 'waiting', waitingFor: 'next-boot', reason: 'set to run at boot; waiting for the next start of the Mac', users: eligible };
      break;
    case 'login':
      if (facts.loggedInUsers.length > 0 && settings.policy.loggedInUser !== 'allow') {
        return { ...base, status: 'waiting', waitingFor: 'login-window', reason: 'set to run at the login window; waiting until no one is logged in', users: eligible };
      }
      break;
    case 'schedule':
      if (!isWithinSchedule(config.schedule.windows, now)) return { ...base, status: 'waiting', waitingFor: 'schedule-window', reason: 'outside the schedule windows', users: eligible };
      break;
    case undefined:
      return { ...base, status: 'off', waitingFor: null, reason: 'demobilize has no "when"; it stays off' };
  }
  return { ...base, status: 'ready', waitingFor: null, reason: `${eligible.length} account(s) to convert`, users: eligible };
}

function unbindView(config: AgentConfig, facts: MigrationFacts): StageView {
  if (!config.unbind.enabled) return { stage: 'unbind', status: 'off', waitingFor: null, reason: 'unbind is not enabled in the configuration' };
  if (!facts.bound) return { stage: 'unbind', status: 'complete', waitingFor: null, reason: 'not bound to Active Directory' };
  if (facts.mobileAccounts.length > 0) {
    return { stage: 'unbind', status: 'waiting', waitingFor: 'mobile-accounts', reason: `${facts.mobileAccounts.length} mobile account(s) remain; unbind waits until none is left` };
  }
  return { stage: 'unbind', status: 'ready', waitingFor: null, reason: 'no mobile account left' };
}

function loginWindowView(config: AgentConfig, facts: MigrationFacts): StageView {
  const settings = config.loginWindow;
  if (!settings.enabled || settings.preset === undefined) return { stage: 'loginwindow', status: 'off', waitingFor: null, reason: 'the login window stage is not enabled' };
  if (facts.loginWindowSatisfied === true) return { stage: 'loginwindow', status: 'complete', waitingFor: null, reason: `the login window is on the ${settings.preset} preset` };
  if (facts.loginWindowSatisfied === null) return { stage: 'loginwindow', status: 'waiting', waitingFor: 'readable-chain', reason: 'the login window chain could not be read' };
  if (facts.loginWindowChangedElsewhere) {
    return { stage: 'loginwindow', status: 'waiting', waitingFor: 'admin-decision', reason: `something else changed the chain after the ${settings.preset} preset was applied; not overwritten (untether loginwindow apply ${settings.preset} re-applies it)` };
  }
  return { stage: 'loginwindow', status: 'ready', waitingFor: null, reason: `apply the ${settings.preset} preset` };
}

function linkView(config: AgentConfig, facts: MigrationFacts): StageView {
  const settings = config.takeover;
  if (!settings.enabled) return { stage: 'link', status: 'off', waitingFor: null, reason: 'account linking is not enabled' };
  if (settings.mappingSource === 'server') return { stage: 'link', status: 'waiting', waitingFor: 'server-mapping', reason: 'links come from the server as takeover commands' };
  if (facts.linksPending === 0) return { stage: 'link', status: 'complete', waitingFor: null, reason: 'every mapped account is linked' };
  return { stage: 'link', status: 'ready', waitingFor: null, reason: facts.linksPending === null ? 'apply the mapping' : `${facts.linksPending} account(s) to link` };
}

/**
 * Every stage's status. A stage that could run waits while an enabled stage before it is not complete,
 * except the "demobilize" login window preset, which is itself a way to demobilize and goes first.
 */
export function evaluateStages(config: AgentConfig, facts: MigrationFacts, trigger: Trigger, now: Date): StageView[] {
  const scan: StageView = config.inventory.enabled
    ? { stage: 'scan', status: 'complete', waitingFor: null, reason: 'scanned' }
    : { stage: 'scan', status: 'off', waitingFor: null, reason: 'inventory is not enabled (the agent still scans for itself)' };
  const views = [scan, demobilizeView(config, facts, trigger, now), unbindView(config, facts), loginWindowView(config, facts), linkView(config, facts)];
  let blocker: StageView | undefined;
  return views.map((view) => {
    const goesFirst = view.stage === 'loginwindow' && config.loginWindow.preset === 'demobilize';
    const result =
      view.status === 'ready' && blocker && !goesFirst
        ? { ...view, status: 'waiting' as const, waitingFor: `stage-${blocker.stage}`, reason: `waits for the ${blocker.stage} stage: ${blocker.reason}` }
        : view;
    if (!blocker && (view.status === 'waiting' || view.status === 'ready')) blocker = view;
    return result;
  });
}

/** Where the Mac stands: the first stage not yet complete (or "done"), and what it waits for. */
export function currentStage(views: readonly StageView[]): { stage: MigrationStage | 'done'; waitingFor: string | null } {
  const open = views.find((view) => view.status === 'waiting' || view.status === 'ready');
  return open ? { stage: open.stage, waitingFor: open.status === 'waiting' ? open.waitingFor : null } : { stage: 'done', waitingFor: null };
}
