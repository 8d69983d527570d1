// What the dashboard can be told has changed. Topics name views, never rows or values: a browser that hears one
// refetches through the normal API, with its own access checks, so a notice carries nothing worth hiding.
import * as z from 'zod';

/**
 * Every topic, in one place. Add a topic here (and wire its producers and the dashboard's `onTopic`) to extend
 * the feed; `locks` is reserved for the account-lock feature.
 */
export const LIVE_TOPICS = ['devices', 'events', 'commands', 'progress', 'locks'] as const;

export type LiveTopic = (typeof LIVE_TOPICS)[number];

const KNOWN = new Set<string>(LIVE_TOPICS);

/** Whether `value` names a topic this build knows. */
export function isLiveTopic(value: string): value is LiveTopic {
  return KNOWN.has(value);
}

/** Topics in the order of LIVE_TOPICS, without repeats. */
export function sortTopics(topics: Iterable<LiveTopic>): LiveTopic[] {
  const wanted = new Set(topics);
  return LIVE_TOPICS.filter((topic) => wanted.has(topic));
}

/** The NOTIFY payload between instances: who sent it (to skip one's own) and which topics changed. */
const ChangeNotice = z.object({
  origin: z.string().min(1).max(128),
  // Strings, not an enum: an instance of a newer build may announce topics this one does not know yet.
  topics: z.array(z.string().max(64)).max(64),
});

/** Encode a notice (well under PostgreSQL's 8000-byte payload limit: topics are few and short). */
export function encodeChangeNotice(origin: string, topics: readonly LiveTopic[]): string {
  return JSON.stringify({ origin, topics });
}

/** Decode a notice; undefined when it is not one. Unknown topics are dropped. */
export function decodeChangeNotice(payload: string): { origin: string; topics: LiveTopic[] } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const parsed = ChangeNotice.safeParse(raw);
  if (!parsed.success) return undefined;
  return { origin: parsed.data.origin, topics: sortTopics(parsed.data.topics.filter(isLiveTopic)) };
}
