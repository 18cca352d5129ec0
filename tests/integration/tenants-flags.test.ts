import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantDirectory } from '../../shared/tenants/directory.js';
import { createFlagReader } from '../../shared/flags/reader.js';
import { upsertFlags } from '../../shared/flags/store.js';
import { createLogger } from '../../shared/telemetry/index.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

describe('tenant directory', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('creates a tenant seen for the first time with the default policy, once', async () => {
    const dir = createTenantDirectory({ db: db.pool, defaultAllowedProviders: ['vertex', 'deterministic'] });
    const [a, b] = await Promise.all([dir.policyFor('t-new'), dir.policyFor('t-new')]);
    expect([...a.allowedProviders]).toEqual(['vertex', 'deterministic']);
    expect(b).toBe(a);
    const { rows } = await db.pool.query(`SELECT tenant_id FROM tenants WHERE tenant_id = 't-new'`);
    expect(rows).toHaveLength(1);
  });

  it('a tenant row with its own residency policy wins over the default; invalidate re-reads it', async () => {
    let clock = 0;
    const dir = createTenantDirectory({ db: db.pool, defaultAllowedProviders: ['vertex', 'anthropic', 'openai', 'deterministic'], now: () => clock });
    await db.pool.query(`INSERT INTO tenants (tenant_id, allowed_providers) VALUES ('t-eu-only', ARRAY['vertex','deterministic'])`);
    expect([...(await dir.policyFor('t-eu-only')).allowedProviders]).toEqual(['vertex', 'deterministic']);
    await db.pool.query(`UPDATE tenants SET allowed_providers = ARRAY['deterministic'] WHERE tenant_id = 't-eu-only'`);
    expect([...(await dir.policyFor('t-eu-only')).allowedProviders]).toEqual(['vertex', 'deterministic']); // cached
    clock += 31_000;
    expect([...(await dir.policyFor('t-eu-only')).allowedProviders]).toEqual(['deterministic']);
  });
});

describe('feature flag reader', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('a tenant flag overrides the global one; unknown flags use the fallback; values are returned', async () => {
    const reader = createFlagReader({ db: db.pool, refreshMs: 30_000, logger: createLogger({ level: 'silent' }) });
    await upsertFlags(db.pool, [
      { key: 'provider:openai', tenant_id: '*', enabled: false },
      { key: 'provider:openai', tenant_id: 't-a', enabled: true },
      { key: 'rate_limits', tenant_id: 't-a', enabled: true, value: { requestsPerMinute: 5 } },
    ], 'test');
    expect(reader.isEnabled('provider:openai', 't-b')).toBe(true); // not read yet
    await reader.refresh();
    expect(reader.isEnabled('provider:openai', 't-b')).toBe(false);
    expect(reader.isEnabled('provider:openai', 't-a')).toBe(true);
    expect(reader.isEnabled('capability:x.y', 't-a')).toBe(true);
    expect(reader.isEnabled('capability:x.y', 't-a', false)).toBe(false);
    expect(reader.valueOf('rate_limits', 't-a')).toEqual({ requestsPerMinute: 5 });
    expect(reader.valueOf('rate_limits', 't-b')).toBeUndefined();
  });
});
