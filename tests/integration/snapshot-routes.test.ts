import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, createJwtVerifier, mintDevToken, type JwtVerifier } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { createHttpApp, listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { createGcsSnapshotUrls, createLocalSnapshotUrls, type SnapshotServing } from '../../shared/snapshots/index.js';
import { snapshotRoutes } from '../../services/orchestrator/routes/snapshots.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const ACME_BYTES = randomBytes(4096);
const GLOBEX_BYTES = randomBytes(100);

let dataDir: string;
let verifier: JwtVerifier;
let clock = Date.now();
const servers: Server[] = [];

async function serve(serving: SnapshotServing | undefined): Promise<string> {
  const app = createHttpApp({ logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), bodyLimitBytes: config.http.bodyLimitBytes });
  const verify = authenticate(verifier);
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v1/')) await verify(request);
  });
  snapshotRoutes(app, { serving, now: () => clock });
  const { server, port } = await listenHttp(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${port}`;
}

let local: string;
let gcs: string;
let unconfigured: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'snapshots-'));
  await mkdir(path.join(dataDir, 'snapshots', 'acme'), { recursive: true });
  await mkdir(path.join(dataDir, 'snapshots', 'globex'), { recursive: true });
  await writeFile(path.join(dataDir, 'snapshots', 'acme', 'latest.db'), ACME_BYTES);
  await writeFile(path.join(dataDir, 'snapshots', 'globex', 'latest.db'), GLOBEX_BYTES);
  verifier = await createJwtVerifier({ auth: config.auth, dataDir, appEnv: 'test', logger: createLogger({ level: 'silent' }) });
  const key = randomBytes(32);
  local = await serve({ urls: createLocalSnapshotUrls({ key, ttlSeconds: 3600, now: () => clock }), local: { key, dataDir } });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const storage = new Storage({
    projectId: 'test-project',
    credentials: { client_email: 'snapshots@test-project.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  gcs = await serve({ urls: await createGcsSnapshotUrls({ bucket: 'melmastoon-snapshots', objectPrefix: config.snapshots.objectPrefix, ttlSeconds: config.snapshots.urlTtlSeconds, storage }) });
  unconfigured = await serve(undefined);
});

afterAll(async () => {
  for (const server of servers) server.close();
  verifier?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const token = (tenant: string, scope = 'ai.invoke') => mintDevToken({ dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience });

async function askUrl(base: string, tenantInPath: string, name: string, bearer?: string) {
  const res = await fetch(`${base}/v1/tenants/${tenantInPath}/snapshots/${name}/url`, { headers: { authorization: `Bearer ${bearer ?? (await token(tenantInPath))}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

async function download(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('snapshot URLs, embedded (HMAC-signed, served by the orchestrator)', () => {
  it("gives the caller a one-hour URL of its own tenant's snapshot, which downloads the file", async () => {
    clock = Date.now();
    const res = await askUrl(local, 'acme', 'latest.db');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenant: 'acme', snapshot: 'latest.db', expires_at: new Date((Math.floor(clock / 1000) + 3600) * 1000).toISOString() });
    const url = new URL(res.body.url as string);
    expect(url.pathname).toBe('/snapshot-files/acme/latest.db');
    const file = await download(url.toString());
    expect(file.status).toBe(200);
    expect(file.type).toBe('application/octet-stream');
    expect(file.bytes.equals(ACME_BYTES)).toBe(true);
  });

  it("refuses a URL for another tenant's snapshot, whatever the token's scopes (403 tenant_forbidden)", async () => {
    for (const scope of ['ai.invoke', 'ai.invoke platform.admin']) {
      const res = await askUrl(local, 'globex', 'latest.db', await token('acme', scope));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'tenant_forbidden' });
    }
  });

  it('refuses a token without ai.invoke (403 insufficient_scope) and no token (401)', async () => {
    expect((await askUrl(local, 'acme', 'latest.db', await token('acme', 'ai.admin'))).body).toMatchObject({ status: 403, code: 'insufficient_scope' });
    const res = await fetch(`${local}/v1/tenants/acme/snapshots/latest.db/url`);
    expect(res.status).toBe(401);
  });

  it.each(['..%2Fglobex%2Flatest.db', '.hidden', 'a%20b.db'])('refuses the name %s (400 invalid_input)', async (name) => {
    const res = await askUrl(local, 'acme', name, await token('acme'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_input' });
  });

  it('answers 404 snapshot_not_found for a snapshot the tenant does not have', async () => {
    expect((await askUrl(local, 'acme', 'missing.db')).body).toMatchObject({ status: 404, code: 'snapshot_not_found' });
  });

  it('refuses an expired URL (403 signed_url_expired)', async () => {
    clock = Date.now();
    const { body } = await askUrl(local, 'acme', 'latest.db');
    clock += 3600_000;
    try {
      const res = await fetch(body.url as string);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'signed_url_expired' });
    } finally {
      clock = Date.now();
    }
  });

  it.each([
    { name: 'pointed at another tenant', alter: (u: URL) => void (u.pathname = '/snapshot-files/globex/latest.db') },
    { name: 'with a later expiry', alter: (u: URL) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 86_400)) },
    { name: 'with a changed signature', alter: (u: URL) => u.searchParams.set('signature', `${u.searchParams.get('signature')!.slice(0, -2)}AA`) },
    { name: 'without its signature', alter: (u: URL) => u.searchParams.delete('signature') },
  ])('refuses a URL $name (403 signed_url_invalid)', async ({ alter }) => {
    const { body } = await askUrl(local, 'acme', 'latest.db');
    const url = new URL(body.url as string);
    alter(url);
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'signed_url_invalid' });
  });
});

describe('snapshot URLs with a bucket (V4 signed URLs of @google-cloud/storage)', () => {
  it("signs a one-hour read URL of the object under the caller's tenant prefix", async () => {
    const res = await askUrl(gcs, 'acme', 'latest.db');
    expect(res.status).toBe(200);
    const url = new URL(res.body.url as string);
    expect(url.origin).toBe('https://storage.googleapis.com');
    expect(url.pathname).toBe('/melmastoon-snapshots/tenants/acme/snapshots/latest.db');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]+$/);
  });

  it("still refuses another tenant's snapshot, and serves no local files", async () => {
    expect((await askUrl(gcs, 'globex', 'latest.db', await token('acme'))).body).toMatchObject({ status: 403, code: 'tenant_forbidden' });
    expect((await fetch(`${gcs}/snapshot-files/acme/latest.db`)).status).toBe(404);
  });
});

it('without a bucket in production the route answers 503 snapshots_not_configured', async () => {
  expect((await askUrl(unconfigured, 'acme', 'latest.db')).body).toMatchObject({ status: 503, code: 'snapshots_not_configured' });
});
