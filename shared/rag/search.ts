import type { Pool } from '../db/index.js';
import { questionWords, toVectorBinary, toVectorLiteral, TS_CONFIG, TS_STEMMER, VECTOR_DIMENSIONS } from './vector.js';

export interface SearchSettings {
  /** Candidates taken from each list (vector, full text) before fusion. */
  candidates: number;
  /** hnsw.ef_search: the HNSW scan's candidate list; raised to `candidates` when lower. */
  efSearch: number;
}

export interface SearchQuery {
  tenantId: string;
  corpora: readonly string[];
  /** The question as text (full-text search) and as a vector (same embedder as the chunks). */
  text: string;
  vector: readonly number[];
  topK: number;
}

export interface SearchHit {
  chunkId: string;
  score: number;
  text: string;
  headingPath: string[];
  position: number;
  page: number | null;
  document: { id: string; sourceUri: string; title: string };
}

/** What the server's pgvector supports (0.8 added iterative index scans), and whether it is PGlite. */
export interface VectorFeatures {
  version: string;
  iterativeScan: boolean;
  /**
   * PGlite: every connection shares one session, so the HNSW settings are set once for the session
   * (`prepareVectorSearch`) and searches run without a transaction — concurrent transactions from several
   * connections only queue behind each other there.
   */
  sharedSession: boolean;
}

export async function vectorFeatures(pool: Pool): Promise<VectorFeatures> {
  const { rows } = await pool.query<{ v: string | null; server: string }>(`SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS v, version() AS server`);
  const version = rows[0]?.v ?? '0';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return { version, iterativeScan: major > 0 || minor >= 8, sharedSession: rows[0]?.server.includes('PGlite') ?? false };
}

/** Reads the features, and on a shared session (PGlite) sets the HNSW settings once for it. */
export async function prepareVectorSearch(pool: Pool, settings: SearchSettings): Promise<VectorFeatures> {
  const features = await vectorFeatures(pool);
  if (features.sharedSession) await pool.query(settingsSql(features), [String(efSearchOf(features, settings, settings.candidates))]);
  return features;
}

function efSearchOf(features: VectorFeatures, settings: SearchSettings, candidates: number): number {
  return Math.max(settings.efSearch, candidates, features.iterativeScan ? 0 : EF_WITHOUT_ITERATIVE_SCAN);
}

/**
 * The search's settings for the session they run in. Parallel workers are off: the planner plans a parallel
 * scan for the OR full-text fallback even when it will not run, and starting the workers alone cost ~200 ms
 * per search (measured, bench/rag.ts).
 */
function settingsSql(features: VectorFeatures): string {
  const settings = [`set_config('hnsw.ef_search', $1, false)`];
  if (features.iterativeScan) settings.push(`set_config('hnsw.iterative_scan', 'relaxed_order', false)`);
  settings.push(`set_config('max_parallel_workers_per_gather', '0', false)`);
  // The search runs as a named (prepared) statement. The generic plan Postgres switches to after five runs
  // cannot see the LIMIT or the tenant, and made it 35 times slower (p50 4.5 → 157 ms at 20,000 chunks,
  // bench/rag.ts). Custom plans keep the saved parse; they only concern named statements (unnamed ones are
  // always planned with their values).
  settings.push(`set_config('plan_cache_mode', 'force_custom_plan', false)`);
  // No JIT: the full-text fallback's plan is estimated expensive whenever a question holds a common word,
  // which crosses jit_above_cost, and Postgres then compiled the whole statement at every such search (~20 ms
  // of a 30 ms p95 at 100,000 chunks, bench/rag.ts) even when the fallback never ran.
  settings.push(`set_config('jit', 'off', false)`);
  return `SELECT ${settings.join(', ')}`;
}

// Without iterative scans, HNSW returns at most ef_search rows before the tenant filter applies: a wider
// candidate list is the only guard against a filter starving the results.
const EF_WITHOUT_ITERATIVE_SCAN = 400;

/**
 * The ORDER BY that walks the HNSW index: it is built on the embeddings as halfvec (half precision, see
 * migration 0008), so the query is cast the same way. The distance the results are ranked by stays the
 * full-precision one.
 */
export const HNSW_ORDER = `(embedding::halfvec(${VECTOR_DIMENSIONS})) <=> ($1::vector)::halfvec(${VECTOR_DIMENSIONS})`;

/**
 * k of reciprocal rank fusion (Cormack et al., 2009), which fuses the search's two lists: score = Σ 1 / (k +
 * rank) over the lists that found a chunk (1-based ranks). k damps the lead of a single list's top ranks.
 */
export const RRF_K = 60;

// Bump the suffix whenever the statement's text changes: a name is bound to its text for the session.
const HYBRID_SEARCH_STATEMENT = 'rag_hybrid_search_v5';

/** Matches per question word the full-text fallback ranks (see the any_word step of hybridSearch). */
export const ANY_WORD_PER_WORD = 50;

// Pooled connections that already carry the search settings for their session, with their ef_search (see hybridSearch).
const preparedEf = new WeakMap<object, number>();

/**
 * The hybrid search statement. Parameters: $1 the query vector (binary), $2 the tenant, $3 the corpora,
 * $4 candidates per list, $5 the question, $6 its words (questionWords), $7 the fusion's k (RRF_K), $8 the
 * hits to return (top K).
 */
export const HYBRID_SEARCH_SQL = `WITH nearest AS MATERIALIZED (
         SELECT id, embedding <=> $1::vector AS distance
           FROM rag_chunks
          WHERE tenant_id = $2 AND corpus = ANY($3::text[])
          ORDER BY ${HNSW_ORDER}
          LIMIT $4
       ), vector_hits AS (
         -- relaxed_order may return rows slightly out of order: rank them by their exact distance.
         SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM nearest
       ), all_words AS MATERIALIZED (
         -- Full text: the chunks holding every word of the question (precise, and cheap: posting lists
         -- intersect); only when none does, those holding any of its words (any_word).
         SELECT id, ts_rank_cd(tsv, query) AS score
           FROM rag_chunks, plainto_tsquery('${TS_CONFIG}', $5) AS query
          WHERE tenant_id = $2 AND corpus = ANY($3::text[]) AND tsv @@ query
          ORDER BY score DESC, id
          LIMIT $4
       ), any_word AS MATERIALIZED (
         -- Each word's first ${ANY_WORD_PER_WORD} matches, ranked together by the OR of the words. Ranking every
         -- chunk holding any word read and ranked most of a big corpus (a common word matches most chunks):
         -- p95 1.06 s at 100,000 chunks, against 43 ms capped (this SQL alone, bench/rag.ts corpus). A rare word keeps all its
         -- matches; a common one contributes a sample, and the vector half carries the meaning.
         SELECT c.id, ts_rank_cd(c.tsv, query) AS score
           FROM (SELECT DISTINCT m.id
                   FROM unnest($6::text[]) AS w(word)
                   CROSS JOIN LATERAL (
                     SELECT id FROM rag_chunks
                      WHERE tenant_id = $2 AND corpus = ANY($3::text[]) AND tsv @@ to_tsquery('${TS_CONFIG}', w.word)
                      LIMIT ${ANY_WORD_PER_WORD}) m
                  -- A stop word has no lexeme: to_tsquery would ignore it and send the client a NOTICE saying so,
                  -- one per stop word and search ("can", "I", "my" in "Can I bring my dog?").
                  WHERE NOT EXISTS (SELECT 1 FROM all_words) AND ts_lexize('${TS_STEMMER}', w.word) <> '{}') matched
           JOIN rag_chunks c ON c.tenant_id = $2 AND c.id = matched.id,
                to_tsquery('${TS_CONFIG}', array_to_string($6::text[], ' | ')) AS query
          ORDER BY score DESC, c.id
          LIMIT $4
       ), text_hits AS (
         SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank
           FROM (SELECT id, score FROM all_words UNION ALL SELECT id, score FROM any_word) t
       ), hits AS (
         -- Reciprocal rank fusion (RRF_K): Σ 1 / (k + rank) over the lists that found the chunk, in float8 as
         -- a JS number would add it; best first, ties to the better vector rank, then the id. Only the top $8
         -- are read in full: the other candidates' texts would be fetched, sent and parsed for nothing.
         SELECT coalesce(v.id, t.id) AS id, v.rank AS vector_rank, t.rank AS text_rank,
                coalesce(1::float8 / ($7 + v.rank), 0) + coalesce(1::float8 / ($7 + t.rank), 0) AS score
           FROM vector_hits v FULL JOIN text_hits t ON t.id = v.id
          ORDER BY score DESC, vector_rank NULLS LAST, id
          LIMIT $8
       )
       SELECT h.id, h.score, h.vector_rank, h.text_rank, c.text, c.heading_path, c.position, c.page,
              d.id AS document_id, d.source_uri, d.title
         FROM hits h
         JOIN rag_chunks c ON c.id = h.id AND c.tenant_id = $2
         JOIN rag_documents d ON d.id = c.document_id AND d.tenant_id = $2
        ORDER BY h.score DESC, h.vector_rank NULLS LAST, h.id`;

/**
 * Hybrid search within one tenant's corpora: the nearest chunks by cosine distance (HNSW; iterative scan
 * `relaxed_order`, so filtered-out rows make the scan go on instead of returning fewer rows) and the best
 * full-text matches (GIN), both in one statement, fused with reciprocal rank fusion.
 */
export async function hybridSearch(pool: Pool, features: VectorFeatures, settings: SearchSettings, q: SearchQuery): Promise<SearchHit[]> {
  if (q.corpora.length === 0 || q.topK <= 0) return [];
  const candidates = Math.max(settings.candidates, q.topK);
  const vector = toVectorBinary(q.vector);
  const client = await pool.connect();
  try {
    // The settings are the same for every search, so each pooled connection gets them once for its session
    // instead of BEGIN + SET LOCAL + COMMIT around every search (three more round trips per search). They
    // steer HNSW scans, parallel plans, plan caching and JIT. The orchestrator searches on a pool of its own
    // (Database.poolOfItsOwn, rag.searchPoolMax), so they never reach the sessions that record calls, whose
    // prepared statements rely on plan caching; a job searching on its only pool (eval-runner) shares them
    // with queries that do not mind.
    // PGlite's one shared session got them in prepareVectorSearch.
    const ef = efSearchOf(features, settings, candidates);
    if (!features.sharedSession && (preparedEf.get(client) ?? 0) < ef) {
      await client.query(settingsSql(features), [String(ef)]);
      preparedEf.set(client, ef);
    }
    const { rows } = await client.query<{
      id: string; score: number; text: string; heading_path: string[]; position: number; page: number | null;
      document_id: string; source_uri: string; title: string;
    }>({
      // Named: each pooled connection parses it once instead of on every search (it is still planned with
      // each search's values, see settingsSql). Not on PGlite, whose connections share one session (and so
      // one namespace of prepared statements).
      name: features.sharedSession ? undefined : HYBRID_SEARCH_STATEMENT,
      text: HYBRID_SEARCH_SQL,
      values: [vector, q.tenantId, q.corpora, candidates, q.text, questionWords(q.text), RRF_K, q.topK],
    });
    return rows.map((r) => ({
      chunkId: r.id,
      score: r.score,
      text: r.text,
      headingPath: r.heading_path,
      position: r.position,
      page: r.page,
      document: { id: r.document_id, sourceUri: r.source_uri, title: r.title },
    }));
  } finally {
    client.release();
  }
}

/** Exact nearest neighbours (no index): the ground truth the benchmark measures HNSW recall against. */
export async function exactNearest(pool: Pool, tenantId: string, corpora: readonly string[], vector: readonly number[], k: number): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('enable_indexscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`);
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM rag_chunks WHERE tenant_id = $2 AND corpus = ANY($3::text[]) ORDER BY embedding <=> $1::vector LIMIT $4`,
      [toVectorLiteral(vector), tenantId, corpora, k],
    );
    await client.query('COMMIT');
    return rows.map((r) => r.id);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
