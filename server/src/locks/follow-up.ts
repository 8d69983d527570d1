// The inventory path of locks: each inventory an agent reports is matched in memory against this instance's cache
// of locks, and a lock-account or unlock-account command is created when the pure rules call for one (a Mac that
// was offline, reinstalled or restored from backup). With no lock naming any of its accounts, an inventory costs a
// few map lookups and no query. The cache reloads on the "locks changed" notice from any instance.
import type { Logger } from 'winston';
import type { Inventory } from '../../../protocol/src/index.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { decideFollowUps, deviceFingerprint, indexLocks, lockCandidates, type LockIndex } from './rules.js';

/** What the follow-up needs to know about the reporting device besides its inventory. */
export interface ReportingDevice {
  deviceId: string;
  agentVersion: string;
  capabilities: readonly string[];
}

/** Tunables, from ServerConfig. */
export interface LockFollowUpOptions {
  retryAfterRefusalMs: number;
  followUpMs: number;
  cacheMaxAgeMs: number;
  defaultCommandValidityMs: number;
}

/** Counters for tests and benchmarks. */
export interface LockFollowUpStats {
  cacheLoads: number;
  /** "Locks changed" notices received. */
  notices: number;
  /** Inventories that needed a query (a lock named one of their accounts). */
  historyQueries: number;
  commandsCreated: number;
}

/** Matches inventories against locks and creates the commands they call for. */
export class LockFollowUp {
  readonly stats: LockFollowUpStats = { cacheLoads: 0, notices: 0, historyQueries: 0, commandsCreated: 0 };
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #options: LockFollowUpOptions;
  #index: LockIndex | undefined;
  #loadedAt = 0;
  #loading: Promise<LockIndex> | undefined;
  /** Bumped by every notice: a load that started before it is not trusted afterwards. */
  #generation = 0;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: { store: Store; clock: Clock; logger: Logger } & LockFollowUpOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#options = options;
  }

  /** Listen for "locks changed" notices from every instance. */
  async start(): Promise<void> {
    this.#unlisten = await this.#store.onLockNotice(() => {
      this.stats.notices += 1;
      this.invalidate();
    });
  }

  /** Forget the cache; the next inventory reloads it. */
  invalidate(): void {
    this.#generation += 1;
    this.#index = undefined;
  }

  async #locks(): Promise<LockIndex> {
    if (this.#index !== undefined && Date.now() - this.#loadedAt < this.#options.cacheMaxAgeMs) return this.#index;
    if (this.#loading !== undefined) return this.#loading;
    const generation = this.#generation;
    const loading = this.#store
      .lockRules(new Date(this.#clock.now().getTime() - this.#options.followUpMs))
      .then((rules) => {
        const index = indexLocks(rules);
        this.stats.cacheLoads += 1;
        if (generation === this.#generation) {
          this.#index = index;
          this.#loadedAt = Date.now();
        }
        return index;
      })
      .finally(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
    this.#loading = loading;
    return loading;
  }

  /** Match one stored inventory against the locks and create what it calls for. Never throws: failures are logged. */
  async onInventory(device: ReportingDevice, inventory: Inventory, collectedAt: Date): Promise<void> {
    try {
      const index = await this.#locks();
      const candidates = lockCandidates(index, inventory.users);
      if (candidates.length === 0) return;
      this.stats.historyQueries += 1;
      const history = await this.#store.lockCommandHistory(device.deviceId, [...new Set(candidates.map((candidate) => candidate.rule.id))]);
      const now = this.#clock.now();
      const fingerprint = deviceFingerprint({
        agentVersion: device.agentVersion,
        capabilities: device.capabilities,
        profiles: inventory.profiles.map((profile) => profile.identifier),
      });
      const followUps = decideFollowUps(candidates, history, { now, collectedAt, fingerprint, retryAfterRefusalMs: this.#options.retryAfterRefusalMs });
      if (followUps.length === 0) return;
      const validUntil = new Date(now.getTime() + this.#options.defaultCommandValidityMs);
      const created = await this.#store.createLockCommands(
        followUps.map((followUp) => ({
          lockId: followUp.rule.id,
          deviceId: device.deviceId,
          type: followUp.type,
          account: followUp.account,
          requestedBy: followUp.type === 'lock-account' ? followUp.rule.createdBy : (followUp.rule.releasedBy ?? followUp.rule.createdBy),
          reason: followUp.type === 'lock-account' ? followUp.rule.reason : (followUp.rule.releaseReason ?? followUp.rule.reason),
          deviceFingerprint: fingerprint,
          issuedAt: now,
          validUntil,
        })),
      );
      this.stats.commandsCreated += created;
      if (created > 0) {
        this.#logger.info('lock_follow_up_created', { deviceId: device.deviceId, locks: followUps.map((followUp) => followUp.rule.id), types: followUps.map((followUp) => followUp.type) });
      }
    } catch (error) {
      // The inventory itself is stored; the next one tries again.
      this.#logger.warn('lock_follow_up_failed', { deviceId: device.deviceId, error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
