import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Expiring HMAC-SHA256 signatures of local download paths (the embedded stand-in for V4 signed URLs).
 * The MAC covers the method, the exact path (tenant and name included) and the expiry, so changing any of
 * them, or the signature, invalidates the URL.
 */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/; // base64url of 32 bytes
const EXPIRES = /^\d{1,12}$/;

function mac(key: Buffer, path: string, expiresUnix: number): Buffer {
  return createHmac('sha256', key).update(`GET\n${path}\n${expiresUnix}`).digest();
}

export function signPath(key: Buffer, path: string, expiresUnix: number): string {
  return mac(key, path, expiresUnix).toString('base64url');
}

export type SignedPathCheck = 'ok' | 'expired' | 'invalid';

/** Checks the signature first (constant-time), then the expiry, so nothing is learnt from an unsigned URL. */
export function checkSignedPath(key: Buffer, path: string, expires: unknown, signature: unknown, nowMs: number): SignedPathCheck {
  if (typeof expires !== 'string' || !EXPIRES.test(expires) || typeof signature !== 'string' || !SIGNATURE.test(signature)) return 'invalid';
  const expected = mac(key, path, Number(expires));
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return Number(expires) * 1000 <= nowMs ? 'expired' : 'ok';
}
