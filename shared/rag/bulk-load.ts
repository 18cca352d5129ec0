import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool } from '../db/index.js';
import { attachPartition, hasTenantPartition, lockTenantPartition, partitionNameOf } from './partitions.js';
import { insertChunks, vectorTypeOid, type ChunkRow } from './store.js';

/**
 * A tenant's first big ingest. Inserting into a live HNSW graph is nearly all of an ingest's database work
 * (20,000 chunks: 45.8 s on one backend with the index, 0.8 s without), and building the graph once over
 * loaded rows is several times cheaper. So the chunks go into a staging table without indexes, the indexes
 * are built once, and the table is attached as the tenant's partition together with its documents, in one
 * transaction: searches see none of the tenant's documents, then all of them. Only for a tenant with no
 * partition and no documents yet (nothing of it is searchable, so nothing goes stale during the load).
 */
export interface BulkLoad {
  /** Stages a document and its chunks (visible to nobody until attach). */
  add(doc: { corpus: string; sourceUri: string; title: string; contentHash: string; pipeline: string }, chunks: readonly ChunkRow[]): Promise<void>;
  /** Builds the indexes, then attaches the staged chunks as the tenant's partition with their documents. */
  attach(): Promise<void>;
  /** Drops the staging table: a failed or aborted load leaves nothing behind. */
  discard(): Promise<void>;
}

export interface BulkLoadOptions {
  /** maintenance_work_mem for the index builds, in MB: the HNSW build is fast while its graph fits in it. */
  maintenanceWorkMemMb: number;
}

/** Whether a load for the tenant can be a bulk load: it has no chunks partition and no documents. */
export async function canBulkLoad(pool: Pool, tenantId: string): Promise<boolean> {
  if (await hasTenantPartition(pool, tenantId)) return false;
  const { rows } = await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM rag_documents WHERE tenant_id = $1) AS any', [tenantId]);
  return !rows[0]!.any;
}

/** The staging table of a tenant's bulk load; a leftover of a crashed load is dropped when the next one starts. */
export function stagingTableOf(tenantId: string): string {
  return partitionNameOf(tenantId).replace('rag_chunks_t_', 'rag_chunks_s_');
}

export async function startBulkLoad(pool: Pool, tenantId: string, opts: BulkLoadOptions): Promise<BulkLoad> {
  const staging = stagingTableOf(tenantId);
  await pool.query(`DROP TABLE IF EXISTS ${staging}`);
  await pool.query(`CREATE TABLE ${staging} (LIKE rag_chunks INCLUDING DEFAULTS) WITH (toast_tuple_target = 8160)`);
  const documents: Array<{ id: string; corpus: string; sourceUri: string; title: string; contentHash: string; pipeline: string; chunkCount: number }> = [];

  return {
    async add(doc, chunks) {
      const id = randomUUID();
      await insertChunks(pool, staging, id, { tenantId, corpus: doc.corpus }, chunks, await vectorTypeOid(pool));
      documents.push(Object.assign({ id }, doc, { chunkCount: chunks.length }));
    },

    async attach() {
      // rag_chunks' own indexes, built on the staging table: ATTACH then adopts them instead of building its
      // own. An index behind a constraint (the primary key) is adopted only as that constraint.
      const { rows: indexes } = await pool.query<{ def: string; constraint_def: string | null }>(
        `SELECT pg_get_indexdef(i.indexrelid) AS def, pg_get_constraintdef(c.oid) AS constraint_def
           FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
          WHERE i.indrelid = 'rag_chunks'::regclass`,
      );
      await withTransaction(pool, async (tx) => {
        await tx.query(`SELECT set_config('maintenance_work_mem', $1, true)`, [`${opts.maintenanceWorkMemMb}MB`]);
        for (const { def, constraint_def } of indexes) {
          await tx.query(constraint_def ? `ALTER TABLE ${staging} ADD ${constraint_def}` : def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ /, `CREATE $1INDEX ON ${staging} `));
        }
        await tx.query(`ANALYZE ${staging}`);
      });
      await withTransaction(pool, async (tx) => {
        await lockTenantPartition(tx, tenantId);
        if (await hasTenantPartition(tx, tenantId)) throw new Error(`the tenant ${tenantId} got its chunks partition during the bulk load (a concurrent ingest?); run again: the next run writes incrementally`);
        await tx.query(
          `INSERT INTO rag_documents (id, tenant_id, corpus, source_uri, title, content_hash, pipeline, chunk_count)
           SELECT u.id, $1, u.corpus, u.source_uri, u.title, u.content_hash, u.pipeline, u.chunk_count
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
               AS u(id, corpus, source_uri, title, content_hash, pipeline, chunk_count)`,
          [
            tenantId,
            documents.map((d) => d.id),
            documents.map((d) => d.corpus),
            documents.map((d) => d.sourceUri),
            documents.map((d) => d.title),
            documents.map((d) => d.contentHash),
            documents.map((d) => d.pipeline),
            documents.map((d) => d.chunkCount),
          ],
        );
        await attachPartition(tx, staging, tenantId);
        await tx.query(`ALTER TABLE ${staging} RENAME TO ${partitionNameOf(tenantId)}`);
      });
    },

    async discard() {
      await pool.query(`DROP TABLE IF EXISTS ${staging}`);
    },
  };
}
