/**
 * A tenant's policy corpus for the gateway bench, so that its retrieval scenarios search real chunks (HNSW and
 * full text over a corpus the size of one hotel group's policies) instead of an empty table, and questions
 * that look like guests' (words of that corpus, so some match every word and others take the full-text
 * fallback). Synthetic documents of bench/rag.ts, ingested by the rag-ingestor's own sync.
 */
import type { Config } from '../shared/config/index.js';
import { createPool } from '../shared/db/index.js';
import { createLocalHashingEmbedder } from '../shared/providers/embeddings/local-hashing.js';
import { ingest } from '../shared/rag/ingest.js';
import { prng, syntheticCorpus } from './rag.js';

const CHUNKS_PER_DOCUMENT = 50;
const SEED = 11;

/**
 * Syncs `tenantId`'s first corpus with `chunks` synthetic policy chunks (a second run finds them unchanged)
 * and refreshes the planner's statistics. Returns the chunks the tenant now holds. The embedder is the one
 * the orchestrator uses without a Google project (local hashing), so questions and chunks share a space.
 */
export async function ingestPolicyCorpus(url: string, config: Config, tenantId: string, chunks: number): Promise<number> {
  const pool = createPool({ url, max: 4, applicationName: 'bench-corpus' });
  try {
    const { source } = syntheticCorpus(Math.ceil(chunks / CHUNKS_PER_DOCUMENT), SEED);
    await ingest({
      pool,
      embedder: createLocalHashingEmbedder({ dimensions: config.providers.embeddings.dimensions }),
      source,
      tenantId,
      corpus: config.rag.corpora[0] ?? 'policies',
      chunking: config.rag.chunking,
      embedBatchSize: config.rag.ingest.embedBatchSize,
      concurrency: 2,
      bulkLoad: config.rag.ingest.bulkLoad,
    });
    await pool.query('ANALYZE rag_chunks');
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM rag_chunks WHERE tenant_id = $1', [tenantId]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await pool.end();
  }
}

/**
 * Questions of three words of the corpus, drawn from `seed` (give each run its own, so that its questions
 * are cache misses): ~1e8 combinations, and words as frequent as the corpus has them.
 */
export function policyQuestions(seed: number): () => string {
  const { sample } = syntheticCorpus(40, SEED);
  const words = sample.flatMap((paragraph) => paragraph.replace(/\.$/, '').split(' '));
  const random = prng(seed);
  const pick = () => words[Math.floor(random() * words.length)]!;
  return () => `What about ${pick()} ${pick()} ${pick()}?`;
}
