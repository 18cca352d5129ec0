import type { Pool } from '../../shared/db/index.js';
import { pendingMigrations } from '../../shared/db/index.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

/** What /readyz asks: the database answers, no migration is pending, the JWKS is loaded. */
export function readinessChecks(opts: { pool: Pool; jwksLoaded: () => boolean; timeoutMs?: number }): Record<string, ReadinessCheck> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  let migrationsDone = false; // once applied, they stay applied for the life of this process
  return {
    database: async () => {
      await withTimeout(opts.pool.query('SELECT 1'), timeoutMs, 'database did not answer');
      return { ok: true };
    },
    migrations: async () => {
      if (migrationsDone) return { ok: true };
      const pending = await withTimeout(pendingMigrations(opts.pool), timeoutMs, 'migration state unreadable');
      migrationsDone = pending.length === 0;
      return migrationsDone ? { ok: true } : { ok: false, detail: `pending: ${pending.join(', ')} (run npm run job:migrate)` };
    },
    jwks: async () => (opts.jwksLoaded() ? { ok: true } : { ok: false, detail: 'JWKS not loaded yet' }),
  };
}

export async function runChecks(checks: Record<string, ReadinessCheck>): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        return [name, await check()] as const;
      } catch (err) {
        return [name, { ok: false, detail: (err as Error).message }] as const;
      }
    }),
  );
  const results = Object.fromEntries(entries);
  return { ok: entries.every(([, r]) => r.ok), checks: results };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
