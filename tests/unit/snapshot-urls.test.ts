import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { checkSignedPath, createGcsSnapshotUrls, createLocalSnapshotUrls, signPath } from '../../shared/snapshots/index.js';
import { isAppError } from '../../shared/errors/app-error.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('HMAC-signed local snapshot paths', () => {
  const key = randomBytes(32);
  const path = '/snapshot-files/acme/latest.db';
  const expires = Math.floor(NOW / 1000) + 3600;
  const sig = signPath(key, path, expires);

  it('accepts the path it signed until it expires, then answers expired', () => {
    expect(checkSignedPath(key, path, String(expires), sig, NOW)).toBe('ok');
    expect(checkSignedPath(key, path, String(expires), sig, expires * 1000 - 1)).toBe('ok');
    expect(checkSignedPath(key, path, String(expires), sig, expires * 1000)).toBe('expired');
  });

  it.each([
    { name: 'another tenant in the path', args: ['/snapshot-files/globex/latest.db', String(expires), sig] },
    { name: 'another snapshot name', args: ['/snapshot-files/acme/other.db', String(expires), sig] },
    { name: 'a later expiry', args: [path, String(expires + 3600), sig] },
    { name: 'a flipped signature character', args: [path, String(expires), (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)] },
    { name: 'a truncated signature', args: [path, String(expires), sig.slice(0, -1)] },
    { name: 'no signature', args: [path, String(expires), undefined] },
    { name: 'a non-numeric expiry', args: [path, 'soon', sig] },
    { name: 'repeated query parameters (an array)', args: [path, [String(expires)], sig] },
  ])('refuses $name as invalid', ({ args }) => {
    const [p, e, s] = args as [string, unknown, unknown];
    expect(checkSignedPath(key, p, e, s, NOW)).toBe('invalid');
  });

  it('another key does not verify the signature', () => {
    expect(checkSignedPath(randomBytes(32), path, String(expires), sig, NOW)).toBe('invalid');
  });

  it('the local signer builds a URL back to this service, valid for the configured hour', async () => {
    const urls = createLocalSnapshotUrls({ key, ttlSeconds: 3600, now: () => NOW });
    const signed = await urls.signedUrl({ tenantId: 'acme', name: 'latest.db' }, { baseUrl: 'http://127.0.0.1:8080' });
    const url = new URL(signed.url);
    expect(url.pathname).toBe('/snapshot-files/acme/latest.db');
    expect(url.searchParams.get('expires')).toBe(String(expires));
    expect(signed.expiresAt.toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(checkSignedPath(key, url.pathname, url.searchParams.get('expires'), url.searchParams.get('signature'), NOW)).toBe('ok');
  });
});

describe('Cloud Storage V4 signed snapshot URLs (@google-cloud/storage, signed locally with a throwaway key)', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = 'snapshots@test-project.iam.gserviceaccount.com';
  const storage = new Storage({
    projectId: 'test-project',
    credentials: { client_email: clientEmail, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  // The library refuses an expiry in the past by the real clock, so this clock is the real one, frozen.
  const start = Math.floor(Date.now() / 1000) * 1000;
  const iso = new Date(start).toISOString();
  const datestamp = iso.slice(0, 10).replaceAll('-', '');
  const signer = () => createGcsSnapshotUrls({ bucket: 'melmastoon-snapshots', objectPrefix: 'tenants/{tenant}/snapshots/', ttlSeconds: 3600, storage, now: () => start });

  it('is a GET URL of the object under the tenant prefix, X-Goog-Expires=3600, whose signature verifies', async () => {
    const signed = await (await signer()).signedUrl({ tenantId: 'acme', name: 'latest.db' }, { baseUrl: 'unused' });
    const url = new URL(signed.url);
    expect(url.host).toBe('storage.googleapis.com');
    expect(url.pathname).toBe('/melmastoon-snapshots/tenants/acme/snapshots/latest.db');
    const q = url.searchParams;
    expect(q.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(q.get('X-Goog-Expires')).toBe('3600');
    expect(q.get('X-Goog-Date')).toBe(`${datestamp}T${iso.slice(11, 19).replaceAll(':', '')}Z`);
    expect(q.get('X-Goog-Credential')).toBe(`${clientEmail}/${datestamp}/auto/storage/goog4_request`);
    expect(q.get('X-Goog-SignedHeaders')).toBe('host');
    expect(signed.expiresAt.getTime()).toBe(start + 3600_000);

    // Rebuild the V4 string-to-sign from the URL (Cloud Storage's documented canonical request) and check
    // the signature with the service account's public key: this is what Cloud Storage itself verifies.
    const canonicalQuery = [...q.entries()]
      .filter(([k]) => k !== 'X-Goog-Signature')
      .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
      .sort(([a], [b]) => (a! < b! ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const stringToSign = (path: string) => {
      const canonicalRequest = ['GET', path, canonicalQuery, 'host:storage.googleapis.com', '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
      return ['GOOG4-RSA-SHA256', q.get('X-Goog-Date'), `${datestamp}/auto/storage/goog4_request`, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    };
    const signature = Buffer.from(q.get('X-Goog-Signature')!, 'hex');
    const publicKey = createPublicKey(privateKey);
    expect(verify('sha256', Buffer.from(stringToSign(url.pathname)), publicKey, signature)).toBe(true);
    // The same signature does not cover another tenant's object.
    expect(verify('sha256', Buffer.from(stringToSign(url.pathname.replace('/acme/', '/globex/'))), publicKey, signature)).toBe(false);
  });

  it('a URL that cannot be signed is a 503 snapshot_url_unavailable, not a 500', async () => {
    const broken = new Storage({ projectId: 'test-project', credentials: { client_email: clientEmail, private_key: 'not a key' } });
    const urls = await createGcsSnapshotUrls({ bucket: 'melmastoon-snapshots', objectPrefix: 'tenants/{tenant}/snapshots/', ttlSeconds: 3600, storage: broken });
    const err = await urls.signedUrl({ tenantId: 'acme', name: 'latest.db' }, { baseUrl: 'unused' }).catch((e: unknown) => e);
    expect(isAppError(err) && [err.status, err.code]).toEqual([503, 'snapshot_url_unavailable']);
  });

  it.each([
    { tenantId: 'acme', name: '../globex/latest.db' },
    { tenantId: 'acme', name: '.hidden' },
    { tenantId: '..', name: 'latest.db' },
    { tenantId: 'acme/..', name: 'latest.db' },
  ])('refuses a reference that could leave the tenant prefix: $tenantId / $name', async (ref) => {
    const err = await (await signer()).signedUrl(ref, { baseUrl: 'unused' }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('invalid_input');
  });
});
