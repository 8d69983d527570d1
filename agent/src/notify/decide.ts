// Pure decisions about notices: which text a user sees for an event, and whether a user who just logged
// in gets a notice at all. Only users whose account the agent changed (or is about to) get one.
import { DEFAULT_NOTICE_TEXTS, NOTICE_PLACEHOLDERS, localeFallbacks, type NoticeKind, type NoticePlaceholder, type NoticeTexts } from './texts.js';

/** Something the agent did, or is about to do, to one account; recorded so the user can be told at login. */
export interface AccountEvent {
  /** Unique per event, e.g. the transaction id plus the kind. */
  id: string;
  /** The account's short name. */
  user: string;
  kind: NoticeKind;
  /** When it happened (done kinds) or was planned (pending kinds), ISO 8601. */
  at: string;
  cloudUser?: string;
  provider?: string;
  /** Set once the user was shown a notice covering this event. */
  notifiedAt?: string;
}

/** A notice ready to show: the texts with placeholders filled in. */
export interface Notice {
  kind: NoticeKind;
  locale: string;
  title: string;
  message: string;
  button: string;
}

function fill(template: string, values: Readonly<Partial<Record<NoticePlaceholder, string>>>): string {
  // One pass over the template: a value that itself contains "{user}" is never expanded again.
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) =>
    (NOTICE_PLACEHOLDERS as readonly string[]).includes(name) ? (values[name as NoticePlaceholder] ?? '') : whole,
  );
}

/**
 * The notice for an event in the user's locale: the first locale of "de-CH" → "de" → the configured
 * default → English that has a text for this kind; the button falls back the same way.
 */
export function noticeFor(event: Pick<AccountEvent, 'kind' | 'user' | 'cloudUser' | 'provider'> & { seconds?: number }, texts: NoticeTexts, locale: string | undefined): Notice {
  const values = { user: event.user, cloudUser: event.cloudUser ?? '', provider: event.provider ?? '', seconds: event.seconds === undefined ? '' : String(event.seconds) };
  for (const candidate of localeFallbacks(locale, texts.defaultLocale)) {
    const text = texts.texts[event.kind]?.[candidate] ?? (candidate === 'en' ? DEFAULT_NOTICE_TEXTS[event.kind] : undefined);
    if (text === undefined) continue;
    return {
      kind: event.kind,
      locale: candidate,
      title: fill(text.title, values),
      message: fill(text.message, values),
      button: fill(text.button ?? buttonFor(event.kind, texts, localeFallbacks(candidate, texts.defaultLocale)), values),
    };
  }
  // localeFallbacks always ends with "en", which always has a text: unreachable, but say so if it happens.
  throw new Error(`choosing a notice text: no text for "${event.kind}" in any locale`);
}

// A text without its own button label takes the first label given in that locale for any event.
function buttonFor(kind: NoticeKind, texts: NoticeTexts, locales: readonly string[]): string {
  for (const locale of locales) {
    const own = texts.texts[kind]?.[locale]?.button;
    if (own !== undefined) return own;
    const other = Object.values(texts.texts).find((byLocale) => byLocale?.[locale]?.button !== undefined)?.[locale]?.button;
    if (other !== undefined) return other;
  }
  return DEFAULT_NOTICE_TEXTS[kind].button;
}

/** Who just logged in. */
export interface LoginSession {
  user: string;
  uid: number;
}

export type NoticeDecision =
  | { notify: true; event: AccountEvent; /** Every event this notice covers (mark them all notified). */ covers: string[] }
  | { notify: false; reason: string };

/** How long after the change a notice still makes sense; a user back from a long leave gets none. */
export const NOTICE_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

// What the user most needs to hear first: a done link (keychain may ask) over a done demobilization, and
// anything done over anything pending.
const PRIORITY: readonly NoticeKind[] = ['linked', 'demobilized', 'link-pending', 'demobilize-pending'];
const FIRST_PERSON_UID = 500;

/** Whether the user who just logged in gets a notice, and for which event. Pure: `now` comes in. */
export function decideNotice(session: LoginSession, events: readonly AccountEvent[], now: Date, maxAgeMs = NOTICE_MAX_AGE_MS): NoticeDecision {
  if (!Number.isInteger(session.uid) || session.uid < FIRST_PERSON_UID || session.user.startsWith('_') || session.user === 'root') {
    return { notify: false, reason: `${session.user} (uid ${session.uid}) is not a person's account` };
  }
  const name = session.user.toLowerCase();
  const mine = events.filter((event) => event.user.toLowerCase() === name);
  if (mine.length === 0) return { notify: false, reason: `nothing happened to ${session.user}'s account` };
  const open = mine.filter((event) => event.notifiedAt === undefined);
  if (open.length === 0) return { notify: false, reason: `${session.user} was already told` };
  const fresh = open.filter((event) => {
    const at = Date.parse(event.at);
    return Number.isFinite(at) && now.getTime() - at <= maxAgeMs && at - now.getTime() <= maxAgeMs;
  });
  if (fresh.length === 0) return { notify: false, reason: `the changes to ${session.user}'s account are too old to be news` };
  const best = [...fresh].sort((a, b) => PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind) || Date.parse(b.at) - Date.parse(a.at))[0]!;
  // A notice covers older events of its kind and, for a done change, its own announcement, so the user is
  // told once; other news (say a pending link after a done demobilization) waits for the next login.
  const covers = fresh.filter((event) => event.kind === best.kind || isPendingOf(event.kind, best.kind)).map((event) => event.id);
  return { notify: true, event: best, covers };
}

function isPendingOf(pending: NoticeKind, done: NoticeKind): boolean {
  return (pending === 'link-pending' && done === 'linked') || (pending === 'demobilize-pending' && done === 'demobilized');
}
