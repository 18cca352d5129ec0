import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwtVerifier, mintDevToken, type JwtVerifier } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { listenHttp } from '../../shared/http/index.js';
import { openKmsKeyRing, openLocalKeyRing, parseTrustedKeys, verifyManifest, type ManifestKeyRing, type ManifestPayload, type SigningError } from '../../shared/signing/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { createSignerApp } from '../../services/manifest-signer/app.js';
import { checkSignerConfig } from '../../services/manifest-signer/key-ring.js';
import { startFakeKms, type FakeKms } from '../fakes/kms/server.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const KMS_KEY = 'projects/test-project/locations/europe-west1/keyRings/edge/cryptoKeys/manifests';
const NOW = Date.parse('2026-12-01T12:00:00Z');

let db: TestDatabase;
let dataDir: string;
let verifier: JwtVerifier;
let fake: FakeKms;
let kmsClient: KeyManagementServiceClient;
const servers: Server[] = [];

async function serve(keyRing: ManifestKeyRing): Promise<string> {
  const app = createSignerApp({ config, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), pool: db.pool, verifier, keyRing, now: () => NOW });
  const { server, port } = await listenHttp(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${port}`;
}

let localUrl: string;
let kmsUrl: string;

beforeAll(async () => {
  db = await testDatabase({ poolMax: 5 });
  dataDir = await mkdtemp(path.join(tmpdir(), 'manifest-signer-'));
  verifier = await createJwtVerifier({ auth: config.auth, dataDir, appEnv: 'test', logger: createLogger({ level: 'silent' }) });
  localUrl = await serve(await openLocalKeyRing({ dataDir, modulusLength: 2048 }));
  fake = await startFakeKms();
  fake.addVersion(KMS_KEY, 1);
  fake.addVersion(KMS_KEY, 2);
  kmsClient = new KeyManagementServiceClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() });
  kmsUrl = await serve(await openKmsKeyRing({ keyName: KMS_KEY, primaryVersion: 2, client: kmsClient, timeoutMs: 5000, publicKeysCacheMs: 0 }));
});

afterAll(async () => {
  for (const server of servers) server.close();
  verifier?.close();
  await kmsClient?.close();
  await fake?.stop();
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  fake.corrupt({});
  await db.pool.query('TRUNCATE manifests, manifest_channels');
});

const token = (scope: string, subject = 'release-pipeline@ci') =>
  mintDevToken({ dataDir, tenant: 'platform', scope, subject, issuer: config.auth.issuer, audience: config.auth.audience });

function manifest(overrides: Partial<ManifestPayload> = {}): ManifestPayload {
  return {
    channel: 'stable',
    version: 1,
    expires_at: '2026-12-15T00:00:00Z',
    min_client_version: '3.0.0',
    artifacts: [{ name: 'models/upsell.onnx', version: '2026.11.3', sha256: 'a'.repeat(64), size: 18_345_112, uri: 'https://models.example/upsell.onnx' }],
    ...overrides,
  };
}

async function sign(base: string, body: unknown, bearer?: string) {
  const res = await fetch(`${base}/v1/manifests:sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer ?? (await token('manifest.sign'))}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

async function publicKeys(base: string) {
  const res = await fetch(`${base}/v1/public-keys`);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: Array<{ keyid: string; pem: string; primary: boolean; key_version: string }> };
}

async function rows() {
  const { rows } = await db.pool.query('SELECT channel, version, keyid, key_version, requested_by, requested_by_tenant, request_token_id, payload_sha256 FROM manifests ORDER BY version');
  return rows as Array<Record<string, unknown>>;
}

describe.each([
  { mode: 'local key ring', url: () => localUrl },
  { mode: 'Cloud KMS (gRPC fake)', url: () => kmsUrl },
])('manifest signer with the $mode', ({ url }) => {
  it('signs a manifest: { payload, signatures } that verifies with GET /v1/public-keys, stored with who asked and which key', async () => {
    const res = await sign(url(), manifest());
    expect(res.status).toBe(200);
    const body = res.body as { payload: ManifestPayload; signatures: Array<{ keyid: string; alg: string; sig: string }> };
    expect(body.payload).toEqual(manifest());
    expect(body.signatures).toEqual([{ keyid: expect.stringMatching(/^[0-9a-f]{64}$/), alg: 'RSASSA-PSS-SHA256', sig: expect.any(String) }]);

    const keys = await publicKeys(url());
    const primary = keys.keys.find((k) => k.primary)!;
    expect(primary.keyid).toBe(body.signatures[0]!.keyid);
    expect(verifyManifest(body, { keys: parseTrustedKeys(JSON.stringify(keys)), now: new Date(NOW) }).keyid).toBe(primary.keyid);

    expect(await rows()).toEqual([
      {
        channel: 'stable',
        version: 1,
        keyid: primary.keyid,
        key_version: primary.key_version,
        requested_by: 'release-pipeline@ci',
        requested_by_tenant: 'platform',
        request_token_id: expect.any(String),
        payload_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });

  it('refuses a version not above the last one signed (same or lower) with 409 version_not_increasing', async () => {
    expect((await sign(url(), manifest({ version: 5 }))).status).toBe(200);
    for (const version of [5, 4]) {
      const res = await sign(url(), manifest({ version }));
      expect(res.status).toBe(409);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'version_not_increasing', channel: 'stable', last_version: 5 });
    }
    // Channels are independent.
    expect((await sign(url(), manifest({ channel: 'beta', version: 1 }))).status).toBe(200);
    expect((await rows()).map((r) => [r.channel, r.version])).toEqual([['beta', 1], ['stable', 5]]);
  });
});

describe('manifest signer: requests', () => {
  it('of two concurrent requests for one channel and version exactly one wins; the loser gets 409 and nothing is stored twice', async () => {
    const bearer = await token('manifest.sign');
    const results = await Promise.all(Array.from({ length: 6 }, () => sign(localUrl, manifest({ version: 3 }), bearer)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect((await rows()).map((r) => r.version)).toEqual([3]);
  });

  it('concurrent increasing versions never leave the channel below a version it signed', async () => {
    const bearer = await token('manifest.sign');
    const results = await Promise.all([4, 5, 6, 7].map((version) => sign(localUrl, manifest({ version }), bearer)));
    const won = results.filter((r) => r.status === 200).map((r) => (r.body.payload as ManifestPayload).version);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(won).toContain(7);
    const { rows: channel } = await db.pool.query('SELECT last_version FROM manifest_channels WHERE channel = $1', ['stable']);
    expect(channel[0]).toEqual({ last_version: 7 });
    expect((await rows()).map((r) => r.version)).toEqual(won.sort((a, b) => a - b));
  });

  it('a KMS answer that fails an integrity check is a 502 kms_integrity_check_failed that consumes no version', async () => {
    fake.corrupt({ signatureCrc32c: true });
    const refused = await sign(kmsUrl, manifest({ version: 9 }));
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ code: 'kms_integrity_check_failed' });
    expect(refused.body).not.toHaveProperty('signatures');
    expect(await rows()).toEqual([]);
    fake.corrupt({});
    expect((await sign(kmsUrl, manifest({ version: 9 }))).status).toBe(200);
  });

  it('a disabled KMS primary is a 503 signing_key_disabled; KMS down is a 503 kms_unavailable with Retry-After', async () => {
    fake.setState(`${KMS_KEY}/cryptoKeyVersions/2`, 'DISABLED');
    try {
      expect((await sign(kmsUrl, manifest())).body).toMatchObject({ status: 503, code: 'signing_key_disabled' });
    } finally {
      fake.setState(`${KMS_KEY}/cryptoKeyVersions/2`, 'ENABLED');
    }
    fake.failNext(1, grpc.status.UNAVAILABLE);
    const res = await fetch(`${kmsUrl}/v1/manifests:sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('manifest.sign')}` },
      body: JSON.stringify(manifest()),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ code: 'kms_unavailable' });
    expect(await rows()).toEqual([]);
  });

  it('GET /v1/public-keys lists every enabled KMS version by keyid, the primary marked; KMS down is a 503', async () => {
    const keys = await publicKeys(kmsUrl);
    expect(keys.keys.map((k) => [k.key_version, k.primary])).toEqual([
      [`${KMS_KEY}/cryptoKeyVersions/1`, false],
      [`${KMS_KEY}/cryptoKeyVersions/2`, true],
    ]);
    fake.failNext(1, grpc.status.UNAVAILABLE);
    const res = await fetch(`${kmsUrl}/v1/public-keys`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'kms_unavailable' });
    fake.corrupt({ pemCrc32c: true });
    const corrupted = await fetch(`${kmsUrl}/v1/public-keys`);
    expect(corrupted.status).toBe(502);
    expect(await corrupted.json()).toMatchObject({ code: 'kms_integrity_check_failed' });
  });

  it.each([
    { name: 'no token', bearer: '', status: 401, code: 'token_missing' },
    { name: 'a token without manifest.sign (platform.admin is not enough)', scope: 'platform.admin ai.admin', status: 403, code: 'insufficient_scope' },
  ])('refuses $name', async ({ bearer, scope, status, code }) => {
    const res = await fetch(`${localUrl}/v1/manifests:sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer === '' ? {} : { authorization: `Bearer ${await token(scope ?? '')}` }) },
      body: JSON.stringify(manifest()),
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code });
    expect(await rows()).toEqual([]);
  });

  it.each([
    { name: 'an unknown field', body: { ...manifest(), extra: 1 }, status: 400, code: 'invalid_input' },
    { name: 'a missing artifacts list', body: { ...manifest(), artifacts: undefined }, status: 400, code: 'invalid_input' },
    { name: 'a string version', body: { ...manifest(), version: '2' }, status: 400, code: 'invalid_input' },
    { name: 'an expiry in the past', body: manifest({ expires_at: '2026-12-01T11:00:00Z' }), status: 422, code: 'expiry_out_of_range' },
    { name: 'an expiry beyond the configured maximum (30 days)', body: manifest({ expires_at: '2027-02-01T00:00:00Z' }), status: 422, code: 'expiry_out_of_range' },
  ])('refuses $name with $status $code', async ({ body, status, code }) => {
    const res = await sign(localUrl, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code });
    expect(await rows()).toEqual([]);
  });

  it('refuses a body that is not JSON (400 malformed_json) or not application/json (415)', async () => {
    const bearer = `Bearer ${await token('manifest.sign')}`;
    const malformed = await fetch(`${localUrl}/v1/manifests:sign`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer }, body: '{"channel":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'malformed_json' });
    const text = await fetch(`${localUrl}/v1/manifests:sign`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: bearer }, body: 'x' });
    expect(text.status).toBe(415);
  });

  it('/healthz answers 200; unknown routes 404 problem+json', async () => {
    expect((await fetch(`${localUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${localUrl}/v1/manifests:other`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('local key ring', () => {
  it('rotates: a new primary version signs, both enabled versions are published; a disabled one is not', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'signing-ring-'));
    try {
      const first = await openLocalKeyRing({ dataDir: dir, modulusLength: 2048 });
      const [v1] = await first.publicKeys();
      await writeFile(path.join(dir, 'signing', 'keyring.json'), JSON.stringify({ primary: 2, versions: [{ version: 1, state: 'ENABLED' }, { version: 2, state: 'ENABLED' }] }));
      const rotated = await openLocalKeyRing({ dataDir: dir, modulusLength: 2048 });
      const keys = await rotated.publicKeys();
      expect(keys.map((k) => [k.key_version, k.primary])).toEqual([['local:1', false], ['local:2', true]]);
      expect(keys[0]!.keyid).toBe(v1!.keyid);
      expect((await rotated.sign(Buffer.from('x'))).keyVersion).toBe('local:2');

      await writeFile(path.join(dir, 'signing', 'keyring.json'), JSON.stringify({ primary: 2, versions: [{ version: 1, state: 'DISABLED' }, { version: 2, state: 'ENABLED' }] }));
      expect((await (await openLocalKeyRing({ dataDir: dir, modulusLength: 2048 })).publicKeys()).map((k) => k.key_version)).toEqual(['local:2']);

      await writeFile(path.join(dir, 'signing', 'keyring.json'), JSON.stringify({ primary: 2, versions: [{ version: 2, state: 'DISABLED' }] }));
      const err = (await openLocalKeyRing({ dataDir: dir }).catch((e: unknown) => e)) as SigningError;
      expect(err.kind).toBe('key_disabled');
      expect(err.message).toContain('local:2 is DISABLED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('config: KMS needs a primary version, and staging/prod need KMS', () => {
    expect(() => checkSignerConfig(loadConfig({ env: { APP_ENV: 'test', SIGNER_KMS_KEY: KMS_KEY } }))).toThrow(/SIGNER_KMS_PRIMARY_VERSION is required/);
    // The rest of a prod config is checked by loadConfig; only the signer's own rule is under test here.
    const prod = { ...config, appEnv: 'prod' as const };
    expect(() => checkSignerConfig(prod)).toThrow(/SIGNER_KMS_KEY is required when APP_ENV=prod/);
    expect(() => checkSignerConfig(loadConfig({ env: { APP_ENV: 'test', SIGNER_KMS_KEY: KMS_KEY, SIGNER_KMS_PRIMARY_VERSION: '3' } }))).not.toThrow();
  });
});
