/**
 * `npm run bench -- rag [--chunks N] [--queries N] [--concurrency N] [--ef N] [--keep] [--json]` against DATABASE_URL
 * (Postgres with pgvector; the embedded database is not a benchmark target). In a fresh database:
 *  1. ingest: synthetic hotel-policy Markdown (50 sections of 70 words per document, half of them from the
 *     document's topic, half Zipf-distributed general words) through the same
 *     sync as the rag-ingestor job (extract, chunk, local hashing embedder; a tenant's first big ingest is
 *     a bulk load: chunks staged without indexes, HNSW + GIN built once, attached as its partition) → chunks/s;
 *     then 5 % more documents into the same tenant, written incrementally into its live indexes → chunks/s;
 *  2. search: `--queries` questions (8 words of a random chunk) through the retriever (embed + hybrid SQL)
 *     on the 100,000-chunk tenant → p50/p95/p99 ms; then questions of two chunks' words (the full-text
 *     fallback: no chunk holds every word) → p50/p95 ms;
 *  3. recall@10 of the vector search as the search runs it (HNSW with the configured ef_search and iterative
 *     scan, 40 candidates re-ranked) against an exact scan: held-out sections as queries, for the big tenant
 *     and for a 1,000-chunk tenant (a partition of its own); and 8-word questions.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../shared/config/index.js';
import { createPool, runMigrations, type Pool } from '../shared/db/index.js';
import { createLocalHashingEmbedder } from '../shared/providers/embeddings/local-hashing.js';
import { ingest, type DocumentSource } from '../shared/rag/ingest.js';
import { createRetriever } from '../shared/rag/retriever.js';
import { exactNearest, HNSW_ORDER, vectorFeatures } from '../shared/rag/search.js';
import { toVectorArrayBinary, toVectorLiteral } from '../shared/rag/vector.js';
import { vectorTypeOid } from '../shared/rag/store.js';
import { chunkDocument, contextualText } from '../shared/rag/chunker.js';
import { extractDocument } from '../shared/rag/extract/index.js';
import { percentile } from '../shared/util/percentile.js';

const SECTIONS_PER_DOCUMENT = 50;
const WORDS_PER_PARAGRAPH = 70;

/** mulberry32: a small seeded PRNG, so every run ingests the same corpus. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = 'guest room suite breakfast parking garage check-in check-out late early pets dog cat fee night city tax card deposit cancellation refund shuttle airport spa pool sauna gym children cot extra bed quiet hours smoking visitor key reception luggage invoice wifi minibar laundry towel balcony view elevator accessible wheelchair allergy vegan gluten dinner lunch bar terrace garden bicycle charging electric'.split(' ');
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tas', 'vo', 'bel', 'dor', 'fi', 'gun', 'hal', 'jo', 'pra', 'sel', 'tur', 'wen', 'zi', 'mar', 'nos', 'quil'];

/** A vocabulary of ~3,000 words: the hotel words plus pseudo-words, so chunks differ like real text does. */
function vocabulary(random: () => number): string[] {
  const words = new Set(BASE);
  while (words.size < 3000) words.add(Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''));
  return [...words];
}

/**
 * `documents` Markdown documents as a source, a 1 % sample of their paragraphs (questions are cut from them),
 * and the paragraphs of `heldOut` more documents from the same distribution that are not in the source.
 */
export function syntheticCorpus(documents: number, seed: number, heldOut = 0): { source: DocumentSource; sample: string[]; heldOut: string[] } {
  const random = prng(seed);
  const words = vocabulary(random);
  // Zipf-like: a few words are frequent, most are rare.
  const common = () => words[Math.floor(words.length * random() ** 2.5)]!;
  // Documents are about something: half of a paragraph's words come from its document's topic.
  const topics = Array.from({ length: 200 }, () => Array.from({ length: 40 }, () => words[Math.floor(random() * words.length)]!));
  const sample: string[] = [];
  const held: string[] = [];
  const docs = new Map<string, Buffer>();
  for (let d = 0; d < documents + heldOut; d++) {
    const topic = topics[Math.floor(random() * topics.length)]!;
    const word = () => (random() < 0.5 ? topic[Math.floor(random() * topic.length)]! : common());
    let md = `# Policy ${d}\n\n`;
    for (let s = 0; s < SECTIONS_PER_DOCUMENT; s++) {
      const paragraph = Array.from({ length: WORDS_PER_PARAGRAPH }, word).join(' ');
      md += `## Section ${s} ${word()} ${word()}\n\n${paragraph}.\n\n`;
      if (d >= documents) held.push(`Section ${s}\n${paragraph}.`);
      else if (random() < 0.01) sample.push(paragraph);
    }
    if (d < documents) docs.set(`bench://corpus-${seed}/policy-${d}.md`, Buffer.from(md));
  }
  const source: DocumentSource = {
    scope: { prefix: `bench://corpus-${seed}/`, exact: false },
    list: async () => [...docs.keys()].map((uri) => ({ uri, name: uri })),
    read: async (o) => docs.get(o.uri)!,
  };
  return { source, sample, heldOut: held };
}

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * The vector half of the hybrid search alone, as the search runs it: `candidates` rows from the HNSW scan
 * (configured ef_search, iterative scan), re-ranked by exact distance; the first k are compared with an exact scan.
 */
async function annNearest(pool: Pool, tenantId: string, vector: readonly number[], k: number, settings: { efSearch: number; candidates: number }): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`, [String(Math.max(settings.efSearch, settings.candidates))]);
    const { rows } = await client.query<{ id: string }>(
      `WITH nearest AS MATERIALIZED (
         SELECT id, embedding <=> $1::vector AS distance FROM rag_chunks
          WHERE tenant_id = $2 AND corpus = 'policies' ORDER BY ${HNSW_ORDER} LIMIT $4)
       SELECT id FROM nearest ORDER BY distance LIMIT $3`,
      [toVectorLiteral(vector), tenantId, k, settings.candidates],
    );
    await client.query('COMMIT');
    return rows.map((r) => r.id);
  } finally {
    client.release();
  }
}

/** The job's own side without the database: read, extract, chunk, embed, encode vectors (chunks/s). */
async function pipelineOnly(source: DocumentSource, embedder: ReturnType<typeof createLocalHashingEmbedder>, chunking: { maxTokens: number; overlapTokens: number }, documents: number, vectorOid: number): Promise<number> {
  const objects = (await source.list()).slice(0, documents);
  const started = performance.now();
  let chunks = 0;
  for (const o of objects) {
    const doc = await extractDocument(o.name, await source.read(o));
    const texts = chunkDocument(doc, chunking).map((c) => contextualText(doc.title, c));
    const { vectors } = await embedder.embed(texts);
    toVectorArrayBinary(vectors, vectorOid);
    chunks += texts.length;
  }
  return chunks / ((performance.now() - started) / 1000);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const chunks = arg('--chunks', 100_000);
  const queries = arg('--queries', 200);
  const concurrency = arg('--concurrency', 4);
  const efOverride = args.includes('--ef') ? arg('--ef', 64) : undefined;
  const quiet = args.includes('--json');
  const say = (s: string) => !quiet && process.stdout.write(`${s}\n`);
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('bench rag: set DATABASE_URL to a Postgres with pgvector (the embedded database is not a benchmark target)');

  const config = loadConfig({ env: { APP_ENV: 'dev', DATABASE_URL: adminUrl, ...(efOverride ? { RAG_EF_SEARCH: String(efOverride) } : {}) } });
  const name = `aiorch_bench_rag_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = createPool({ url, max: concurrency + 2 });
  const figures: Record<string, unknown> = { bench: 'rag', chunks, queries, concurrency, ef_search: config.rag.efSearch };
  try {
    await runMigrations({ url });
    const server = await pool.query<{ v: string }>('SELECT version() AS v');
    const features = await vectorFeatures(pool);
    figures.postgres = server.rows[0]!.v.split(' ').slice(0, 2).join(' ');
    figures.pgvector = features.version;
    say(`${figures.postgres}, pgvector ${features.version}; ${chunks} chunks, ${queries} queries, ingest concurrency ${concurrency}`);

    const embedder = createLocalHashingEmbedder();
    const options = { pool, embedder, corpus: 'policies', chunking: config.rag.chunking, embedBatchSize: config.rag.ingest.embedBatchSize, concurrency, bulkLoad: config.rag.ingest.bulkLoad };
    const big = syntheticCorpus(Math.ceil(chunks / SECTIONS_PER_DOCUMENT), 1, 4);
    const small = syntheticCorpus(20, 2, 4);
    figures.pipeline_chunks_per_s = Math.round(await pipelineOnly(big.source, embedder, config.rag.chunking, 100, await vectorTypeOid(pool)));
    say(`job pipeline without the database (read, extract, chunk, embed, binary vectors): ${figures.pipeline_chunks_per_s} chunks/s`);
    let indexing = 0;
    const ingested = await ingest({ ...options, source: big.source, tenantId: 'bench-big', onBulkIndexing: () => void (indexing = performance.now()) });
    const ingestEnded = performance.now();
    const smallIngest = await ingest({ ...options, source: small.source, tenantId: 'bench-small' });
    figures.ingest_chunks = ingested.chunks;
    figures.ingest_seconds = round(ingested.seconds, 2);
    figures.ingest_chunks_per_s = Math.round(ingested.chunks / ingested.seconds);
    figures.ingest_mode = ingested.mode;
    if (indexing) figures.bulk_index_and_attach_seconds = round((ingestEnded - indexing) / 1000, 2);
    say(`ingest (${ingested.mode}): ${ingested.chunks} chunks of ${ingested.documents.added} documents in ${ingested.seconds.toFixed(1)} s = ${figures.ingest_chunks_per_s} chunks/s (local embedder; ${ingested.mode === 'bulk' ? `staged, then HNSW + GIN built once: ${figures.bulk_index_and_attach_seconds} s of it` : 'HNSW + GIN maintained'})`);
    // The same tenant's next documents go into its live partition: HNSW maintained on every insert.
    const more = syntheticCorpus(Math.max(1, Math.round(chunks / SECTIONS_PER_DOCUMENT / 20)), 5);
    const added = await ingest({ ...options, source: more.source, tenantId: 'bench-big' });
    figures.incremental_chunks = added.chunks;
    figures.incremental_chunks_per_s = Math.round(added.chunks / added.seconds);
    say(`ingest (${added.mode}) of ${added.documents.added} more documents into that tenant: ${added.chunks} chunks in ${added.seconds.toFixed(1)} s = ${figures.incremental_chunks_per_s} chunks/s (HNSW + GIN maintained)`);
    const again = await ingest({ ...options, source: big.source, tenantId: 'bench-big' });
    figures.reingest_unchanged_seconds = round(again.seconds, 2);
    say(`re-ingest of the unchanged corpus: ${again.documents.unchanged} documents unchanged, ${again.embedded} embedded, ${again.seconds.toFixed(1)} s`);
    await pool.query('ANALYZE rag_chunks');

    const retriever = createRetriever({ pool, embedder, settings: config.rag });
    const random = prng(3);
    const question = (sample: string[]) => {
      const words = sample[Math.floor(random() * sample.length)]!.split(' ');
      const start = Math.floor(random() * (words.length - 8));
      return words.slice(start, start + 8).join(' ');
    };
    for (let i = 0; i < 20; i++) await retriever.retrieve({ tenantId: 'bench-big', query: question(big.sample), topK: config.rag.topK });
    const latencies: number[] = [];
    const questions = Array.from({ length: queries }, () => question(big.sample));
    for (const q of questions) {
      const t = performance.now();
      await retriever.retrieve({ tenantId: 'bench-big', query: q, topK: config.rag.topK });
      latencies.push(performance.now() - t);
    }
    figures.search_p50_ms = round(percentile(latencies, 0.5), 2);
    figures.search_p95_ms = round(percentile(latencies, 0.95), 2);
    figures.search_p99_ms = round(percentile(latencies, 0.99), 2);
    say(`hybrid search (embed + HNSW + full text + RRF, top ${config.rag.topK}) at ${ingested.chunks} chunks: p50 ${figures.search_p50_ms} ms, p95 ${figures.search_p95_ms} ms, p99 ${figures.search_p99_ms} ms`);
    // Questions made of two chunks' words (4 + 4), which no chunk holds whole: the full-text half falls back
    // to ranking the chunks holding any of the words.
    const mixed: number[] = [];
    for (let i = 0; i < queries; i++) {
      const q = `${question(big.sample).split(' ').slice(0, 4).join(' ')} ${question(big.sample).split(' ').slice(4).join(' ')}`;
      const t = performance.now();
      await retriever.retrieve({ tenantId: 'bench-big', query: q, topK: config.rag.topK });
      mixed.push(performance.now() - t);
    }
    figures.search_mixed_p50_ms = round(percentile(mixed, 0.5), 2);
    figures.search_mixed_p95_ms = round(percentile(mixed, 0.95), 2);
    say(`  questions of two chunks' words (full-text fallback): p50 ${figures.search_mixed_p50_ms} ms, p95 ${figures.search_mixed_p95_ms} ms`);

    // Recall of the vector half, two kinds of query: held-out sections of the same distribution (the usual
    // ANN methodology) and the 8-word questions above (short queries against long chunks: with the hashing
    // embedder their nearest neighbours are barely nearer than the rest, a hard case for any ANN index).
    const recallOf = async (tenantId: string, texts: string[]) => {
      let overlap = 0;
      for (const text of texts) {
        const vector = (await embedder.embed([text])).vectors[0]!;
        const exact = new Set(await exactNearest(pool, tenantId, ['policies'], vector, 10));
        const ann = await annNearest(pool, tenantId, vector, 10, config.rag);
        overlap += ann.filter((id) => exact.has(id)).length / Math.max(1, exact.size);
      }
      return round(overlap / texts.length, 3);
    };
    const n = Math.min(queries, 100);
    figures.recall_at_10 = await recallOf('bench-big', big.heldOut.slice(0, n));
    figures.recall_at_10_small_tenant = await recallOf('bench-small', small.heldOut.slice(0, n));
    figures.recall_at_10_short_questions = await recallOf('bench-big', Array.from({ length: n }, () => question(big.sample)));
    const ef = Math.max(config.rag.efSearch, config.rag.candidates);
    say(`recall@10 of the vector search (HNSW, ef_search ${ef}, iterative scan, ${config.rag.candidates} candidates re-ranked) vs an exact scan, held-out sections as queries: ${figures.recall_at_10} (${ingested.chunks}-chunk tenant), ${figures.recall_at_10_small_tenant} (${smallIngest.chunks}-chunk tenant, its own partition)`);
    say(`recall@10 with 8-word questions as queries: ${figures.recall_at_10_short_questions} (${ingested.chunks}-chunk tenant)`);
  } finally {
    await pool.end();
    if (!args.includes('--keep')) await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  return figures;
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}
