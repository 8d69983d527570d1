// Credentials: random tokens stored as SHA-256 hashes, admin passwords as scrypt hashes.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;

/** scrypt cost: N=2^15, r=8 takes ~50 ms and 32 MiB, enough against offline guessing of a stolen hash. */
const SCRYPT_PARAMS = { N: 32768, r: 8, p: 1 } as const;
const SCRYPT_KEYLEN = 32;

/** A new random credential: 32 bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a token. Tokens are random, so a fast hash is enough. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Hash an admin password for storage: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT_KEYLEN, { ...SCRYPT_PARAMS, maxmem: 128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r * 2 } as typeof SCRYPT_PARAMS);
  return ['scrypt', SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Check a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { ...params, maxmem: 128 * params.N * params.r * 2 } as typeof params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The credential of an `Authorization: Bearer` header, or undefined. */
export function bearerToken(rawHeader: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_\-.~+/=]{16,512})$/.exec(rawHeader ?? '');
  return match?.[1];
}
