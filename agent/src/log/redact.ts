// Redaction: what removes secrets from every log entry before any transport sees it. Three nets, because
// one is never enough: by key name (enrollmentSecret, token, password, authorization, ...), by value shape
// (Bearer/Basic credentials, URL user:password, key=value pairs with a secret-looking name), and by known
// value (secrets the agent itself loaded, e.g. the enrollment secret, wherever they appear in a string).
// Pure and copy-on-write: the caller's objects are never changed.

/** winston's key for the raw extra arguments of a log call (triple-beam's SPLAT). */
const SPLAT = Symbol.for('splat');

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Key names (lower-cased, without "_" and "-") that hold secrets wherever they appear. */
const SECRET_KEY_SUFFIXES = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'nodekey',
];

/** Keys that end like a secret but are not one. */
const NOT_SECRET_KEYS = new Set(['securetoken', 'hassecuretoken', 'securetokenstatus', 'tokenfile', 'secretfile', 'enrollmentsecretfile']);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_\-\s.]/g, '');
}

/** Whether a field of this name holds a secret (so its value is never logged). */
export function isSecretKey(key: string): boolean {
  const normalized = normalizeKey(key);
  if (NOT_SECRET_KEYS.has(normalized)) return false;
  return SECRET_KEY_SUFFIXES.some((suffix) => normalized === suffix || normalized.endsWith(suffix));
}

const knownSecrets = new Set<string>();

/** Remember a secret value the agent holds so it is redacted wherever it appears (shorter than 6 characters: ignored). */
export function registerSecretValue(value: string): void {
  // A very short value would redact ordinary words; such a secret is too weak to matter more than readability.
  if (value.length >= 6) knownSecrets.add(value);
}

/** Forget registered secrets (tests). */
export function clearSecretValues(): void {
  knownSecrets.clear();
}

// Value shapes that carry a credential wherever they appear.
const VALUE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Authorization header values.
  [/\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // A password in a URL's userinfo (scheme, user name, colon, password, at-sign).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^@\s/]+@/gi, `$1:${REDACTED}@`],
  // secret=value, "token": "value", password: value (query strings, text, JSON fragments).
  [
    /\b([A-Za-z_-]*(?:secret|password|passwd|passphrase|token|apikey|api_key|authorization)["']?\s*[=:]\s*["']?)([^"'\s&,;}]{3,})/gi,
    `$1${REDACTED}`,
  ],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, `${REDACTED} private key`],
];

/** Redact credentials inside one string. */
export function redactString(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/**
 * A redacted copy of any value: secret keys replaced, strings cleaned, Errors turned into plain
 * { name, message, stack, code } objects, cycles cut. Symbols-keyed fields (winston's) are kept as they are.
 */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (value instanceof Date) return value;
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof Error) {
      const plain: Record<string, unknown> = { name: value.name, message: redactString(value.message) };
      if (value.stack !== undefined) plain.stack = redactString(value.stack);
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) plain.code = code;
      if (value.cause !== undefined) plain.cause = redactValue(value.cause, depth + 1, seen);
      return plain;
    }
    if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
    const out: Record<string | symbol, unknown> = {};
    for (const key of Object.keys(value)) {
      const field = (value as Record<string, unknown>)[key];
      out[key] = isSecretKey(key) && field !== undefined && field !== null && field !== '' ? REDACTED : redactValue(field, depth + 1, seen);
    }
    // winston's own symbols (level, message) are kept; its SPLAT holds the caller's original, unredacted arguments.
    for (const symbol of Object.getOwnPropertySymbols(value)) {
      if (symbol !== SPLAT) out[symbol] = (value as Record<symbol, unknown>)[symbol];
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
