import type { Queryable } from '../db/index.js';
import type { Logger } from '../telemetry/index.js';
import { GLOBAL_TENANT } from './store.js';

/**
 * Feature flags read from Postgres every refreshMs (30 s by default, config.routing.flagsRefreshSeconds)
 * and answered from memory on the request path. A tenant's row overrides the global ('*') one.
 * Keys in use: `provider:<name>` and `capability:<key>` (enabled=false turns them off),
 * `rate_limits` (value `{ requestsPerMinute?, tokensPerMinute? }`).
 */
export interface FlagReader {
  isEnabled(key: string, tenantId: string, fallback?: boolean): boolean;
  valueOf(key: string, tenantId: string): unknown;
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
}

interface Flag {
  enabled: boolean;
  value: unknown;
}

export function createFlagReader(opts: { db: Queryable; refreshMs: number; logger: Logger }): FlagReader {
  let flags = new Map<string, Flag>();
  let timer: NodeJS.Timeout | undefined;
  const lookup = (key: string, tenantId: string): Flag | undefined => flags.get(`${key}\u0000${tenantId}`) ?? flags.get(`${key}\u0000${GLOBAL_TENANT}`);

  const refresh = async (): Promise<void> => {
    const { rows } = await opts.db.query<{ flag_key: string; tenant_id: string; enabled: boolean; value: unknown }>(
      'SELECT flag_key, tenant_id, enabled, value FROM feature_flags',
    );
    flags = new Map(rows.map((r) => [`${r.flag_key}\u0000${r.tenant_id}`, { enabled: r.enabled, value: r.value }]));
  };

  return {
    isEnabled: (key, tenantId, fallback = true) => lookup(key, tenantId)?.enabled ?? fallback,
    valueOf: (key, tenantId) => lookup(key, tenantId)?.value ?? undefined,
    refresh,
    start() {
      timer = setInterval(() => {
        // Keep serving the last flags read when Postgres is briefly unreachable.
        refresh().catch((err: unknown) => opts.logger.warn({ err }, 'feature flags: refresh failed; keeping the last ones read'));
      }, opts.refreshMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
