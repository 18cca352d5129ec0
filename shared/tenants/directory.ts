import type { Queryable } from '../db/index.js';
import type { ProviderName } from '../providers/port.js';

export interface TenantPolicy {
  tenantId: string;
  /** Residency: the providers this tenant's data may be sent to. */
  allowedProviders: ReadonlySet<ProviderName>;
}

export interface TenantDirectory {
  /** The tenant's policy; a tenant seen for the first time is created with the default policy. */
  policyFor(tenantId: string): Promise<TenantPolicy>;
  /** Forgets the cached policy (after an admin change). */
  invalidate(tenantId: string): void;
}

/** Policies are cached per process for ttlMs; a tenant row is inserted at most once per cache period. */
export function createTenantDirectory(opts: {
  db: Queryable;
  defaultAllowedProviders: readonly ProviderName[];
  ttlMs?: number;
  now?: () => number;
}): TenantDirectory {
  const ttlMs = opts.ttlMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { policy: Promise<TenantPolicy>; expires: number }>();

  const load = async (tenantId: string): Promise<TenantPolicy> => {
    const { rows } = await opts.db.query<{ allowed_providers: string[] | null }>(
      `WITH ins AS (
         INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING RETURNING allowed_providers
       )
       SELECT allowed_providers FROM ins
       UNION ALL
       SELECT allowed_providers FROM tenants WHERE tenant_id = $1
       LIMIT 1`,
      [tenantId],
    );
    const allowed = rows[0]?.allowed_providers ?? opts.defaultAllowedProviders;
    return { tenantId, allowedProviders: new Set(allowed as ProviderName[]) };
  };

  return {
    policyFor(tenantId) {
      const hit = cache.get(tenantId);
      if (hit && hit.expires > now()) return hit.policy;
      const policy = load(tenantId);
      cache.set(tenantId, { policy, expires: now() + ttlMs });
      policy.catch(() => cache.delete(tenantId));
      return policy;
    },
    invalidate(tenantId) {
      cache.delete(tenantId);
    },
  };
}
