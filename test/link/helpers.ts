// Helpers for link tests: a link wired to a test server, a TCP proxy that can cut the network, temp dirs.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServerLink, type LinkOptions, type ServerLink } from '../../agent/src/link/link.js';
import { DEFAULT_COMMAND_POLICY } from '../../agent/src/link/policy.js';
import { silentLogger } from '../server/helpers/logger.js';

export function tempDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'untether-agent-'));
}

/** A link with fast backoff for tests. */
export function testLink(serverUrl: string, enrollSecret: string | undefined, overrides: Partial<LinkOptions> = {}): ServerLink & { dataDir: string } {
  const dataDir = overrides.dataDir ?? tempDataDir();
  const link = createServerLink({
    serverUrl,
    dataDir,
    readEnrollSecret: () => enrollSecret,
    device: { hardwareUuid: randomUUID().toUpperCase(), serial: `C02${randomUUID().slice(0, 8).toUpperCase()}`, hostname: 'mac-test' },
    agentVersion: '0.1.0',
    policy: DEFAULT_COMMAND_POLICY,
    logger: silentLogger(),
    backoff: { baseMs: 50, capMs: 400 },
    firstRetryMaxMs: 50,
    ...overrides,
  });
  return Object.assign(link, { dataDir });
}

/** A TCP proxy in front of `targetPort` whose connections can be cut at once (a network failure). */
export async function startCuttableProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
