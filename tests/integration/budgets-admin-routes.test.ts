import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, mintDevToken, authenticate, type JwtVerifier } from '../../shared/auth/index.js';
import { createMemoryKeyValue, type MemoryKeyValue } from '../../shared/cache/index.js';
import { createBudgetGate, type BudgetDeps } from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { createHttpApp, listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { adminBudgetRoutes } from '../../services/orchestrator/routes/admin-budgets.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const CAPABILITY = 'support.policy_answer';
const defaults = config.tenantDefaults.budgets;
const defaultOf = (period: string) => defaults.find((b) => b.period === period && b.capability === null)!.limitMicros;

let db: TestDatabase;
let kv: MemoryKeyValue;
let deps: BudgetDeps;
let dataDir: string;
let verifier: JwtVerifier;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  db = await testDatabase({ poolMax: 5 });
  kv = createMemoryKeyValue();
  deps = { kv, pool: db.pool, config: { prices: config.prices, tenantDefaults: config.tenantDefaults } };
  dataDir = await mkdtemp(path.join(tmpdir(), 'budgets-admin-'));
  const logger = createLogger({ level: 'silent' });
  verifier = await createJwtVerifier({ auth: config.auth, dataDir, appEnv: 'test', logger });
  const app = createHttpApp({ logger, metrics: createMetrics({ defaultMetrics: false }), bodyLimitBytes: config.http.bodyLimitBytes });
  app.addHook('onRequest', authenticate(verifier));
  adminBudgetRoutes(app, { budgets: deps, capabilities: config.capabilities });
  let port: number;
  ({ server, port } = await listenHttp(app, 0, '127.0.0.1'));
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server?.close();
  verifier?.close();
  await kv?.close();
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const token = (tenant: string, scope: string) =>
  mintDevToken({ dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience, subject: 'admin-user' });

async function request(method: 'GET' | 'PUT', tenant: string, bearer: string, body?: unknown) {
  const res = await fetch(`${baseUrl}/admin/tenants/${tenant}/budgets`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

interface Budget {
  period: string;
  capability: string | null;
  limit_micros: number;
  spent_micros: number;
  reserved_micros: number;
  period_start: string;
  period_end: string;
}

const budgetsOf = (body: Record<string, unknown>) => body.budgets as Budget[];
const find = (list: Budget[], period: string, capability: string | null) => list.find((b) => b.period === period && b.capability === capability);

describe('GET/PUT /admin/tenants/:id/budgets', () => {
  it('lists the default budgets of a tenant that set none, with the current periods', async () => {
    const tenant = `t-${randomUUID()}`;
    const res = await request('GET', tenant, await token(tenant, 'ai.admin'));
    expect(res.status).toBe(200);
    const day = new Date();
    const dayStart = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
    expect(budgetsOf(res.body)).toEqual([
      {
        period: 'daily',
        capability: null,
        limit_micros: defaultOf('daily'),
        spent_micros: 0,
        reserved_micros: 0,
        period_start: dayStart.toISOString(),
        period_end: new Date(dayStart.getTime() + 86_400_000).toISOString(),
      },
      expect.objectContaining({ period: 'monthly', capability: null, limit_micros: defaultOf('monthly'), spent_micros: 0, reserved_micros: 0 }),
    ]);
  });

  it('PUT sets the listed limits, leaves the other periods alone, and admission uses them at once', async () => {
    const tenant = `t-${randomUUID()}`;
    const bearer = await token(tenant, 'ai.admin');
    const gate = createBudgetGate(deps);
    const held = await gate.reserve({ tenantId: tenant, capability: CAPABILITY, estimateMicros: 3_000 });

    const put = await request('PUT', tenant, bearer, {
      budgets: [
        { period: 'daily', capability: null, limit_micros: 5_000 },
        { period: 'monthly', capability: CAPABILITY, limit_micros: 7_000 },
      ],
    });
    expect(put.status).toBe(200);
    const list = budgetsOf(put.body);
    expect(list.map((b) => [b.period, b.capability, b.limit_micros])).toEqual([
      ['daily', null, 5_000],
      ['monthly', null, defaultOf('monthly')],
      ['monthly', CAPABILITY, 7_000],
    ]);
    expect(find(list, 'daily', null)?.reserved_micros).toBe(3_000);
    expect(find(list, 'monthly', CAPABILITY)?.reserved_micros).toBe(3_000);

    // 3,000 reserved of the new 5,000: a call of 2,001 no longer fits, one of 2,000 does.
    await expect(gate.reserve({ tenantId: tenant, capability: CAPABILITY, estimateMicros: 2_001 })).rejects.toMatchObject({ code: 'budget_exhausted' });
    const fits = await gate.reserve({ tenantId: tenant, capability: CAPABILITY, estimateMicros: 2_000 });
    await gate.release(held, 0);
    await gate.release(fits, 0);

    const again = await request('PUT', tenant, bearer, { budgets: [{ period: 'daily', capability: null, limit_micros: 9_000 }] });
    expect(budgetsOf(again.body).map((b) => [b.period, b.capability, b.limit_micros])).toEqual([
      ['daily', null, 9_000],
      ['monthly', null, defaultOf('monthly')],
      ['monthly', CAPABILITY, 7_000],
    ]);
    expect(budgetsOf((await request('GET', tenant, bearer)).body)).toEqual(budgetsOf(again.body));
  });

  it('keeps ai.admin to its own tenant (403 tenant_forbidden) and lets platform.admin act on any', async () => {
    const mine = `t-${randomUUID()}`;
    const other = `t-${randomUUID()}`;
    const admin = await token(mine, 'ai.admin');
    for (const method of ['GET', 'PUT'] as const) {
      const res = await request(method, other, admin, method === 'PUT' ? { budgets: [{ period: 'daily', capability: null, limit_micros: 1 }] } : undefined);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('tenant_forbidden');
    }
    expect(find(budgetsOf((await request('GET', other, await token(mine, 'platform.admin'))).body), 'daily', null)?.limit_micros).toBe(defaultOf('daily'));

    const platform = await token(mine, 'platform.admin');
    const put = await request('PUT', other, platform, { budgets: [{ period: 'daily', capability: null, limit_micros: 42 }] });
    expect(put.status).toBe(200);
    expect(find(budgetsOf((await request('GET', other, platform)).body), 'daily', null)?.limit_micros).toBe(42);
    // ...and the other tenant's change did not touch the caller's own budgets
    expect(find(budgetsOf((await request('GET', mine, admin)).body), 'daily', null)?.limit_micros).toBe(defaultOf('daily'));
  });

  it('needs an admin scope (403 insufficient_scope) and a token (401)', async () => {
    const tenant = `t-${randomUUID()}`;
    const res = await request('GET', tenant, await token(tenant, 'ai.invoke'));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    const anonymous = await fetch(`${baseUrl}/admin/tenants/${tenant}/budgets`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses invalid bodies with 400 invalid_input and changes nothing', async () => {
    const tenant = `t-${randomUUID()}`;
    const bearer = await token(tenant, 'ai.admin');
    const invalid: unknown[] = [
      {},
      { budgets: [] },
      { budgets: [{ period: 'weekly', capability: null, limit_micros: 1 }] },
      { budgets: [{ period: 'daily', capability: null, limit_micros: -1 }] },
      { budgets: [{ period: 'daily', capability: null, limit_micros: 1.5 }] },
      { budgets: [{ period: 'daily', limit_micros: 1 }] },
      { budgets: [{ period: 'daily', capability: null, limit_micros: 1, extra: true }] },
      { budgets: [{ period: 'daily', capability: 'no.such_capability', limit_micros: 1 }] },
      { budgets: [{ period: 'daily', capability: null, limit_micros: 1 }, { period: 'daily', capability: null, limit_micros: 2 }] },
    ];
    for (const body of invalid) {
      const res = await request('PUT', tenant, bearer, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('invalid_input');
    }
    expect(find(budgetsOf((await request('GET', tenant, bearer)).body), 'daily', null)?.limit_micros).toBe(defaultOf('daily'));
  });
});
