import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

/** The orchestrator as a process, embedded snapshots: a desktop asks for its URL, then downloads with it. */
describe('orchestrator snapshot URLs (embedded)', () => {
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  const bytes = randomBytes(64 * 1024);
  let db: TestDatabase;
  let svc: RunningService;
  let dataDir: string;

  beforeAll(async () => {
    db = await testDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'aiorch-snapshots-'));
    await mkdir(path.join(dataDir, 'snapshots', 'acme'), { recursive: true });
    await writeFile(path.join(dataDir, 'snapshots', 'acme', 'latest.db'), bytes);
    svc = await startService({ dataDir, env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '' } });
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const token = (tenant: string) => mintDevToken({ dataDir, tenant, scope: 'ai.invoke', issuer: config.auth.issuer, audience: config.auth.audience });

  it("downloads the tenant's snapshot through the URL it was given; another tenant gets 403", async () => {
    const res = await fetch(`${svc.url}/v1/tenants/acme/snapshots/latest.db/url`, { headers: { authorization: `Bearer ${await token('acme')}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; expires_at: string };
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const file = await fetch(body.url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);

    const other = await fetch(`${svc.url}/v1/tenants/acme/snapshots/latest.db/url`, { headers: { authorization: `Bearer ${await token('globex')}` } });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: 'tenant_forbidden' });
    const altered = await fetch(body.url.replace('/acme/', '/globex/'));
    expect(altered.status).toBe(403);
    expect(await altered.json()).toMatchObject({ code: 'signed_url_invalid' });
  });
});
