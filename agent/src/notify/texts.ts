// The texts a user sees when the agent has changed their account or is about to: part of the
// configuration (the config module embeds noticeTextsSchema), localizable, English built in. Pure.
import * as z from 'zod';

/** What happened (or is about to happen) to an account, as far as its user needs to know. */
export const NOTICE_KINDS = ['demobilized', 'demobilize-pending', 'linked', 'link-pending', 'lock-logout'] as const;

export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Placeholders a text may use; anything else in braces is refused, so a typo is caught when the config loads. */
export const NOTICE_PLACEHOLDERS = ['user', 'cloudUser', 'provider', 'seconds'] as const;

export type NoticePlaceholder = (typeof NOTICE_PLACEHOLDERS)[number];

/** Limits that keep a notice a notice (and a jamfHelper window on screen). */
export const NOTICE_LIMITS = { title: 120, message: 1000, button: 40 } as const;

// Control characters could fake lines or reach a terminal; a newline is fine in a message.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function textField(max: number, allowNewline: boolean) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !CONTROL.test(text) && (allowNewline || !text.includes('\n')), 'must not contain control characters')
    // jamfHelper reads its arguments as "-key value" pairs: a value starting with "-" could be taken for a flag.
    .refine((text) => !text.trimStart().startsWith('-'), 'must not start with "-"')
    .refine(
      (text) => [...text.matchAll(/\{([^{}]*)\}/g)].every((match) => (NOTICE_PLACEHOLDERS as readonly string[]).includes(match[1]!)),
      `may only use the placeholders ${NOTICE_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}`,
    );
}

/** One notice: a title, the message, and the button label. */
export const noticeTextSchema = z.strictObject({
  title: textField(NOTICE_LIMITS.title, false),
  message: textField(NOTICE_LIMITS.message, true),
  button: textField(NOTICE_LIMITS.button, false).optional(),
});

export type NoticeText = z.infer<typeof noticeTextSchema>;

/** A locale tag such as "en", "de", "fr-CA" or "zh-Hant" (macOS's "de_CH" is normalized before lookup). */
export const localeSchema = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a locale tag such as "en", "de" or "fr-CA"');

/** English, always available: the fallback for a locale or a kind the configuration does not give. */
export const DEFAULT_NOTICE_TEXTS: Readonly<Record<NoticeKind, Required<NoticeText>>> = {
  demobilized: {
    title: 'Your Mac account was updated',
    message:
      'Your account "{user}" is now a regular local account on this Mac. Your password is the same as before, and your files and settings are unchanged.',
    button: 'OK',
  },
  'demobilize-pending': {
    title: 'Your Mac account will be updated',
    message:
      'Your account "{user}" will become a regular local account on this Mac. Keep using the same password as before; your files and settings stay as they are.',
    button: 'OK',
  },
  linked: {
    title: 'Your Mac account is linked to your cloud account',
    message:
      'Your account "{user}" is now linked to your cloud account {cloudUser}. Your password is the same as before. If your keychain asks for your previous password at the next login, enter the password you used before the change.',
    button: 'OK',
  },
  'link-pending': {
    title: 'Your Mac account will be linked to your cloud account',
    message:
      'Your account "{user}" will be linked to your cloud account {cloudUser}. Your files stay where they are. After the change, your keychain may ask for your previous password at the next login: enter the password you used before.',
    button: 'OK',
  },
  // Shown before a locked user's session is ended (lock.loggedInUser "logout"); {seconds} is lock.logoutGraceSeconds.
  'lock-logout': {
    title: 'You will be logged out',
    message:
      'Your account "{user}" has been disabled on this Mac by your IT department. Save your work now: you will be logged out in {seconds} seconds and will not be able to log in again.',
    button: 'OK',
  },
};

/**
 * Notice texts in the configuration, by event and then by locale; whatever is not given falls back to
 * defaultLocale, then to the built-in English. Embedded in the agent configuration as "notices".
 * Example: { "defaultLocale": "de", "texts": { "linked": { "de": { "title": "…", "message": "… {user} …" } } } }
 */
export const noticeTextsSchema = z
  .strictObject({
    defaultLocale: localeSchema.default('en').meta({ title: 'Default locale', description: 'Locale used when the user\'s own has no text, e.g. "de". English is always the last fallback.' }),
    texts: z
      .partialRecord(z.enum(NOTICE_KINDS), z.record(localeSchema, noticeTextSchema))
      .default({})
      .meta({
        title: 'Texts',
        description:
          'By event (demobilized, demobilize-pending, linked, link-pending, lock-logout), then by locale: { title, message, button }. Placeholders: {user}, {cloudUser}, {provider}, {seconds} (lock-logout: the grace before the logout).',
      }),
  })
  .default({ defaultLocale: 'en', texts: {} })
  .meta({ title: 'Notices', description: 'Texts shown to users whose account the agent changed or is about to change, by event and then by locale. Events without a text use the built-in English one.' });

export type NoticeTexts = z.infer<typeof noticeTextsSchema>;

/** The configuration with nothing set: English only. */
export const DEFAULT_NOTICE_CONFIG: NoticeTexts = noticeTextsSchema.parse(undefined);

/** "de_CH", "de-CH@currency=EUR" or "de_CH.UTF-8" as a locale tag ("de-CH"); undefined when it is not one. */
export function normalizeLocale(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const tag = raw.trim().replace(/[@.].*$/, '').replace(/_/g, '-');
  const [language, ...rest] = tag.split('-');
  const normalized = [language?.toLowerCase(), ...rest].join('-');
  return localeSchema.safeParse(normalized).success ? normalized : undefined;
}

/** The locales to try for a requested one, most specific first: "de-CH" → "de-CH", "de", default, "en". */
export function localeFallbacks(requested: string | undefined, defaultLocale: string): string[] {
  const chain: string[] = [];
  const add = (locale: string | undefined) => {
    if (locale !== undefined && !chain.includes(locale)) chain.push(locale);
  };
  const tag = normalizeLocale(requested);
  if (tag !== undefined) {
    const parts = tag.split('-');
    for (let length = parts.length; length >= 1; length -= 1) add(parts.slice(0, length).join('-'));
  }
  add(defaultLocale);
  add('en');
  return chain;
}
