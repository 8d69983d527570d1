// Issue 11 items 9 and 11: the CSV export neutralizes formulas wherever a spreadsheet could start a cell (also in
// semicolon and tab locales), and stops when the client goes away instead of waiting for `drain` forever.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell, writeDevicesCsv } from '../../server/src/api/csv.js';
import type { Store } from '../../server/src/store/store.js';
import { startTestServer, type TestServer } from './helpers/harness.js';
import { openTestStore } from './helpers/stores.js';

/** Every piece a spreadsheet could make a cell of, splitting on any separator, quotes or not. */
function possibleCells(text: string): string[] {
  return text.split(/[,;\t\r\n]/).map((part) => part.replace(/^"+/, ''));
}

const HOSTILE = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=1', '\r=1', 'mac;=cmd|"/c calc"!A1', 'mac,@SUM(1)', 'mac\t+1', 'a;;-1', '=HYPERLINK("http://x")'];

describe('CSV cells', () => {
  it('never lets a piece of a cell start with a formula character, whatever the separator', () => {
    for (const value of HOSTILE) {
      const cell = csvCell(value);
      for (const piece of possibleCells(cell)) expect(piece, `${JSON.stringify(value)} -> ${cell}`).not.toMatch(/^[=+\-@]/);
      expect(cell.startsWith('"')).toBe(true);
    }
  });

  it('keeps plain values as they are and quotes quotes', () => {
    expect(csvCell('mac-0001')).toBe('mac-0001');
    expect(csvCell(3)).toBe('3');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a"b')).toBe('"a""b"');
    expect(csvCell('mac;=cmd()')).toBe(`"mac;'=cmd()"`);
  });
});

describe('CSV export', () => {
  let store: Store;
  let server: TestServer;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startTestServer(store);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('exports a hostile hostname so that neither a comma nor a semicolon locale runs it', async () => {
    const response = await fetch(`${server.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.enrollSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: { hardwareUuid: crypto.randomUUID(), serial: 'C02CSV0001' }, hostname: 'mac;=cmd|"/c calc"!A1', agentVersion: '0.1.0' }),
    });
    expect(response.status).toBe(200);
    const csv = await server.api('GET', '/api/v1/devices.csv');
    expect(csv.status).toBe(200);
    const body = csv.body as string;
    expect(body).toContain(`"mac;'=cmd|""/c calc""!A1"`);
    for (const line of body.split('\r\n')) for (const piece of possibleCells(line)) expect(piece).not.toMatch(/^[=+\-@]/);
  });

  it('stops writing when the client has gone away instead of waiting for drain forever', async () => {
    let finished: Promise<void> | undefined;
    const httpServer = http.createServer((request, response) => {
      // Start the export only once the client is gone: every write now fails and `drain` never comes.
      request.socket.once('close', () => {
        finished = writeDevicesCsv(response, store, {}, new Date());
      });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const port = (httpServer.address() as AddressInfo).port;
    const request = http.get({ host: '127.0.0.1', port, path: '/' });
    request.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    request.destroy();
    await expect.poll(() => finished !== undefined, { timeout: 5000 }).toBe(true);
    const outcome = await Promise.race([finished?.then(() => 'returned'), new Promise((resolve) => setTimeout(() => resolve('hung'), 5000))]);
    expect(outcome).toBe('returned');
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
});
