// Pure rules of fleet-wide account locks: which accounts of an inventory a lock names, what one device's commands
// of a lock say about it (its progress state), and when an inventory calls for a new lock-account or unlock-account
// command. Data in, decisions out: no clock, no store (see docs/decisions/2026-12-03-fleet-account-locks.md).
import { createHash } from 'node:crypto';
import type { AccountLockParams, InventoryUser } from '../../../protocol/src/index.js';

/** What a lock names: a local short name, or the cloud identity a takeover linked accounts to. */
export type LockTargetKind = 'user' | 'identity';

/** A lock target as the admin gave it. */
export interface LockTarget {
  kind: LockTargetKind;
  value: string;
}

/** The two command types a lock sends. */
export type LockCommandType = 'lock-account' | 'unlock-account';

/** Where one device stands in a lock, from its latest command of that lock. */
export type LockDeviceState = 'sent' | 'applied' | 'refused' | 'failed' | 'pending-offline' | 'expired' | 'cancelled' | 'unlocked';

/** Every state, in the order the dashboard lists them (problems first). */
export const LOCK_DEVICE_STATES: readonly LockDeviceState[] = ['refused', 'failed', 'expired', 'pending-offline', 'sent', 'applied', 'cancelled', 'unlocked'];

/**
 * Fold a user name or identity for matching. macOS short names are case-insensitive; identities are e-mail-like.
 * PostgreSQL's lower() folds the same ASCII letters at lock creation; where it folds fewer (non-ASCII under the C
 * locale), a device missed at creation is found by this fold when it next reports its inventory.
 */
export function foldTarget(value: string): string {
  return value.toLowerCase();
}

/** What a follow-up decision knows of a device beyond its inventory. */
export interface DeviceFacts {
  agentVersion: string;
  capabilities: readonly string[];
  /** Identifiers of the configuration profiles the inventory lists. */
  profiles: readonly string[];
}

/**
 * A short digest of what can change a device's answer to a lock command: its agent version, capabilities and
 * installed profiles (the agent's configuration arrives as a profile). A refusal is retried early when it changes.
 */
export function deviceFingerprint(facts: DeviceFacts): string {
  const canonical = JSON.stringify([facts.agentVersion, [...facts.capabilities].sort(), [...facts.profiles].sort()]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** A lock as the inventory path sees it: active ones lock, recently released ones still unlock. */
export interface LockRule {
  id: string;
  targetKind: LockTargetKind;
  folded: string;
  reason: string;
  createdBy: string;
  releasedBy: string | null;
  releaseReason: string | null;
  active: boolean;
}

/** Locks indexed by what they match, built once per cache load so each inventory costs one lookup per account. */
export interface LockIndex {
  size: number;
  byUser: ReadonlyMap<string, readonly LockRule[]>;
  byIdentity: ReadonlyMap<string, readonly LockRule[]>;
}

/** Index `rules` by folded target. */
export function indexLocks(rules: readonly LockRule[]): LockIndex {
  const byUser = new Map<string, LockRule[]>();
  const byIdentity = new Map<string, LockRule[]>();
  for (const rule of rules) {
    const map = rule.targetKind === 'user' ? byUser : byIdentity;
    const list = map.get(rule.folded) ?? [];
    list.push(rule);
    map.set(rule.folded, list);
  }
  return { size: rules.length, byUser, byIdentity };
}

/** The locks naming `user` (by its short name or its linked identity). */
export function locksNaming(index: LockIndex, user: Pick<InventoryUser, 'name' | 'linkedIdentity'>): LockRule[] {
  const found = [...(index.byUser.get(foldTarget(user.name)) ?? [])];
  if (user.linkedIdentity !== null) found.push(...(index.byIdentity.get(foldTarget(user.linkedIdentity)) ?? []));
  return found;
}

/** An account that may need a command of a lock. */
export interface LockCandidate {
  rule: LockRule;
  type: LockCommandType;
  account: string;
  /** What the inventory says: true locked, false not locked, null/undefined unknown (older agents). */
  locked: boolean | null | undefined;
}

/**
 * Accounts of an inventory that may need a command: one an active lock names that does not report locked, and one
 * a released lock names that reports locked and that no active lock also names (else the two would undo each other
 * forever). Pure and cheap: no candidates means no store query.
 */
export function lockCandidates(index: LockIndex, users: readonly InventoryUser[]): LockCandidate[] {
  if (index.size === 0) return [];
  const candidates: LockCandidate[] = [];
  for (const user of users) {
    const rules = locksNaming(index, user);
    if (rules.length === 0) continue;
    const heldByActive = rules.some((rule) => rule.active);
    for (const rule of rules) {
      if (rule.active && user.locked !== true) candidates.push({ rule, type: 'lock-account', account: user.name, locked: user.locked });
      if (!rule.active && user.locked === true && !heldByActive) candidates.push({ rule, type: 'unlock-account', account: user.name, locked: true });
    }
  }
  return candidates;
}

/** Server statuses of a command (mirrors CommandStatus of the store). */
export type LockCommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled';

/** One earlier command of a lock on the device, as the follow-up decision needs it. */
export interface LockCommandHistory {
  lockId: string;
  type: LockCommandType;
  status: LockCommandStatus;
  issuedAt: Date;
  validUntil: Date;
  sentAt: Date | null;
  /** When the server recorded the result. */
  finishedAt: Date | null;
  /** When the agent says it finished (its own clock, comparable with an inventory's collectedAt). */
  agentFinishedAt: Date | null;
  deviceFingerprint: string | null;
}

/** Inputs of the follow-up decision besides the candidates and history. */
export interface FollowUpContext {
  now: Date;
  /** When the agent collected the inventory (its clock). */
  collectedAt: Date;
  fingerprint: string;
  /** A refused or failed command is sent again after this long, or at once when the fingerprint changed. */
  retryAfterRefusalMs: number;
}

/** A command the inventory calls for. */
export interface FollowUp {
  rule: LockRule;
  type: LockCommandType;
  account: string;
}

function isOpen(command: LockCommandHistory, now: Date): boolean {
  return (command.status === 'pending' || command.status === 'sent') && command.validUntil > now;
}

/** True when the device may have applied the lock: it got the command and did not refuse or fail it. */
function lockReachedDevice(history: readonly LockCommandHistory[], lockId: string): boolean {
  return history.some((command) => command.lockId === lockId && command.type === 'lock-account' && command.sentAt !== null && command.status !== 'rejected' && command.status !== 'failed');
}

/** Decide one candidate against its lock's earlier commands on this device. */
function needsCommand(candidate: LockCandidate, history: readonly LockCommandHistory[], context: FollowUpContext): boolean {
  const own = history
    .filter((command) => command.lockId === candidate.rule.id && command.type === candidate.type)
    .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime());
  if (own.some((command) => isOpen(command, context.now))) return false;
  if (candidate.type === 'unlock-account' && !lockReachedDevice(history, candidate.rule.id)) return false;
  const last = own[0];
  if (last === undefined) return true;
  switch (last.status) {
    case 'succeeded': {
      // Done once; again only when the account says otherwise in a scan made after it was done (a reinstalled Mac,
      // a restored backup). An agent that cannot tell (locked unknown) is not sent the lock again and again.
      const contradicted = candidate.type === 'lock-account' ? candidate.locked === false : candidate.locked === true;
      const doneAt = last.agentFinishedAt ?? last.finishedAt;
      // Twice done and twice contradicted is not a reinstall but an agent that cannot make it stick: like a refusal,
      // wait for the interval or a changed device instead of sending it with every report.
      const repeating =
        own[1]?.status === 'succeeded' &&
        context.now.getTime() - last.issuedAt.getTime() < context.retryAfterRefusalMs &&
        last.deviceFingerprint === context.fingerprint;
      return contradicted && (doneAt === null || context.collectedAt > doneAt) && !repeating;
    }
    case 'rejected':
    case 'failed': {
      const refusedAt = last.finishedAt ?? last.issuedAt;
      return context.now.getTime() - refusedAt.getTime() >= context.retryAfterRefusalMs || last.deviceFingerprint !== context.fingerprint;
    }
    case 'expired':
    case 'cancelled':
    case 'pending':
    case 'sent':
      // Pending or sent here means past its validity but not yet marked expired by the sweep.
      return true;
    default: {
      const unreachable: never = last.status;
      throw new Error(`deciding a lock follow-up: unknown command status ${String(unreachable)}`);
    }
  }
}

/** The commands an inventory calls for: at most one per lock (a device's other matching account comes next report). */
export function decideFollowUps(candidates: readonly LockCandidate[], history: readonly LockCommandHistory[], context: FollowUpContext): FollowUp[] {
  const decided = new Map<string, FollowUp>();
  for (const candidate of candidates) {
    if (decided.has(candidate.rule.id)) continue;
    if (needsCommand(candidate, history, context)) decided.set(candidate.rule.id, { rule: candidate.rule, type: candidate.type, account: candidate.account });
  }
  return [...decided.values()];
}

/** Where a device stands, from the type and status of its latest command of the lock. */
export function lockDeviceState(type: LockCommandType, status: LockCommandStatus): LockDeviceState {
  switch (status) {
    case 'pending':
      return 'pending-offline';
    case 'sent':
      return 'sent';
    case 'succeeded':
      return type === 'lock-account' ? 'applied' : 'unlocked';
    case 'rejected':
      return 'refused';
    case 'failed':
      return 'failed';
    case 'expired':
      return 'expired';
    case 'cancelled':
      return 'cancelled';
    default: {
      const unreachable: never = status;
      throw new Error(`deriving a lock state: unknown command status ${String(unreachable)}`);
    }
  }
}

/** The params of a lock's command naming `account` by its local short name. */
export function lockCommandParams(lockId: string, account: string, requestedBy: string, reason: string): AccountLockParams {
  return { account: { by: 'user', user: account }, lockId, requestedBy, reason };
}
