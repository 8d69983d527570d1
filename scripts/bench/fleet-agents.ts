// Load generator for the fleet benchmarks (fan-out, reconnect storm): runs in a child process and plays many agents
// that stay connected the way the shipped agent does (it is not the agent). Each agent says hello, sends its
// inventory after the welcome, answers every command with a result, and, when its connection drops, reconnects
// with the agent's own policy (agent/src/link/backoff.ts): uniform [0, FIRST_RETRY_MAX_MS) after a connection that
// was up, then full-jitter exponential backoff, its windows kept short during a short outage. After a reconnect it
// flushes one queued event and counts as current when the server acks it.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { localAddress } from './loopback.js';
import { DEFAULT_BACKOFF, FIRST_RETRY_MAX_MS, retryDelayMs } from '../../agent/src/link/backoff.js';

export interface FleetDevice {
  token: string;
  hardwareUuid: string;
  serial: string;
  hostname: string;
}

/** Instructions from the benchmark. */
export type FleetJob =
  | { mode: 'connect'; url: string; devices: FleetDevice[]; concurrency: number; user: { name: string; identity: string } }
  | { mode: 'stats' }
  | { mode: 'close' };

/** One agent's view of the latest command and reconnect, as epoch milliseconds (0: not yet). */
export interface AgentTimes {
  /** When it sent the result of the newest command it received. */
  answeredAt: number;
  /** Type of that command. */
  commandType: string;
  /** When the newest connection was welcomed, and when its flushed event was acked. */
  welcomedAt: number;
  currentAt: number;
  /** Connections welcomed so far. */
  connections: number;
}

/** Reports back to the benchmark. */
export type FleetReport =
  | { type: 'progress'; connected: number; failed: number }
  | { type: 'connected'; connected: number; failed: number; ms: number }
  | { type: 'stats'; agents: AgentTimes[] }
  | { type: 'closed'; count: number };

function report(message: FleetReport): void {
  process.send?.(message);
}

function inventoryOf(device: FleetDevice, user: { name: string; identity: string }): string {
  const account = (name: string, uid: number, admin: boolean, identity: string | null) => ({
    name,
    kind: 'local',
    uid,
    generatedUid: randomUUID().toUpperCase(),
    home: `/Users/${name}`,
    admin,
    secureToken: true,
    fileVault: true,
    linkedIdentity: identity,
    locked: false,
  });
  return JSON.stringify({
    type: 'inventory',
    collectedAt: new Date().toISOString(),
    inventory: {
      hostname: device.hostname,
      macos: { version: '14.6', build: '23G80' },
      users: [account('itadmin', 501, true, null), account(user.name, 502, false, user.identity)],
      binding: { kind: 'none' },
      fileVault: 'on',
      loginChain: { kind: 'idp', provider: 'jamf-connect' },
      mdm: { enrolled: true, server: 'jamf.example.com' },
      profiles: [],
    },
  });
}

/** One simulated agent: a connection loop that never gives up until the job closes it. */
class Agent {
  readonly times: AgentTimes = { answeredAt: 0, commandType: '', welcomedAt: 0, currentAt: 0, connections: 0 };
  #socket: WebSocket | undefined;
  #stopped = false;
  #attempt = 0;
  #droppedAt: number | null = null;
  #seq = 0;
  #inventory: string;

  constructor(
    readonly device: FleetDevice,
    readonly index: number,
    readonly url: string,
    user: { name: string; identity: string },
  ) {
    this.#inventory = inventoryOf(device, user);
  }

  /** Connect once; resolves true when welcomed, false when the attempt failed. */
  connect(): Promise<boolean> {
    return new Promise((resolve) => {
      let welcomed = false;
      let settled = false;
      const settle = (value: boolean): void => {
        if (!settled) {
          settled = true;
          resolve(value);
        }
      };
      const socket = new WebSocket(this.url, {
        headers: { authorization: `Bearer ${this.device.token}` },
        perMessageDeflate: false,
        localAddress: localAddress(this.index),
        handshakeTimeout: 30_000,
      });
      this.#socket = socket;
      const eventId = randomUUID();
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: 'hello', protocolVersion: 1, device: { hardwareUuid: this.device.hardwareUuid, serial: this.device.serial }, agentVersion: 'bench', capabilities: [] }));
      });
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; ids?: string[]; command?: { id: string; type: string } };
        if (message.type === 'welcome') {
          welcomed = true;
          this.#attempt = 0;
          this.times.welcomedAt = Date.now();
          this.times.currentAt = 0;
          this.times.connections += 1;
          socket.send(this.#inventory);
          // The queue flush of a real agent: what happened while it was away, acked once the server stored it.
          socket.send(JSON.stringify({ type: 'event', event: { id: eventId, seq: this.#seq++, time: new Date().toISOString(), kind: 'agent.started', stage: 'scan' } }));
          settle(true);
        } else if (message.type === 'ack' && message.ids?.includes(eventId) === true) {
          this.times.currentAt = Date.now();
        } else if (message.type === 'command' && message.command !== undefined) {
          const finishedAt = new Date();
          socket.send(JSON.stringify({ type: 'commandResult', result: { commandId: message.command.id, outcome: 'succeeded', message: 'bench', finishedAt: finishedAt.toISOString() } }));
          this.times.answeredAt = finishedAt.getTime();
          this.times.commandType = message.command.type;
        }
      });
      socket.on('error', () => settle(false));
      socket.on('close', () => {
        settle(false);
        if (!this.#stopped) this.#retry(welcomed);
      });
    });
  }

  #retry(wasWelcomed: boolean): void {
    if (wasWelcomed) this.#droppedAt = Date.now();
    const sinceDropMs = this.#droppedAt === null ? null : Date.now() - this.#droppedAt;
    const delay = wasWelcomed ? Math.floor(Math.random() * FIRST_RETRY_MAX_MS) : retryDelayMs(this.#attempt++, sinceDropMs, DEFAULT_BACKOFF, Math.random);
    setTimeout(() => {
      if (!this.#stopped) void this.connect();
    }, delay).unref();
  }

  close(): Promise<void> {
    this.#stopped = true;
    const socket = this.#socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    });
  }
}

const agents: Agent[] = [];

async function connectAll(job: Extract<FleetJob, { mode: 'connect' }>): Promise<void> {
  const started = Date.now();
  let next = 0;
  let connected = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < job.devices.length) {
      const index = next++;
      const agent = new Agent(job.devices[index]!, index, job.url, job.user);
      agents.push(agent);
      // A first attempt that fails keeps retrying with backoff in the background, like the agent.
      if (await agent.connect()) connected += 1;
      else failed += 1;
      if ((connected + failed) % 1000 === 0) report({ type: 'progress', connected, failed });
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  report({ type: 'connected', connected, failed, ms: Date.now() - started });
}

async function closeAll(): Promise<void> {
  const count = agents.length;
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  report({ type: 'closed', count });
}

process.on('message', (job: FleetJob) => {
  if (job.mode === 'stats') {
    report({ type: 'stats', agents: agents.map((agent) => ({ ...agent.times })) });
    return;
  }
  const run = job.mode === 'connect' ? connectAll(job) : closeAll();
  run.catch((error: unknown) => {
    process.stderr.write(`fleet-agents: ${(error as Error).message}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
