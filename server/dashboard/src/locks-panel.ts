// The dashboard's account locks panel: lock a person on every Mac (by cloud identity or local name, with a reason
// and a confirmation of the device count), watch each Mac's progress, unlock. app.ts hands in its DOM and API
// helpers and calls refresh() from its refresh cycle. Every value from the server is written as text.

/** A lock as GET /api/v1/locks lists it. */
interface LockSummary {
  id: string;
  targetKind: 'user' | 'identity';
  target: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
  devices: number;
  counts: Record<string, number>;
}

/** One device's progress in a lock. */
interface LockDeviceRow {
  deviceId: string;
  hostname: string;
  online: boolean;
  account: string;
  phase: 'lock' | 'unlock';
  state: string;
  code: string | null;
  message: string | null;
  issuedAt: string;
  finishedAt: string | null;
}

/** What the panel borrows from app.ts. */
export interface LocksPanelDeps {
  api<T>(path: string, init?: RequestInit): Promise<T>;
  byId<T extends HTMLElement>(id: string): T;
  element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K];
  pill(text: string, kind: string): HTMLSpanElement;
  formatTime(iso: string | null): string;
  /** Run work from a click, showing its error in the element with this id (or the login form on 401). */
  guard(work: () => Promise<void>, errorTarget?: string): () => void;
}

/** Why a Mac refused or failed, in an admin's words; the agent's own message is shown beside it. */
function explainCode(code: string | null, phase: 'lock' | 'unlock'): string {
  const command = phase === 'lock' ? 'lock-account' : 'unlock-account';
  switch (code) {
    case null:
      return '';
    case 'E_COMMAND_NOT_ALLOWED':
      return `the configuration of this Mac does not allow ${command}`;
    case 'E_ACCOUNT_PROTECTED':
      return 'the account is protected on this Mac (its configuration, or the last SecureToken holder)';
    case 'E_UNKNOWN_USER':
      return 'the account does not exist on this Mac';
    case 'E_COMMAND_NO_HANDLER':
      return `this Mac's agent cannot run ${command} yet (update the agent)`;
    case 'E_COMMAND_EXPIRED':
      return 'the command expired before the Mac ran it';
    case 'E_COMMAND_BUSY':
      return 'the Mac was busy with another command; it is sent again when the Mac next reports';
    default:
      return code;
  }
}

/** The pill colour of a device state. */
function stateKind(state: string): string {
  if (state === 'applied' || state === 'unlocked') return 'done';
  if (state === 'refused' || state === 'failed') return 'failed';
  if (state === 'sent' || state === 'pending-offline') return 'waiting';
  return 'offline';
}

/** The counts of a lock as one line, problems first. */
function countsText(lock: LockSummary): string {
  const parts = Object.entries(lock.counts)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`);
  return parts.length === 0 ? 'no Mac has this account yet' : parts.join(' · ');
}

/** Device rows the panel shows of one lock (problems first); the counts above them cover every device. */
const DETAIL_ROWS = 500;

/** Build the panel; call wire() once and refresh() on every refresh of the dashboard. */
export function createLocksPanel(deps: LocksPanelDeps): { wire(): void; refresh(): Promise<void> } {
  const { api, byId, element, pill, formatTime, guard } = deps;
  let detailId: string | undefined;
  let confirmedCount: number | undefined;

  function targetBody(): { user: string } | { identity: string } {
    const data = new FormData(byId<HTMLFormElement>('lock-form'));
    const target = String(data.get('target') ?? '').trim();
    return data.get('kind') === 'user' ? { user: target } : { identity: target };
  }

  function resetConfirmation(): void {
    confirmedCount = undefined;
    byId('lock-confirm').hidden = true;
    byId('lock-send').hidden = true;
    byId('lock-review').hidden = false;
    byId('lock-error').textContent = '';
  }

  async function review(): Promise<void> {
    const form = byId<HTMLFormElement>('lock-form');
    if (!form.reportValidity()) return;
    const target = targetBody();
    const preview = await api<{ count: number }>('/api/v1/locks/preview', { method: 'POST', body: JSON.stringify(target) });
    confirmedCount = preview.count;
    const who = 'user' in target ? `the local account "${target.user}"` : `the accounts linked to "${target.identity}"`;
    byId('lock-confirm').textContent =
      `Lock ${who} on ${preview.count} Mac${preview.count === 1 ? '' : 's'} now, and on any Mac that reports it later? ` +
      'Their password, SecureToken and home are kept; you can unlock again.';
    byId('lock-confirm').hidden = false;
    byId('lock-send').hidden = false;
    byId('lock-review').hidden = true;
  }

  async function send(): Promise<void> {
    if (confirmedCount === undefined) return;
    const reason = String(new FormData(byId<HTMLFormElement>('lock-form')).get('reason') ?? '');
    const created = await api<{ lock: LockSummary }>('/api/v1/locks', {
      method: 'POST',
      body: JSON.stringify({ ...targetBody(), reason, confirmCount: confirmedCount }),
    });
    byId<HTMLFormElement>('lock-form').reset();
    resetConfirmation();
    detailId = created.lock.id;
    await refresh();
  }

  async function renderList(): Promise<LockSummary[]> {
    const { locks } = await api<{ locks: LockSummary[] }>('/api/v1/locks?limit=100');
    byId('locks-table')
      .querySelector('tbody')
      ?.replaceChildren(
        ...locks.map((lock) => {
          const row = element('tr', undefined, 'lock');
          row.dataset.lockId = lock.id;
          const status = element('td');
          status.append(lock.releasedAt === null ? pill('active', 'failed') : pill(`unlocked ${formatTime(lock.releasedAt)}`, 'offline'));
          row.append(
            element('td', `${lock.target} (${lock.targetKind === 'user' ? 'local name' : 'identity'})`),
            element('td', lock.reason),
            element('td', lock.createdBy),
            element('td', formatTime(lock.createdAt)),
            status,
            element('td', countsText(lock)),
          );
          row.addEventListener('click', guard(async () => {
            detailId = lock.id;
            await refresh();
          }));
          return row;
        }),
      );
    return locks;
  }

  async function renderDetail(): Promise<void> {
    const panel = byId('lock-detail');
    if (detailId === undefined) {
      panel.hidden = true;
      return;
    }
    const { lock, devices } = await api<{ lock: LockSummary; devices: LockDeviceRow[] }>(`/api/v1/locks/${detailId}?limit=${DETAIL_ROWS}`);
    byId('lock-detail-title').textContent = `${lock.target}: ${countsText(lock)}`;
    byId('lock-detail-why').textContent =
      `Locked by ${lock.createdBy} ${formatTime(lock.createdAt)}: ${lock.reason}` +
      (lock.releasedAt === null ? '' : ` — unlocked by ${lock.releasedBy ?? '?'} ${formatTime(lock.releasedAt)}: ${lock.releaseReason ?? ''}`);
    byId('lock-unlock').hidden = lock.releasedAt !== null;
    byId('lock-devices-table')
      .querySelector('tbody')
      ?.replaceChildren(
        ...devices.map((device) => {
          const row = element('tr');
          row.dataset.deviceId = device.deviceId;
          row.dataset.state = device.state;
          const state = element('td');
          state.append(pill(device.state, stateKind(device.state)));
          const why = element('td', explainCode(device.code, device.phase), 'why');
          if (device.message !== null && device.message !== '') why.append(element('span', ` (${device.message})`, 'muted'));
          row.append(
            element('td', device.hostname),
            element('td', device.account),
            element('td', device.phase),
            state,
            why,
            element('td', `${formatTime(device.finishedAt ?? device.issuedAt)}${device.online ? '' : ' · offline'}`),
          );
          return row;
        }),
      );
    byId('lock-detail-more').textContent = lock.devices > devices.length ? `Showing ${devices.length} of ${lock.devices} Macs, problems first.` : '';
    panel.hidden = false;
  }

  async function unlock(): Promise<void> {
    if (detailId === undefined) return;
    const reason = String(new FormData(byId<HTMLFormElement>('unlock-form')).get('reason') ?? '');
    await api(`/api/v1/locks/${detailId}/unlock`, { method: 'POST', body: JSON.stringify({ reason }) });
    byId<HTMLDialogElement>('unlock-dialog').close();
    await refresh();
  }

  async function refresh(): Promise<void> {
    await renderList();
    await renderDetail();
  }

  function wire(): void {
    byId('lock-review').addEventListener('click', guard(review, 'lock-error'));
    byId('lock-send').addEventListener('click', guard(send, 'lock-error'));
    byId('lock-form').addEventListener('input', resetConfirmation);
    byId('lock-form').addEventListener('submit', (event) => event.preventDefault());
    byId('lock-detail-close').addEventListener('click', () => {
      detailId = undefined;
      byId('lock-detail').hidden = true;
    });
    byId('lock-unlock').addEventListener('click', () => {
      byId<HTMLFormElement>('unlock-form').reset();
      byId('unlock-error').textContent = '';
      byId<HTMLDialogElement>('unlock-dialog').showModal();
    });
    byId('unlock-cancel').addEventListener('click', () => byId<HTMLDialogElement>('unlock-dialog').close());
    byId('unlock-ok').addEventListener('click', guard(async () => {
      if (!byId<HTMLFormElement>('unlock-form').reportValidity()) return;
      await unlock();
    }, 'unlock-error'));
  }

  return { wire, refresh };
}
