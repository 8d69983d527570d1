import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, clearSecretValues, isSecretKey, redactString, redactValue, registerSecretValue } from '../../agent/src/log/redact.js';

afterEach(() => clearSecretValues());

describe('redaction', () => {
  it.each(['secret', 'enrollmentSecret', 'token', 'deviceToken', 'access_token', 'password', 'Authorization', 'cookie', 'apiKey', 'private-key', 'nodeKey', 'credentials'])(
    'treats %s as a secret key',
    (key) => expect(isSecretKey(key)).toBe(true),
  );

  it.each(['secureToken', 'enrollmentSecretFile', 'tokenFile', 'spkiPins', 'user', 'step', 'key', 'message'])('leaves %s alone', (key) => expect(isSecretKey(key)).toBe(false));

  it('replaces secret fields at any depth and keeps the rest, without changing the original', () => {
    const original = { user: 'jdoe', server: { url: 'https://x.example', enrollmentSecret: 's3cr3t-value' }, list: [{ token: 'abc123456' }], secureToken: 'enabled' };
    const copy = redactValue(original);
    expect(copy).toEqual({ user: 'jdoe', server: { url: 'https://x.example', enrollmentSecret: REDACTED }, list: [{ token: REDACTED }], secureToken: 'enabled' });
    expect(original.server.enrollmentSecret).toBe('s3cr3t-value');
  });

  it.each([
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'eyJhbGci'],
    ['bearer abcdefghijklmnop', 'abcdefghijklmnop'],
    ['GET https://admin:hunter22@untether.example.com/api', 'hunter22'],
    ['POST /enroll?secret=topsecret123&x=1', 'topsecret123'],
    ['{"password":"pa55word!"}', 'pa55word!'],
    ['api_key = ABCDEF123456', 'ABCDEF123456'],
    ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----', 'MIIEvQIBADANBg'],
  ])('removes a credential by its shape: %s', (text, secret) => {
    const out = redactString(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('removes a registered secret value wherever it appears, even under an innocent key', () => {
    registerSecretValue('enroll-0123456789');
    expect(redactValue({ detail: 'server said: enroll-0123456789 is unknown' })).toEqual({ detail: `server said: ${REDACTED} is unknown` });
  });

  it('turns Errors into plain objects with redacted message, stack and cause', () => {
    const error = new Error('request failed: Bearer abcdefghijkl', { cause: new Error('password=letmein99') });
    const copy = redactValue({ error }) as { error: { message: string; stack: string; cause: { message: string } } };
    expect(copy.error.message).toBe(`request failed: Bearer ${REDACTED}`);
    expect(copy.error.stack).not.toContain('abcdefghijkl');
    expect(copy.error.cause.message).not.toContain('letmein99');
  });

  it('cuts cycles and very deep values instead of recursing forever', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(redactValue(cyclic)).toEqual({ name: 'a', self: '[Circular]' });
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let index = 0; index < 20; index += 1) deep = deep.next = {};
    expect(JSON.stringify(redactValue(top))).toContain('[Truncated]');
  });
});
