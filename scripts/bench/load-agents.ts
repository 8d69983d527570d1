// Load generator for benchmarks: runs in a child process and speaks the agent protocol directly (it is not the
// agent). Modes: `idle` opens many connections that say hello and then only answer pings; `ingest` sends events
// from a few connections with a bounded window of unacked events, like the real agent's queue flush.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { localAddress } from './loopback.js';

/** Instructions from the benchmark. */
export type LoadJob =
  | { mode: 'idle'; url: string; devices: Array<{ token: string; hardwareUuid: string; serial: string }>; concurrency: number }
  | { mode: 'ingest'; url: string; devices: Array<{ token: string; hardwareUuid: string; serial: string }>; eventsPerDevice: number; window: number; bare: boolean }
  | { mode: 'close' };

/** Reports back to the benchmark. */
export type LoadReport =
  | { type: 'progress'; connected: number; failed: number }
  | { type: 'idle-ready'; connected: number; failed: number; ms: number }
  | { type: 'ingest-done'; events: number; ms: number; failedConnections: number; ackP50Ms: number; ackP95Ms: number; ackP99Ms: number }
  | { type: 'closed'; count: number };

const sockets: WebSocket[] = [];

function send(report: LoadReport): void {
  process.send?.(report);
}

function connectOne(url: string, device: { token: string; hardwareUuid: string; serial: string }, index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${device.token}` }, perMessageDeflate: false, localAddress: localAddress(index) });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('timeout'));
    }, 60_000);
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'hello', protocolVersion: 1, device: { hardwareUuid: device.hardwareUuid, serial: device.serial }, agentVersion: 'bench', capabilities: [] }));
    });
    socket.once('message', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function runIdle(job: Extract<LoadJob, { mode: 'idle' }>): Promise<void> {
  const started = Date.now();
  let next = 0;
  let connected = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < job.devices.length) {
      const index = next++;
      try {
        sockets.push(await connectOne(job.url, job.devices[index]!, index));
        connected += 1;
      } catch {
        failed += 1;
      }
      if ((connected + failed) % 1000 === 0) send({ type: 'progress', connected, failed });
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  send({ type: 'idle-ready', connected, failed, ms: Date.now() - started });
}

function event(id: string, seq: number): string {
  return JSON.stringify({
    type: 'event',
    event: { id, seq, time: new Date().toISOString(), kind: 'step.succeeded', user: 'jdoe', stage: 'demobilize', detail: { step: 'remove-attributes', durationMs: 12 } },
  });
}

/** The value below which `fraction` of the sorted `values` lie. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function runIngest(job: Extract<LoadJob, { mode: 'ingest' }>): Promise<void> {
  const connections = await Promise.all(job.devices.map((device, index) => connectOne(job.url, device, index)));
  // Ack latency: from handing an event to the socket to reading the ack that names it.
  const latencies: number[] = [];
  const started = Date.now();
  await Promise.all(
    connections.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<string, number>();
          let sent = 0;
          let acked = 0;
          const pump = (): void => {
            while (sent < job.eventsPerDevice && sent - acked < job.window) {
              const id = randomUUID();
              sentAt.set(id, performance.now());
              socket.send(event(id, sent++));
            }
          };
          socket.on('message', (data) => {
            const message = JSON.parse(String(data)) as { type: string; ids?: string[] };
            if (message.type === 'ack') {
              const now = performance.now();
              for (const id of message.ids ?? []) {
                const at = sentAt.get(id);
                if (at === undefined) continue;
                sentAt.delete(id);
                latencies.push(now - at);
                acked += 1;
              }
            }
            if (acked >= job.eventsPerDevice) resolve();
            else pump();
          });
          pump();
        }),
    ),
  );
  const ms = Date.now() - started;
  for (const socket of connections) socket.close();
  latencies.sort((a, b) => a - b);
  send({
    type: 'ingest-done',
    events: job.devices.length * job.eventsPerDevice,
    ms,
    failedConnections: 0,
    ackP50Ms: percentile(latencies, 0.5),
    ackP95Ms: percentile(latencies, 0.95),
    ackP99Ms: percentile(latencies, 0.99),
  });
}

async function closeAll(): Promise<void> {
  const count = sockets.length;
  await Promise.all(sockets.splice(0).map((socket) => new Promise((resolve) => {
    socket.once('close', resolve);
    socket.close();
  })));
  send({ type: 'closed', count });
}

process.on('message', (job: LoadJob) => {
  const run = job.mode === 'idle' ? runIdle(job) : job.mode === 'ingest' ? runIngest(job) : closeAll();
  run.catch((error: unknown) => {
    process.stderr.write(`load-agents: ${(error as Error).message}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
