// The dashboard's browser code. Every value from the server (hostnames and user names come from Macs, so they
// are untrusted) is written with textContent, never as HTML.
import { SERIES, chartGeometry, type ProgressPoint } from './chart.js';
import { createLocksPanel } from './locks-panel.js';

interface DeviceSummary {
  id: string;
  hostname: string;
  serial: string;
  domain: string | null;
  stage: string;
  state: string;
  mobileCount: number | null;
  loginKind: string | null;
  online: boolean;
  lastSeenAt: string | null;
  agentVersion: string;
  macosVersion: string | null;
  fileVault: string | null;
  bound: boolean | null;
  waitingFor: string | null;
  revokedAt: string | null;
  pendingReenrollments: number;
}

interface ReenrollmentRequest {
  id: string;
  serial: string;
  hostname: string;
  agentVersion: string;
  remoteAddress: string | null;
  requestedAt: string;
  approvedAt: string | null;
}

interface InventoryUser {
  name: string;
  kind: string;
  uid: number;
  admin: boolean;
  secureToken: boolean | null;
  fileVault: boolean | null;
  linkedIdentity: string | null;
}

interface DeviceDetail {
  device: DeviceSummary & { inventory: { users: InventoryUser[] } | null; hardwareUuid: string; reenrollmentRequests: ReenrollmentRequest[] };
  timeline: Array<{ id: string; time: string; kind: string; user: string | null; stage: string | null; code: string | null; message: string | null }>;
  commands: Array<{ id: string; issuedAt: string; type: string; status: string; result: { code?: string; message?: string } | null }>;
}

const PAGE_SIZE = 50;

/**
 * The device list pages by cursor (the API's `next` / `previous`): each page starts in the list's index where the one
 * beside it ended, so page 500 costs what page 1 does, and a live refresh keeps the page anchored where it is.
 * `offset` is only the position shown ("25001–25050 of 50000").
 */
const devicePaging = { cursor: {} as { after?: string; before?: string }, next: null as string | null, previous: null as string | null };
const state = { offset: 0, total: 0, filter: new URLSearchParams(), detailId: undefined as string | undefined, commandTarget: undefined as CommandTarget | undefined };

type CommandTarget = { deviceId: string; label: string } | { filter: Record<string, unknown>; label: string };

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`dashboard: missing #${id}`);
  return element as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

class Unauthorized extends Error {}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers }, credentials: 'same-origin' });
  if (response.status === 401) throw new Unauthorized();
  const body = (await response.json()) as T & { error?: string; message?: string };
  if (!response.ok) throw new Error(body.message ?? body.error ?? `HTTP ${response.status}`);
  return body;
}

function formatTime(iso: string | null): string {
  if (iso === null) return 'never';
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)}`;
}

function pill(text: string, kind: string): HTMLSpanElement {
  return element('span', text, `pill ${kind}`);
}

/** The host cell: the name, plus badges when the device's token was revoked or a re-enrollment waits for approval. */
function hostCell(device: DeviceSummary): HTMLElement {
  const cell = element('span', device.hostname);
  if (device.revokedAt !== null) cell.append(pill('revoked', 'revoked'));
  if (device.pendingReenrollments > 0) cell.append(pill('approval pending', 'pending'));
  return cell;
}

/** Ask for confirmation in a dialog; `work` runs only after the admin confirms. */
function confirmAction(title: string, text: string, okLabel: string, work: () => Promise<void>): void {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-error').textContent = '';
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = okLabel;
  ok.onclick = () => {
    work()
      .then(() => dialog.close())
      .catch((error: unknown) => {
        if (error instanceof Unauthorized) showLogin();
        else byId('confirm-error').textContent = (error as Error).message;
      });
  };
  byId<HTMLButtonElement>('confirm-cancel').onclick = () => dialog.close();
  dialog.showModal();
}

// --- overview and chart ------------------------------------------------------------------------------------------

const CARDS: Array<[string, string, string]> = [
  ['total', 'Macs', ''],
  ['bound', 'Bound to AD', ''],
  ['withMobileAccounts', 'With mobile accounts', ''],
  ['demobilized', 'Demobilized', 'good'],
  ['unbound', 'Unbound', 'good'],
  ['idpLoginWindow', 'IdP login window', 'good'],
  ['failed', 'Failed', 'bad'],
  ['offline', 'Offline', ''],
];

async function renderOverview(): Promise<void> {
  const overview = await api<Record<string, number>>('/api/v1/overview');
  const cards = byId('cards');
  cards.replaceChildren(
    ...CARDS.map(([key, label, kind]) => {
      const card = element('div', undefined, `card ${kind}`);
      card.dataset.key = key;
      card.append(element('div', String(overview[key] ?? 0), 'value'), element('div', label, 'label'));
      return card;
    }),
  );
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

async function renderProgress(): Promise<void> {
  const { points } = await api<{ points: ProgressPoint[] }>('/api/v1/progress?days=60');
  const chart = byId('progress-chart') as unknown as SVGSVGElement;
  const geometry = chartGeometry(points, 800, 240);
  const nodes: SVGElement[] = [];
  for (const tick of geometry.yTicks) {
    nodes.push(svg('line', { x1: 48, x2: 784, y1: tick.y, y2: tick.y, stroke: '#e3e6ec', 'stroke-width': 1 }));
    const label = svg('text', { x: 40, y: tick.y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7385' });
    label.textContent = tick.label;
    nodes.push(label);
  }
  for (const tick of geometry.xLabels) {
    const label = svg('text', { x: tick.x, y: 232, 'text-anchor': 'middle', 'font-size': 11, fill: '#6b7385' });
    label.textContent = tick.label;
    nodes.push(label);
  }
  for (const line of geometry.lines) {
    const polyline = svg('polyline', { points: line.points, fill: 'none', stroke: line.color, 'stroke-width': 3, 'stroke-linejoin': 'round' });
    polyline.dataset.series = line.key;
    nodes.push(polyline);
  }
  chart.replaceChildren(...nodes);
  byId('progress-legend').replaceChildren(
    ...SERIES.map((series) => {
      const item = element('span', series.label);
      const swatch = element('i');
      swatch.style.background = series.color;
      item.prepend(swatch);
      return item;
    }),
  );
}

// --- device list -------------------------------------------------------------------------------------------------

function readFilter(): URLSearchParams {
  const form = byId<HTMLFormElement>('filters');
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (typeof value === 'string' && value.trim() !== '') params.set(key, value.trim());
  return params;
}

async function renderDevices(): Promise<void> {
  const params = new URLSearchParams(state.filter);
  params.set('limit', String(PAGE_SIZE));
  if (devicePaging.cursor.after !== undefined) params.set('after', devicePaging.cursor.after);
  else if (devicePaging.cursor.before !== undefined) params.set('before', devicePaging.cursor.before);
  const page = await api<{ devices: DeviceSummary[]; total: number; next: string | null; previous: string | null }>(`/api/v1/devices?${params}`);
  state.total = page.total;
  devicePaging.next = page.next;
  devicePaging.previous = page.previous;
  // Nothing before this page: it is the first, whatever rows came or went since the position was counted.
  if (page.previous === null) state.offset = 0;
  byId<HTMLButtonElement>('prev-page').disabled = page.previous === null;
  byId<HTMLButtonElement>('next-page').disabled = page.next === null;
  byId('device-total').textContent = `(${page.total})`;
  byId('page-info').textContent = page.total === 0 ? 'no devices' : `${state.offset + 1}–${state.offset + page.devices.length} of ${page.total}`;
  byId<HTMLAnchorElement>('csv-link').href = `/api/v1/devices.csv?${state.filter}`;
  const rows = page.devices.map((device) => {
    const row = element('tr', undefined, 'device');
    row.dataset.id = device.id;
    const cells: Array<string | HTMLElement> = [
      hostCell(device),
      device.serial,
      device.domain ?? '—',
      device.stage,
      pill(device.state.replace('_', ' '), device.state),
      device.mobileCount === null ? '—' : String(device.mobileCount),
      device.loginKind ?? '—',
      pill(device.online ? 'online' : 'offline', device.online ? 'online' : 'offline'),
      formatTime(device.lastSeenAt),
    ];
    for (const cell of cells) {
      const td = element('td');
      td.append(cell);
      row.append(td);
    }
    row.addEventListener('click', () => void openDetail(device.id));
    return row;
  });
  byId('device-table').querySelector('tbody')?.replaceChildren(...rows);
}

// --- device detail -----------------------------------------------------------------------------------------------

async function openDetail(deviceId: string): Promise<void> {
  state.detailId = deviceId;
  await renderDetail();
  byId('detail').hidden = false;
  byId('detail').scrollIntoView();
}

async function renderDetail(): Promise<void> {
  if (state.detailId === undefined) return;
  const detail = await api<DeviceDetail>(`/api/v1/devices/${state.detailId}`);
  const device = detail.device;
  byId('detail-title').textContent = device.hostname;
  const facts: Array<[string, string]> = [
    ['Serial', device.serial],
    ['Hardware UUID', device.hardwareUuid],
    ['Domain', device.domain ?? '—'],
    ['Bound', device.bound === null ? 'unknown' : device.bound ? 'yes' : 'no'],
    ['Stage', device.stage],
    ['State', device.state],
    ['Waiting for', device.waitingFor ?? '—'],
    ['Status', device.online ? 'online' : 'offline'],
    ['macOS', device.macosVersion ?? '—'],
    ['FileVault', device.fileVault ?? '—'],
    ['Agent', device.agentVersion],
    ['Last seen', formatTime(device.lastSeenAt)],
    ['Token', device.revokedAt === null ? 'active' : `revoked ${formatTime(device.revokedAt)}`],
  ];
  byId('detail-facts').replaceChildren(...facts.flatMap(([term, value]) => [element('dt', term), element('dd', value)]));
  renderReenrollments(device.id, device.reenrollmentRequests);
  const yesNo = (value: boolean | null): string => (value === null ? '?' : value ? 'yes' : 'no');
  byId('accounts-table')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(device.inventory?.users ?? []).map((user) => {
        const row = element('tr');
        row.dataset.user = user.name;
        for (const value of [user.name, user.kind, String(user.uid), yesNo(user.admin), yesNo(user.secureToken), yesNo(user.fileVault), user.linkedIdentity ?? '—']) {
          row.append(element('td', value));
        }
        return row;
      }),
    );
  byId('commands-table')
    .querySelector('tbody')
    ?.replaceChildren(
      ...detail.commands.map((command) => {
        const row = element('tr');
        row.dataset.commandId = command.id;
        row.append(element('td', formatTime(command.issuedAt)), element('td', command.type));
        const status = element('td');
        status.append(pill(command.status, command.status === 'failed' || command.status === 'rejected' ? 'failed' : command.status === 'succeeded' ? 'done' : 'waiting'));
        row.append(status, element('td', [command.result?.code, command.result?.message].filter(Boolean).join(': ')));
        return row;
      }),
    );
  byId('timeline').replaceChildren(
    ...detail.timeline.map((event) => {
      const item = element('li');
      item.dataset.kind = event.kind;
      item.append(element('time', formatTime(event.time)), element('strong', event.kind));
      const extra = [event.stage, event.user, event.code, event.message].filter((part): part is string => part !== null && part !== '');
      if (extra.length > 0) item.append(element('span', ` ${extra.join(' · ')}`));
      return item;
    }),
  );
}

function renderReenrollments(deviceId: string, requests: ReenrollmentRequest[]): void {
  byId('reenrollments').hidden = requests.length === 0;
  byId('reenrollments-table')
    .querySelector('tbody')
    ?.replaceChildren(
      ...requests.map((request) => {
        const row = element('tr');
        row.dataset.requestId = request.id;
        for (const value of [formatTime(request.requestedAt), request.hostname, request.serial, request.agentVersion, request.remoteAddress ?? '—']) row.append(element('td', value));
        const status = element('td');
        status.append(request.approvedAt === null ? pill('pending', 'waiting') : pill(`approved ${formatTime(request.approvedAt)}, waiting for the Mac`, 'done'));
        const actions = element('td');
        if (request.approvedAt === null) {
          const approve = element('button', 'Approve…', 'approve');
          approve.type = 'button';
          approve.addEventListener('click', () =>
            confirmAction(
              'Approve re-enrollment',
              `Give "${request.hostname}" (serial ${request.serial}) this device's identity? Its current token stops working now; other requests are dropped.`,
              'Approve',
              async () => {
                await api(`/api/v1/devices/${deviceId}/reenrollments/${request.id}/approve`, { method: 'POST' });
                await refresh();
              },
            ),
          );
          actions.append(approve);
        }
        const reject = element('button', 'Reject…', 'reject');
        reject.type = 'button';
        reject.addEventListener('click', () =>
          confirmAction('Reject re-enrollment', `Delete the request from "${request.hostname}"?`, 'Reject', async () => {
            await api(`/api/v1/devices/${deviceId}/reenrollments/${request.id}`, { method: 'DELETE' });
            await refresh();
          }),
        );
        actions.append(reject);
        row.append(status, actions);
        return row;
      }),
    );
}

function revokeDevice(): void {
  const deviceId = state.detailId;
  if (deviceId === undefined) return;
  const name = byId('detail-title').textContent ?? 'this device';
  confirmAction('Revoke device token', `Revoke the token of "${name}"? It is disconnected now and cannot reconnect until you approve a re-enrollment.`, 'Revoke', async () => {
    await api(`/api/v1/devices/${deviceId}/revoke`, { method: 'POST' });
    await refresh();
  });
}

function deleteDevice(): void {
  const deviceId = state.detailId;
  if (deviceId === undefined) return;
  const name = byId('detail-title').textContent ?? 'this device';
  confirmAction('Delete device', `Delete "${name}" with its events and commands? This cannot be undone; the Mac can only come back by enrolling as a new device.`, 'Delete', async () => {
    await api(`/api/v1/devices/${deviceId}`, { method: 'DELETE' });
    state.detailId = undefined;
    byId('detail').hidden = true;
    await refresh();
  });
}

// --- commands ----------------------------------------------------------------------------------------------------

function commandAction(form: HTMLFormElement): { type: string; params: Record<string, unknown> } {
  const data = new FormData(form);
  const type = String(data.get('type'));
  const user = String(data.get('user') ?? '').trim();
  switch (type) {
    case 'demobilize':
    case 'restore':
      return { type, params: user === '' ? { scope: 'all' } : { scope: 'user', user } };
    case 'loginwindow':
      return { type, params: { preset: String(data.get('preset') ?? '').trim() } };
    case 'takeover':
      return {
        type,
        params: {
          mappings: String(data.get('mappings') ?? '')
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '')
            .map((line) => {
              const [localUser = '', identity = ''] = line.split('=').map((part) => part.trim());
              return { localUser, identity };
            }),
        },
      };
    default:
      return { type, params: {} };
  }
}

function showParams(): void {
  const type = (byId<HTMLFormElement>('command-form').elements.namedItem('type') as HTMLSelectElement).value;
  const visible: Record<string, string[]> = { demobilize: ['user'], restore: ['user'], loginwindow: ['preset'], takeover: ['mappings'] };
  for (const label of document.querySelectorAll<HTMLElement>('.param')) {
    label.hidden = !(visible[type] ?? []).some((name) => label.classList.contains(`param-${name}`));
  }
  resetConfirmation();
}

function resetConfirmation(): void {
  byId('command-confirm').hidden = true;
  byId('command-send').hidden = true;
  byId('command-review').hidden = false;
  byId('command-error').textContent = '';
}

let confirmedCount = 0;

function openCommandDialog(target: CommandTarget): void {
  state.commandTarget = target;
  byId('command-target').textContent = `Target: ${target.label}`;
  showParams();
  byId<HTMLDialogElement>('command-dialog').showModal();
}

function targetBody(target: CommandTarget): Record<string, unknown> {
  return 'deviceId' in target ? { deviceId: target.deviceId } : { filter: target.filter };
}

async function reviewCommand(): Promise<void> {
  const target = state.commandTarget;
  if (target === undefined) return;
  const action = commandAction(byId<HTMLFormElement>('command-form'));
  const preview = await api<{ count: number }>('/api/v1/commands/preview', { method: 'POST', body: JSON.stringify({ target: targetBody(target) }) });
  confirmedCount = preview.count;
  const confirm = byId('command-confirm');
  confirm.textContent = preview.count === 0 ? 'No device matches.' : `Send "${action.type}" to ${preview.count} device${preview.count === 1 ? '' : 's'}? This cannot be undone from here.`;
  confirm.hidden = false;
  byId('command-send').hidden = preview.count === 0;
  byId('command-review').hidden = true;
}

async function sendCommand(): Promise<void> {
  const target = state.commandTarget;
  if (target === undefined) return;
  const form = byId<HTMLFormElement>('command-form');
  const minutes = Number(new FormData(form).get('validMinutes') ?? 60);
  await api('/api/v1/commands', {
    method: 'POST',
    body: JSON.stringify({ target: targetBody(target), action: commandAction(form), confirmCount: confirmedCount, validForSeconds: Math.max(60, Math.round(minutes * 60)) }),
  });
  byId<HTMLDialogElement>('command-dialog').close();
  await renderDetail();
}

function filterObject(): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const [key, value] of state.filter) {
    if (key === 'online') filter.online = value === 'true';
    else if (key === 'q') filter.search = value;
    else filter[key] = value;
  }
  return filter;
}

// --- live updates (server push) ----------------------------------------------------------------------------------
// The server says which topics changed (GET /api/stream, Server-Sent Events); the views of those topics refetch,
// gathered over a short debounce. While the stream is down the whole page is polled slowly instead.

/** Topics the server announces (server/src/live/topics.ts). */
type LiveTopic = 'devices' | 'events' | 'commands' | 'progress' | 'locks';

/** Polling while the stream is down; a test may lengthen it (set before the script runs) to prove the push. */
const FALLBACK_POLL_MS = (globalThis as { UNTETHER_FALLBACK_POLL_MS?: number }).UNTETHER_FALLBACK_POLL_MS ?? 30_000;
/** Changes arriving within this window refresh each affected view once. */
const LIVE_DEBOUNCE_MS = 300;
/** When the browser gave up on the stream (an HTTP error such as 503), open it again after this long. */
const LIVE_REOPEN_MS = 15_000;

const topicViews = new Map<LiveTopic, Set<() => Promise<void>>>();
const live = {
  source: undefined as EventSource | undefined,
  due: new Set<() => Promise<void>>(),
  debounce: undefined as number | undefined,
  running: false,
  fallback: undefined as number | undefined,
  reopen: undefined as number | undefined,
};

/** Refresh `view` whenever `topic` changes (one line per view; a view may listen to several topics). */
function onTopic(topic: LiveTopic, view: () => Promise<void>): void {
  const views = topicViews.get(topic) ?? new Set();
  views.add(view);
  topicViews.set(topic, views);
}

function wireTopics(): void {
  onTopic('devices', renderOverview);
  onTopic('devices', renderDevices);
  onTopic('devices', renderDetail);
  onTopic('progress', renderProgress);
  onTopic('events', renderDetail);
  onTopic('commands', renderDetail);
  // A lock's per-device progress moves with its commands' results; the list with locks created or released.
  onTopic('commands', refreshLocks);
  onTopic('locks', refreshLocks);
}

function setLiveStatus(status: 'connecting' | 'live' | 'reconnecting'): void {
  const indicator = byId('live-status');
  indicator.dataset.state = status;
  indicator.textContent = status;
}

function startLive(): void {
  stopLive();
  setLiveStatus('connecting');
  const source = new EventSource('/api/stream');
  live.source = source;
  source.addEventListener('open', () => {
    setLiveStatus('live');
    stopFallbackPoll();
    // Whatever changed while the stream was down (or before it opened) was not announced: catch up once.
    void refresh();
  });
  source.addEventListener('change', (event) => {
    const topics = parseTopics((event as MessageEvent<string>).data);
    for (const topic of topics) for (const view of topicViews.get(topic) ?? []) live.due.add(view);
    if (live.due.size > 0) live.debounce ??= window.setTimeout(() => void runDueViews(), LIVE_DEBOUNCE_MS);
  });
  source.addEventListener('ended', (event) => {
    // The server ended the stream: after a logout or expiry the refresh finds out and shows the login.
    if (parseReason((event as MessageEvent<string>).data) === 'unauthenticated') void refresh();
  });
  source.addEventListener('error', () => {
    if (live.source !== source) return;
    setLiveStatus('reconnecting');
    startFallbackPoll();
    // EventSource retries by itself after a dropped connection, but gives up after an HTTP error answer.
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      live.reopen ??= window.setTimeout(() => {
        live.reopen = undefined;
        if (!byId('app-view').hidden) startLive();
      }, LIVE_REOPEN_MS);
    }
  });
}

function stopLive(): void {
  live.source?.close();
  live.source = undefined;
  window.clearTimeout(live.reopen);
  live.reopen = undefined;
  window.clearTimeout(live.debounce);
  live.debounce = undefined;
  live.due.clear();
  stopFallbackPoll();
}

function startFallbackPoll(): void {
  live.fallback ??= window.setInterval(() => {
    if (!byId('app-view').hidden) void refresh();
  }, FALLBACK_POLL_MS);
}

function stopFallbackPoll(): void {
  window.clearInterval(live.fallback);
  live.fallback = undefined;
}

/** Refresh the views whose topics changed; changes arriving meanwhile wait for the next round. */
async function runDueViews(): Promise<void> {
  live.debounce = undefined;
  if (live.running) {
    live.debounce = window.setTimeout(() => void runDueViews(), LIVE_DEBOUNCE_MS);
    return;
  }
  const views = [...live.due];
  live.due.clear();
  live.running = true;
  try {
    await Promise.all(views.map((view) => view()));
  } catch (error) {
    if (error instanceof Unauthorized) showLogin();
    else console.error(error);
  } finally {
    live.running = false;
  }
}

function parseTopics(data: string): LiveTopic[] {
  try {
    const parsed = JSON.parse(data) as { topics?: unknown };
    return Array.isArray(parsed.topics) ? parsed.topics.filter((topic): topic is LiveTopic => typeof topic === 'string') : [];
  } catch {
    return [];
  }
}

function parseReason(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : undefined;
  } catch {
    return undefined;
  }
}

// --- account locks -----------------------------------------------------------------------------------------------

const locksPanel = createLocksPanel({ api, byId, element, pill, formatTime, guard: (work, errorTarget) => guard(work, errorTarget) });

/** Refresh the locks panel (list and the open lock's per-device progress). */
async function refreshLocks(): Promise<void> {
  await locksPanel.refresh();
}

// --- wiring ------------------------------------------------------------------------------------------------------

async function refresh(): Promise<void> {
  try {
    await Promise.all([renderOverview(), renderProgress(), renderDevices(), renderDetail(), refreshLocks()]);
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error instanceof Unauthorized) showLogin();
    else console.error(error);
  }
}

function showLogin(): void {
  stopLive();
  byId('login-view').hidden = false;
  byId('app-view').hidden = true;
  byId('whoami').hidden = true;
}

async function showApp(): Promise<void> {
  const me = await api<{ name: string }>('/api/v1/me');
  byId('admin-name').textContent = me.name;
  byId('login-view').hidden = true;
  byId('app-view').hidden = false;
  byId('whoami').hidden = false;
  await refresh();
  startLive();
}

function guard(work: () => Promise<void>, errorTarget?: string): () => void {
  return () => {
    work().catch((error: unknown) => {
      if (error instanceof Unauthorized) showLogin();
      else if (errorTarget !== undefined) byId(errorTarget).textContent = (error as Error).message;
      else console.error(error);
    });
  };
}

function wire(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    guard(async () => {
      try {
        await api('/api/v1/login', { method: 'POST', body: JSON.stringify({ username: data.get('username'), password: data.get('password') }) });
      } catch (error) {
        throw error instanceof Unauthorized ? new Error('Wrong user name or password') : error;
      }
      byId('login-error').textContent = '';
      await showApp();
    }, 'login-error')();
  });
  byId('logout').addEventListener('click', guard(async () => {
    await api('/api/v1/logout', { method: 'POST' });
    showLogin();
  }));
  byId<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.filter = readFilter();
    state.offset = 0;
    devicePaging.cursor = {};
    guard(renderDevices)();
  });
  byId('prev-page').addEventListener('click', guard(async () => {
    if (devicePaging.previous === null) return;
    devicePaging.cursor = { before: devicePaging.previous };
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    await renderDevices();
  }));
  byId('next-page').addEventListener('click', guard(async () => {
    if (devicePaging.next === null) return;
    devicePaging.cursor = { after: devicePaging.next };
    state.offset += PAGE_SIZE;
    await renderDevices();
  }));
  byId('detail-close').addEventListener('click', () => {
    state.detailId = undefined;
    byId('detail').hidden = true;
  });
  byId('device-revoke').addEventListener('click', revokeDevice);
  byId('device-delete').addEventListener('click', deleteDevice);
  byId('device-command').addEventListener('click', () => {
    if (state.detailId !== undefined) openCommandDialog({ deviceId: state.detailId, label: byId('detail-title').textContent ?? 'this device' });
  });
  byId('group-command').addEventListener('click', () => {
    state.filter = readFilter();
    openCommandDialog({ filter: filterObject(), label: state.filter.size === 0 ? 'every device' : `devices matching ${state.filter}` });
  });
  const commandForm = byId<HTMLFormElement>('command-form');
  (commandForm.elements.namedItem('type') as HTMLSelectElement).addEventListener('change', showParams);
  commandForm.addEventListener('input', (event) => {
    if ((event.target as HTMLElement).getAttribute('name') !== 'type') resetConfirmation();
  });
  byId('command-cancel').addEventListener('click', () => byId<HTMLDialogElement>('command-dialog').close());
  byId('command-review').addEventListener('click', guard(reviewCommand, 'command-error'));
  byId('command-send').addEventListener('click', guard(sendCommand, 'command-error'));
  wireTopics();
  locksPanel.wire();
  showApp().catch((error: unknown) => {
    if (error instanceof Unauthorized) showLogin();
    else console.error(error);
  });
}

wire();
