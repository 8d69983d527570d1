// CSV export of the device list, streamed page by page so 100,000 devices never sit in memory at once.
import type { ServerResponse } from 'node:http';
import type { DeviceCursor, DeviceFilter, DeviceSummary, Store } from '../store/store.js';

const PAGE = 1000;

const COLUMNS: ReadonlyArray<[string, (device: DeviceSummary) => unknown]> = [
  ['id', (d) => d.id],
  ['hostname', (d) => d.hostname],
  ['serial', (d) => d.serial],
  ['hardware_uuid', (d) => d.hardwareUuid],
  ['domain', (d) => d.domain],
  ['bound', (d) => d.bound],
  ['mobile_accounts', (d) => d.mobileCount],
  ['login_window', (d) => d.loginKind],
  ['filevault', (d) => d.fileVault],
  ['macos', (d) => d.macosVersion],
  ['stage', (d) => d.stage],
  ['state', (d) => d.state],
  ['waiting_for', (d) => d.waitingFor],
  ['online', (d) => d.online],
  ['last_seen', (d) => d.lastSeenAt],
  ['agent_version', (d) => d.agentVersion],
  ['enrolled_at', (d) => d.enrolledAt],
];

/** Characters a spreadsheet reads as the start of a formula (tab and CR too: some strip them first). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** Where a spreadsheet may start a new cell: our comma, a semicolon locale's separator, tab import, line breaks. */
const SEPARATORS = new Set([',', ';', '\t', '\r', '\n']);

/**
 * Quote a CSV cell and neutralize formulas: an apostrophe goes before every formula character that could start a
 * cell, at the start of the text and after any separator a spreadsheet might split on (a semicolon locale opens
 * `x;=cmd()` as two cells even inside our quotes), so no part of the cell ever begins with a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const raw = String(value);
  let text = '';
  for (let index = 0; index < raw.length; index += 1) {
    const character = raw[index] ?? '';
    if ((index === 0 || SEPARATORS.has(raw[index - 1] ?? '')) && FORMULA_START.has(character)) text += "'";
    text += character;
  }
  return /[",;\t\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Wait until `response` can take more, or the client went away (false): then stop writing. */
function drainedOrClosed(response: ServerResponse): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (drained: boolean) => (): void => {
      response.off('drain', onDrain);
      response.off('close', onClose);
      resolve(drained);
    };
    const onDrain = finish(true);
    const onClose = finish(false);
    response.once('drain', onDrain);
    response.once('close', onClose);
  });
}

/** Write every device matching `filter` as CSV; stops at the first page after the client went away. */
export async function writeDevicesCsv(response: ServerResponse, store: Store, filter: DeviceFilter, now: Date): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': 'attachment; filename="untether-devices.csv"',
    'cache-control': 'no-store',
  });
  response.write(`${COLUMNS.map(([name]) => name).join(',')}\r\n`);
  // Page by cursor: each page starts where the last ended in the list's index, instead of skipping all rows before it.
  let after: DeviceCursor | undefined;
  for (;;) {
    if (response.destroyed) return;
    const page = await store.listDevices(filter, { limit: PAGE, after }, now);
    const text = page.devices.map((device) => `${COLUMNS.map(([, read]) => csvCell(read(device))).join(',')}\r\n`).join('');
    if (!response.write(text) && !(await drainedOrClosed(response))) return;
    if (page.next === null) break;
    after = page.next;
  }
  response.end();
}
