import { constants, createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The one signature algorithm of manifests: RSASSA-PSS with SHA-256, MGF1-SHA-256, salt of 32 bytes. */
export const MANIFEST_ALG = 'RSASSA-PSS-SHA256';

// Cloud KMS's RSA_SIGN_PSS_*_SHA256 uses a salt as long as the digest; `openssl -sigopt rsa_pss_saltlen:32` matches.
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

export function signPss(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, { key: privateKey, ...PSS });
}

/** False for a wrong signature, a wrong key, or a signature that is not even the key's length. */
export function verifyPss(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, { key: publicKey, ...PSS }, signature);
  } catch {
    return false;
  }
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * A key's id: hex SHA-256 of its DER SubjectPublicKeyInfo. Anyone holding the PEM can recompute it, so a
 * key list cannot label one key with another's id.
 */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return sha256(key.export({ type: 'spki', format: 'der' })).toString('hex');
}

/** Parses a PEM public key and checks it is an RSA key a PSS signature can be verified with. */
export function rsaPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    throw new Error(`expected an RSA public key, got ${key.asymmetricKeyType ?? 'an unknown key type'}`);
  }
  return key;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
