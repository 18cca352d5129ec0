import { createHash } from 'node:crypto';
import { withTransaction, type Pool, type Queryable } from '../db/index.js';

/**
 * rag_chunks is partitioned by tenant (migration 0009): one partition per tenant, named after a hash of
 * the tenant id so that any valid id gives a valid, fixed-length name. The migration names them the same way.
 */
export function partitionNameOf(tenantId: string): string {
  return `rag_chunks_t_${createHash('sha256').update(tenantId, 'utf8').digest('hex').slice(0, 16)}`;
}

/** Whether the tenant has its partition (and so whether it has ever had chunks). */
export async function hasTenantPartition(db: Queryable, tenantId: string): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'rag_chunks'::regclass AND inhrelid = to_regclass($1)) AS exists`,
    [partitionNameOf(tenantId)],
  );
  return rows[0]!.exists;
}

/**
 * Serialises everything that creates a tenant's partition (a first incremental write, a bulk load attaching
 * its table) for the rest of the transaction `tx` runs.
 */
export async function lockTenantPartition(tx: Queryable, tenantId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('rag_chunks partition ' || $1, 0))`, [tenantId]);
}

// Tenants whose partition this process has seen: one catalog lookup per tenant and pool, not per write.
const known = new WeakMap<Pool, Set<string>>();

/** Creates the tenant's partition unless it exists (safe against concurrent writers and bulk loads). */
export async function ensureTenantPartition(pool: Pool, tenantId: string): Promise<void> {
  const seen = known.get(pool) ?? new Set<string>();
  known.set(pool, seen);
  if (seen.has(tenantId)) return;
  await withTransaction(pool, async (tx) => {
    await lockTenantPartition(tx, tenantId);
    if (await hasTenantPartition(tx, tenantId)) return;
    // Created on its own, then attached: ATTACH PARTITION takes a lock that lets searches and other tenants'
    // writes go on (CREATE TABLE … PARTITION OF would wait for, and then block, every one of them).
    const name = partitionNameOf(tenantId);
    await tx.query(`CREATE TABLE ${name} (LIKE rag_chunks INCLUDING DEFAULTS) WITH (toast_tuple_target = 8160)`);
    await attachPartition(tx, name, tenantId);
  });
  seen.add(tenantId);
}

/**
 * Attaches `table` as the tenant's partition: rag_chunks' indexes that the table lacks are built, those it
 * has are adopted, and its rows are checked against the partition bound and the document foreign key.
 */
export async function attachPartition(tx: Queryable, table: string, tenantId: string): Promise<void> {
  // DDL takes no parameters: format() quotes the tenant id as a literal.
  const { rows } = await tx.query<{ ddl: string }>(`SELECT format('ALTER TABLE rag_chunks ATTACH PARTITION %I FOR VALUES IN (%L)', $1::text, $2::text) AS ddl`, [table, tenantId]);
  await tx.query(rows[0]!.ddl);
}
