// Command delivery: a command is stored by whichever instance the admin reached, then NOTIFY tells every instance;
// the one holding the device's socket sends it. A periodic sweep covers lost notifications and expires old
// commands. Agents de-duplicate by id, so a command sent twice (reconnect, sweep) runs once.
import type { Logger } from 'winston';
import { Command } from '../../../protocol/src/index.js';
import type { Clock } from '../clock.js';
import type { Gateway } from '../gateway/gateway.js';
import type { ChangeSink } from '../live/change-feed.js';
import type { Store, StoredCommand } from '../store/store.js';

/** Most devices the sweep looks at per round. */
const SWEEP_LIMIT = 10_000;

/** Sends stored commands to the devices connected to this instance. */
export class CommandDispatcher {
  readonly #store: Store;
  readonly #gateway: Gateway;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sweepMs: number;
  readonly #changes: ChangeSink;
  #sweepTimer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: { store: Store; gateway: Gateway; clock: Clock; logger: Logger; sweepMs: number; changes: ChangeSink }) {
    this.#store = options.store;
    this.#changes = options.changes;
    this.#gateway = options.gateway;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#sweepMs = options.sweepMs;
    this.#gateway.setListener({ onDeviceReady: (deviceId) => void this.deliver([deviceId], true) });
  }

  /** Listen for notifications and start the sweep. */
  async start(): Promise<void> {
    this.#unlisten = await this.#store.onCommandNotice((deviceIds) => {
      void this.deliver(deviceIds[0] === '*' ? this.#gateway.readyDeviceIds() : deviceIds, false);
    });
    this.#sweepTimer = setInterval(() => void this.sweep(), this.#sweepMs);
  }

  /** Deliver pending commands of these devices that are connected here; `resend` also repeats unanswered ones. */
  async deliver(deviceIds: readonly string[], resend: boolean): Promise<void> {
    const local = deviceIds.filter((id) => this.#gateway.connectionFor(id) !== undefined);
    if (local.length === 0) return;
    try {
      const commands = await this.#store.deliverableCommands(local, this.#clock.now());
      const sent: string[] = [];
      for (const stored of commands) {
        const connection = this.#gateway.connectionFor(stored.deviceId);
        if (connection === undefined) continue;
        if (connection.wasSent(stored.id) && !resend) continue;
        const command = toWireCommand(stored);
        if (command === undefined) {
          this.#logger.error('command_unsendable', { commandId: stored.id, type: stored.type });
          continue;
        }
        if (connection.send({ type: 'command', command })) {
          connection.markSent(stored.id);
          sent.push(stored.id);
        }
      }
      await this.#store.markCommandsSent(sent, this.#gateway.instanceId, this.#clock.now());
      if (sent.length > 0) {
        this.#changes.changed('commands');
        this.#logger.info('commands_sent', { count: sent.length });
      }
    } catch (error) {
      this.#logger.warn('command_delivery_failed', { error: (error as Error).message });
    }
  }

  /** Deliver commands whose notification was missed, and expire old ones. */
  async sweep(): Promise<void> {
    try {
      const now = this.#clock.now();
      const expired = await this.#store.expireCommands(now);
      if (expired > 0) {
        this.#changes.changed('commands');
        this.#logger.info('commands_expired', { count: expired });
      }
      await this.deliver(await this.#store.devicesWithPendingCommands(now, SWEEP_LIMIT), false);
    } catch (error) {
      this.#logger.warn('command_sweep_failed', { error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    await this.#unlisten?.();
  }
}

/** The wire form of a stored command; undefined if the stored row no longer passes the schema. */
function toWireCommand(stored: StoredCommand): Command | undefined {
  const parsed = Command.safeParse({ id: stored.id, type: stored.type, params: stored.params, issuedAt: stored.issuedAt, validUntil: stored.validUntil });
  return parsed.success ? parsed.data : undefined;
}
