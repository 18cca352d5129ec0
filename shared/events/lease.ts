import type { Queryable } from '../db/index.js';
import { statementParams, type Bind } from '../db/params.js';

/**
 * Takes or renews the named lease for holder, in one statement: it succeeds when the lease is free,
 * already ours, or expired. Times are the database's, so instances' clocks need not agree.
 */
export async function acquireLease(db: Queryable, name: string, holder: string, seconds: number): Promise<boolean> {
  const { params, bind } = statementParams();
  const { rows } = await db.query(takeLease(name, holder, seconds, bind), params);
  return rows.length === 1;
}

/**
 * acquireLease's statement, returning one row (the holder) when the lease is ours: a statement on its
 * own, or a data-modifying CTE of a statement that must act only while holding it (the outbox relay's select).
 */
export function takeLease(name: string, holder: string, seconds: number, bind: Bind): string {
  return `INSERT INTO outbox_relay_lease (name, holder, expires_at)
     VALUES (${bind(name)}, ${bind(holder)}, now() + ${bind(seconds)} * interval '1 second')
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE outbox_relay_lease.holder = EXCLUDED.holder OR outbox_relay_lease.expires_at < now()
     RETURNING holder`;
}

/** Gives the lease up (if held) so another instance takes over without waiting for it to expire. */
export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query('DELETE FROM outbox_relay_lease WHERE name = $1 AND holder = $2', [name, holder]);
}
