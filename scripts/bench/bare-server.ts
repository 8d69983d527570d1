// The baseline of the connections benchmark, run as its own process: a bare `ws` server that answers hello with
// welcome and otherwise only keeps its sockets (no database, no authentication, no per-device state). Prints
// "listening <port>" once ready. Started with the same open-files limit as the real server.
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: Number(process.env.BARE_PORT ?? 0), host: '127.0.0.1', perMessageDeflate: false, clientTracking: false });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === 'hello') socket.send('{"type":"welcome"}');
  });
});
wss.once('listening', () => process.stdout.write(`listening ${(wss.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
