// Applying a login window preset: plan (pure), then read, back up the whole right, write, read back and
// verify; on any mismatch put the backup back. The chain is written by `security authorizationdb write`
// (every other key of the right kept), except Jamf Connect's own login window when Jamf's authchanger is
// installed: only it knows Jamf Connect 2's exact list, so then it runs once, `authchanger -reset
// -JamfConnect`, and is never followed by a second -reset (which would wipe the first, HJ v4.9–4.15).
import { EXIT } from '../cli/exit-codes.js';
import { UntetherError } from '../errors.js';
import { readDefaultLoginChain } from '../inventory/collect.js';
import * as authchanger from '../system/authchanger.js';
import { isPluginInstalled, pluginBundlePath } from '../system/authplugins.js';
import { isRunningAsRoot } from '../system/privileges.js';
import { LOGIN_CONSOLE_RIGHT, readAuthorizationRight, writeAuthorizationRight, type AuthorizationRight } from '../system/security.js';
import { mechanismPlugin, sameChain } from './chain.js';
import { diffChains, satisfiesPreset, thirdPartyPlugins, type ChainDiffLine } from './compare.js';
import { JAMF_CONNECT_LOGIN_UI, JAMF_CONNECT_PLUGIN, presetChain, type LoginWindowPreset } from './presets.js';
import { pruneBackups, readBackup, writeBackup, writeDesired } from './state.js';
import { readLoginWindowStatus, type DriftReport } from './status.js';

/** How the chain gets written. */
export type WriteMethod = 'authorizationdb' | 'authchanger';

/** What an apply would do; the same value is printed by --dry-run and executed. */
export interface LoginWindowPlan {
  preset: LoginWindowPreset;
  method: WriteMethod;
  current: string[];
  osDefault: string[];
  /** The chain after the write. With authchanger this is our best-known list; authchanger decides the exact one. */
  intended: string[];
  intendedIsExact: boolean;
  diff: ChainDiffLine[];
  /** False when the chain already is what the preset asks for: nothing is written. */
  changes: boolean;
  /** Mechanisms of other products (not Apple's default, not the preset's) that the write removes. */
  removesForeign: string[];
  /** Third-party plug-ins the new chain loads (e.g. JamfConnectLogin); each must be installed. */
  requiredPlugins: string[];
  /** Those of them not installed on this Mac (filled by planFromMac); a write is refused while any is missing. */
  missingPlugins: string[];
}


/**
 * Plan a preset, pure. authchanger is used only for jamf-connect: apple and demobilize are built by us
 * from the OS default because authchanger's -reset writes its own hard-coded list, whose order differs
 * from Apple's (prelogin/policy-banner swapped, no PSSOAuthPlugin on Ventura).
 */
export function planLoginWindow(preset: LoginWindowPreset, current: readonly string[], osDefault: readonly string[], authchangerInstalled: boolean): LoginWindowPlan {
  const intended = presetChain(osDefault, preset);
  const method: WriteMethod = preset === 'jamf-connect' && authchangerInstalled ? 'authchanger' : 'authorizationdb';
  const changes = method === 'authchanger' ? !satisfiesPreset(preset, current, osDefault) : !sameChain(current, intended);
  const removesForeign = current.filter(
    (mechanism) => !osDefault.includes(mechanism) && !intended.includes(mechanism) && !(method === 'authchanger' && mechanismPlugin(mechanism) === JAMF_CONNECT_PLUGIN),
  );
  return {
    preset,
    method,
    current: [...current],
    osDefault: [...osDefault],
    intended,
    intendedIsExact: method === 'authorizationdb',
    diff: diffChains(current, changes ? intended : current),
    changes,
    removesForeign: changes ? removesForeign : [],
    requiredPlugins: thirdPartyPlugins(intended, osDefault),
    missingPlugins: [],
  };
}

/** The result of an apply. */
export interface ApplyOutcome {
  plan: LoginWindowPlan;
  result: 'applied' | 'unchanged' | 'dry-run';
  /** The chain read back after the write (or the current one when nothing was written). */
  chain: string[];
  backupPath?: string;
}

/** Whether the chain read back is what the plan wanted. */
function verified(plan: LoginWindowPlan, before: AuthorizationRight, after: AuthorizationRight): string | undefined {
  const mechanisms = after.mechanisms ?? [];
  if (after.class !== before.class) return `the right's class changed from ${before.class} to ${after.class}`;
  if (plan.method === 'authchanger') {
    return mechanisms.includes(JAMF_CONNECT_LOGIN_UI) ? undefined : `authchanger ran but ${JAMF_CONNECT_LOGIN_UI} is not in the chain read back`;
  }
  return sameChain(mechanisms, plan.intended) ? undefined : `the chain read back (${mechanisms.join(', ')}) is not the one written`;
}

async function write(plan: LoginWindowPlan, current: AuthorizationRight): Promise<void> {
  if (plan.method === 'authorizationdb') {
    await writeAuthorizationRight(LOGIN_CONSOLE_RIGHT, { ...current, mechanisms: plan.intended });
    return;
  }
  const outcome = await authchanger.run({ kind: 'reset-jamfconnect' });
  if (outcome.kind === 'not-root') {
    throw new UntetherError('E_NOT_ROOT', 'running authchanger -reset -JamfConnect: authchanger says it is not running as root', { exitCode: EXIT.NOT_ROOT });
  }
}

/** Put the backup back and check it; returns why it failed, or undefined when the old chain is back. */
async function restoreBackup(backupPath: string): Promise<string | undefined> {
  try {
    const backup = await readBackup(backupPath);
    await writeAuthorizationRight(LOGIN_CONSOLE_RIGHT, backup.definition);
    const after = await readAuthorizationRight(LOGIN_CONSOLE_RIGHT);
    if (!sameChain(after.mechanisms ?? [], backup.definition.mechanisms ?? [])) return 'the chain read back after restoring is not the backup';
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Refuse a plan whose new chain loads a plug-in that is not installed (it would stop every login). */
export function refuseMissingPlugins(plan: LoginWindowPlan): void {
  if (!plan.changes || plan.missingPlugins.length === 0) return;
  throw new UntetherError(
    'E_LOGINWINDOW_PLUGIN_MISSING',
    `applying login window preset "${plan.preset}": ${plan.missingPlugins.map((plugin) => pluginBundlePath(plugin)).join(', ')} is not installed; a chain that loads it would stop every login; install it first (Jamf Connect's package installs JamfConnectLogin.bundle); nothing was changed`,
    { exitCode: EXIT.REFUSED },
  );
}

/** Fail with NOT_ROOT unless running as root. */
export function requireRoot(doing: string): void {
  if (!isRunningAsRoot()) {
    throw new UntetherError('E_NOT_ROOT', `${doing}: must run as root (sudo untether …); nothing was changed`, { exitCode: EXIT.NOT_ROOT });
  }
}

/** Read what a plan needs from the Mac and plan (no writes; works as any user). */
export async function planFromMac(preset: LoginWindowPreset): Promise<{ plan: LoginWindowPlan; definition: AuthorizationRight }> {
  const [definition, osDefault, authchangerInstalled] = await Promise.all([
    readAuthorizationRight(LOGIN_CONSOLE_RIGHT),
    readDefaultLoginChain().catch((error: unknown) => {
      throw new UntetherError('E_LOGINWINDOW_NO_DEFAULT', `reading the macOS default login chain: ${error instanceof Error ? error.message : String(error)}; nothing was changed`, { cause: error });
    }),
    authchanger.isInstalled(),
  ]);
  const plan = planLoginWindow(preset, definition.mechanisms ?? [], osDefault, authchangerInstalled);
  for (const plugin of plan.requiredPlugins) if (!(await isPluginInstalled(plugin))) plan.missingPlugins.push(plugin);
  return { plan, definition };
}

/**
 * Apply a preset: plan, back up, write, read back, verify, restore the backup on a mismatch, record the
 * desired preset. The caller holds the action lock. With dryRun only the plan is made.
 */
export async function applyLoginWindowPreset(preset: LoginWindowPreset, options: { now: Date; dryRun?: boolean }): Promise<ApplyOutcome> {
  if (!options.dryRun) requireRoot(`applying login window preset "${preset}"`);
  const { plan, definition } = await planFromMac(preset);
  if (options.dryRun) return { plan, result: 'dry-run', chain: plan.current };
  const record = (chain: string[]) =>
    writeDesired({ schemaVersion: 1, preset, method: plan.method, appliedAt: options.now.toISOString(), chain, osDefault: plan.osDefault });
  refuseMissingPlugins(plan);
  if (!plan.changes) {
    await record(plan.current);
    return { plan, result: 'unchanged', chain: plan.current };
  }
  const backupPath = await writeBackup(definition, options.now, `before applying login window preset "${preset}"`);
  let problem: string | undefined;
  let after: AuthorizationRight | undefined;
  try {
    await write(plan, definition);
    after = await readAuthorizationRight(LOGIN_CONSOLE_RIGHT);
    problem = verified(plan, definition, after);
  } catch (error) {
    if (error instanceof UntetherError && error.exitCode === EXIT.NOT_ROOT) throw error;
    problem = error instanceof Error ? error.message : String(error);
  }
  if (problem !== undefined || after === undefined) {
    const restoreProblem = await restoreBackup(backupPath);
    const tail = restoreProblem === undefined ? 'the previous chain was restored from the backup' : `restoring the previous chain failed too (${restoreProblem}); the backup is ${backupPath}`;
    throw new UntetherError('E_LOGINWINDOW_VERIFY', `applying login window preset "${preset}": ${problem ?? 'no chain read back'}; ${tail}`);
  }
  const chain = [...(after.mechanisms ?? [])];
  await record(chain);
  await pruneBackups();
  return { plan, result: 'applied', chain, backupPath };
}

/** What the daemon's periodic login window check did. */
export type ReconcileOutcome =
  | { action: 'none'; drift: DriftReport }
  | { action: 'reapplied'; preset: LoginWindowPreset; outcome: ApplyOutcome };

/**
 * For the daemon (after boot, after an OS update): when the chain was reset to the macOS default while a
 * preset is wanted, apply that preset again. A chain changed by anything else is only reported: another
 * product or an admin did that, and fighting them in a loop would be worse. The caller holds the lock.
 */
export async function reconcileLoginWindow(options: { now: Date }): Promise<ReconcileOutcome> {
  const status = await readLoginWindowStatus();
  if (status.drift.state !== 'reset-by-os') return { action: 'none', drift: status.drift };
  const preset = status.drift.preset;
  return { action: 'reapplied', preset, outcome: await applyLoginWindowPreset(preset, { now: options.now }) };
}
