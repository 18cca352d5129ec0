import type { Config } from '../config/index.js';
import type { Pool } from '../db/index.js';
import type { EmbeddingProvider } from '../providers/port.js';
import type { Logger } from '../telemetry/index.js';
import { hybridSearch, prepareVectorSearch, type SearchHit, type VectorFeatures } from './search.js';

export interface RetrieveRequest {
  tenantId: string;
  query: string;
  topK: number;
  /** Default: the configured corpora (`rag.corpora`). */
  corpora?: readonly string[];
  signal?: AbortSignal;
}

/** The RAG port the orchestrator uses: the top chunks of a tenant's corpora for a question. */
export interface Retriever {
  retrieve(req: RetrieveRequest): Promise<SearchHit[]>;
}

/**
 * Embeds the question with the same embedder the ingestor used, then runs the hybrid search. What the
 * server's pgvector supports is read once; without iterative index scans (pgvector < 0.8) the search
 * widens ef_search instead, and says so once in the log.
 */
export function createRetriever(opts: { pool: Pool; embedder: EmbeddingProvider; settings: Config['rag']; logger?: Logger }): Retriever {
  let features: Promise<VectorFeatures> | undefined;
  const featuresOnce = () => {
    features ??= prepareVectorSearch(opts.pool, opts.settings).then(
      (f) => {
        if (!f.iterativeScan) opts.logger?.warn({ pgvector: f.version }, 'pgvector < 0.8: no iterative HNSW scans; filtered searches use a wider ef_search instead');
        return f;
      },
      (err: unknown) => {
        features = undefined;
        throw err;
      },
    );
    return features;
  };
  return {
    async retrieve(req) {
      const { vectors } = await opts.embedder.embed([req.query], { taskType: 'RETRIEVAL_QUERY', ...(req.signal ? { signal: req.signal } : {}) });
      const vector = vectors[0];
      if (!vector) throw new Error('the embedder returned no vector for the query');
      return hybridSearch(opts.pool, await featuresOnce(), opts.settings, {
        tenantId: req.tenantId,
        corpora: req.corpora ?? opts.settings.corpora,
        text: req.query,
        vector,
        topK: req.topK,
      });
    },
  };
}
