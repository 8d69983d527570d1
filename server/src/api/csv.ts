// CSV export of the device list, streamed page by page so 100,000 devices never sit in memory at once.
import type { ServerResponse } from 'node:http';
import type { DeviceFilter, DeviceSummary, Store } from '../store/store.js';

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

/** Quote a CSV cell; cells that a spreadsheet would run as a formula get a leading apostrophe. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Write every device matching `filter` as CSV. */
export async function writeDevicesCsv(response: ServerResponse, store: Store, filter: DeviceFilter, now: Date): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': 'attachment; filename="untether-devices.csv"',
    'cache-control': 'no-store',
  });
  response.write(`${COLUMNS.map(([name]) => name).join(',')}\r\n`);
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listDevices(filter, { limit: PAGE, offset }, now);
    const text = page.devices.map((device) => `${COLUMNS.map(([, read]) => csvCell(read(device))).join(',')}\r\n`).join('');
    if (!response.write(text)) await new Promise((resolve) => response.once('drain', resolve));
    if (page.devices.length < PAGE) break;
  }
  response.end();
}
