import type { KeyObject } from 'node:crypto';
import { keyIdOf, rsaPublicKey } from './algorithm.js';

export interface TrustedKey {
  keyid: string;
  publicKey: KeyObject;
  /** Only `ENABLED` keys are accepted; anything else is a withdrawn key whose signatures are refused. */
  state: string;
}

export class TrustedKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustedKeysError';
  }
}

/**
 * Reads a client's trusted keys: a single PEM public key, or the JSON of GET /v1/public-keys
 * (`{ keys: [{ keyid, pem, state? }] }`). Every keyid is recomputed from its PEM and must match.
 */
export function parseTrustedKeys(text: string): TrustedKey[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const publicKey = parsePem(trimmed, 'the PEM');
    return [{ keyid: keyIdOf(publicKey), publicKey, state: 'ENABLED' }];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    throw new TrustedKeysError('the keys are neither a PEM public key nor JSON');
  }
  const entries = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(entries) || entries.length === 0) throw new TrustedKeysError('the keys JSON has no "keys" list');
  return entries.map((entry: unknown, i) => {
    const { keyid, pem, state } = (entry ?? {}) as { keyid?: unknown; pem?: unknown; state?: unknown };
    if (typeof keyid !== 'string' || typeof pem !== 'string') throw new TrustedKeysError(`keys[${i}] needs a keyid and a pem`);
    if (state !== undefined && typeof state !== 'string') throw new TrustedKeysError(`keys[${i}].state must be a string`);
    const publicKey = parsePem(pem, `keys[${i}].pem`);
    if (keyIdOf(publicKey) !== keyid) throw new TrustedKeysError(`keys[${i}]: keyid ${keyid} is not the id of its PEM`);
    return { keyid, publicKey, state: state ?? 'ENABLED' };
  });
}

function parsePem(pem: string, what: string): KeyObject {
  try {
    return rsaPublicKey(pem);
  } catch (err) {
    throw new TrustedKeysError(`${what} is not an RSA public key (${(err as Error).message})`);
  }
}
