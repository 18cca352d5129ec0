import { createHash } from 'node:crypto';
import type { Pool } from '../db/index.js';
import type { EmbeddingProvider } from '../providers/port.js';
import { chunkDocument, contextualText, CHUNKER_VERSION, type ChunkOptions } from './chunker.js';
import { extractDocument, formatOf } from './extract/index.js';
import { deleteDocuments, replaceDocument, storedDocuments, type ChunkRow, type StoredDocument } from './store.js';
import { canBulkLoad, startBulkLoad, type BulkLoad } from './bulk-load.js';
import { mergePendingFullTextEntries } from './full-text-index.js';
import { DocumentError } from './types.js';
import { VECTOR_DIMENSIONS } from './vector.js';

/** One object of a source: a file or a Cloud Storage object. `uri` is its identity in the corpus. */
export interface SourceObject {
  uri: string;
  /** Path or object name: its extension picks the format. */
  name: string;
}

/** Where documents come from (jobs/rag-ingestor/sources): a local directory, a bucket prefix, one object. */
export interface DocumentSource {
  /**
   * What this source covers: every stored document whose URI starts with `prefix` (or equals it, `exact`)
   * belongs to it, and is deleted when the source no longer lists it.
   */
  readonly scope: { prefix: string; exact: boolean };
  list(): Promise<SourceObject[]>;
  read(object: SourceObject): Promise<Uint8Array>;
}

export interface IngestOptions {
  pool: Pool;
  embedder: EmbeddingProvider;
  source: DocumentSource;
  tenantId: string;
  corpus: string;
  chunking: ChunkOptions;
  embedBatchSize: number;
  /** Documents processed at once (reading, parsing and embedding overlap with writing). */
  concurrency: number;
  /**
   * Document transactions open at once (default: `concurrency`). 1 for the embedded database: PGlite is one
   * session, so concurrent transactions only queue behind each other (and interleave badly with other clients).
   */
  writeConcurrency?: number;
  /**
   * A tenant's first ingest of at least `minDocuments` documents (no other task sharing the run) stages its
   * chunks without indexes and builds them once (shared/rag/bulk-load.ts). Without it every run writes
   * document by document.
   */
  bulkLoad?: { minDocuments: number; maintenanceWorkMemMb: number };
  /** Cloud Run Job task sharding: this task takes the documents whose URI hashes to `index` mod `count`. */
  task?: { index: number; count: number };
  /** An empty listing deletes every stored document of the source only with this (a typo must not wipe a corpus). */
  allowEmpty?: boolean;
  /** After each document (and once with the total before the first). */
  onProgress?: (progress: { done: number; total: number; uri?: string; outcome?: DocumentOutcome }) => void;
  /** A bulk load staged every document and now builds the indexes (the run's longest silent step). */
  onBulkIndexing?: (staged: { chunks: number }) => void | Promise<void>;
  signal?: AbortSignal;
}

export type DocumentOutcome = 'added' | 'updated' | 'unchanged' | 'failed' | 'ignored';

export interface IngestSummary {
  documents: { added: number; updated: number; unchanged: number; deleted: number; failed: number; ignored: number };
  /** Chunks written by this run (of added and updated documents), and texts sent to the embedder. */
  chunks: number;
  embedded: number;
  /** How the chunks were written: document by document, or staged and indexed once (a tenant's first big ingest). */
  mode: 'incremental' | 'bulk';
  failures: Array<{ uri: string; reason: string }>;
  /**
   * Pages of the full-text index's pending list merged at the end of an incremental run (see
   * full-text-index.ts), or why they could not be (the run's chunks are written either way).
   */
  fullTextIndex: { pendingPagesMerged: number } | { notMerged: string };
  seconds: number;
}

/** Raised when a run cannot go on (source unreadable, embedder or database down): exit non-zero. */
export class IngestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestError';
  }
}

/** Which of `count` tasks owns a URI: stable across runs and machines. */
export function shardOf(uri: string, count: number): number {
  return count <= 1 ? 0 : createHash('sha256').update(uri).digest().readUInt32BE(0) % count;
}

/** Chunker settings and embedding model: when they change, unchanged documents are processed again. */
export function pipelineId(embedder: EmbeddingProvider, chunking: ChunkOptions): string {
  return `${CHUNKER_VERSION}/${chunking.maxTokens}+${chunking.overlapTokens}|${embedder.name}:${embedder.model}:${embedder.dimensions}`;
}

/**
 * Syncs a tenant's corpus with a source: new documents are added, changed ones (content hash) replaced
 * atomically, unchanged ones skipped without embedding, and stored ones the source no longer lists deleted.
 * A document that cannot be read or parsed is reported and skipped (its stored version, if any, stays).
 */
export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const task = opts.task ?? { index: 0, count: 1 };
  const mine = (uri: string) => shardOf(uri, task.count) === task.index;
  const inScope = (uri: string) => (opts.source.scope.exact ? uri === opts.source.scope.prefix : uri.startsWith(opts.source.scope.prefix));
  const pipeline = pipelineId(opts.embedder, opts.chunking);

  let listed: SourceObject[];
  try {
    listed = (await opts.source.list()).filter((o) => mine(o.uri));
  } catch (err) {
    throw new IngestError(`cannot list the source ${opts.source.scope.prefix}: ${(err as Error).message}`, { cause: err });
  }
  const stored = [...(await storedDocuments(opts.pool, opts.tenantId, opts.corpus, opts.source.scope.prefix)).values()].filter((d) => inScope(d.sourceUri) && mine(d.sourceUri));
  const summary: IngestSummary = {
    documents: { added: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, ignored: 0 },
    chunks: 0,
    embedded: 0,
    mode: 'incremental',
    failures: [],
    fullTextIndex: { pendingPagesMerged: 0 },
    seconds: 0,
  };
  if (listed.length === 0 && stored.length > 0 && !opts.source.scope.exact && !opts.allowEmpty) {
    throw new IngestError(`the source ${opts.source.scope.prefix} lists no documents but ${stored.length} are stored; pass --allow-empty to delete them`);
  }

  const byUri = new Map(stored.map((d) => [d.sourceUri, d]));
  let bulk: BulkLoad | undefined;
  if (opts.bulkLoad && task.count === 1 && listed.length >= opts.bulkLoad.minDocuments && (await canBulkLoad(opts.pool, opts.tenantId))) {
    bulk = await startBulkLoad(opts.pool, opts.tenantId, { maintenanceWorkMemMb: opts.bulkLoad.maintenanceWorkMemMb });
    summary.mode = 'bulk';
  }
  const write = limiter(opts.writeConcurrency ?? opts.concurrency);
  let done = 0;
  opts.onProgress?.({ done, total: listed.length });
  const finish = (object: SourceObject, outcome: DocumentOutcome, reason?: string) => {
    if (outcome === 'failed') summary.failures.push({ uri: object.uri, reason: reason ?? 'failed' });
    summary.documents[outcome]++;
    opts.onProgress?.({ done: ++done, total: listed.length, uri: object.uri, outcome });
  };

  const one = async (object: SourceObject) => {
    if (!formatOf(object.name)) return finish(object, 'ignored');
    let bytes: Uint8Array;
    try {
      bytes = await opts.source.read(object);
    } catch (err) {
      return finish(object, 'failed', `cannot read: ${(err as Error).message}`);
    }
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    const previous = byUri.get(object.uri);
    if (previous && previous.contentHash === contentHash && previous.pipeline === pipeline) return finish(object, 'unchanged');
    let rows: ChunkRow[];
    let title: string;
    try {
      const doc = await extractDocument(object.name, bytes);
      title = doc.title;
      const chunks = chunkDocument(doc, opts.chunking);
      const texts = chunks.map((c) => contextualText(doc.title, c));
      const vectors = await embedAll(opts, texts);
      summary.embedded += texts.length;
      rows = chunks.map((c, i) => ({ position: c.position, headingPath: c.headingPath, text: c.text, tokenCount: c.tokenCount, embedding: vectors[i]!, searchText: texts[i]!, ...(c.page !== undefined ? { page: c.page } : {}) }));
    } catch (err) {
      if (err instanceof DocumentError) return finish(object, 'failed', err.message);
      throw err;
    }
    await write<unknown>(() =>
      bulk
        ? bulk.add({ corpus: opts.corpus, sourceUri: object.uri, title, contentHash, pipeline }, rows)
        : replaceDocument(opts.pool, { tenantId: opts.tenantId, corpus: opts.corpus, sourceUri: object.uri }, { title, contentHash, pipeline }, rows),
    );
    summary.chunks += rows.length;
    finish(object, previous ? 'updated' : 'added');
  };

  try {
    await eachLimited(listed, opts.concurrency, one, opts.signal);
    if (bulk) {
      await opts.onBulkIndexing?.({ chunks: summary.chunks });
      await bulk.attach();
    }
  } catch (err) {
    await bulk?.discard().catch(() => {});
    const aborted = opts.signal?.aborted === true;
    if (bulk && !aborted && !(err instanceof IngestError)) throw new IngestError(`bulk load failed, nothing of it was kept: ${(err as Error).message}`, { cause: err });
    throw err;
  }

  const listedUris = new Set(listed.map((o) => o.uri));
  const gone: StoredDocument[] = stored.filter((d) => !listedUris.has(d.sourceUri));
  summary.documents.deleted = await deleteDocuments(opts.pool, opts.tenantId, opts.corpus, gone.map((d) => d.id));
  // Chunks written into the live partition went through the GIN index's pending list; a bulk load built
  // its indexes whole. A failed merge costs search speed until autovacuum, not data: report it, go on.
  if (summary.mode === 'incremental' && summary.chunks > 0) {
    try {
      summary.fullTextIndex = { pendingPagesMerged: await mergePendingFullTextEntries(opts.pool, opts.tenantId) };
    } catch (err) {
      summary.fullTextIndex = { notMerged: (err as Error).message };
    }
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

async function embedAll(opts: IngestOptions, texts: string[]): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let start = 0; start < texts.length; start += opts.embedBatchSize) {
    const batch = texts.slice(start, start + opts.embedBatchSize);
    let result;
    try {
      result = await opts.embedder.embed(batch, { taskType: 'RETRIEVAL_DOCUMENT', ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      // The embedder failing is not this document's fault: the run stops (and a retry resumes it).
      throw new IngestError(`embedding failed: ${(err as Error).message}`, { cause: err });
    }
    if (result.vectors.length !== batch.length || result.vectors.some((v) => v.length !== VECTOR_DIMENSIONS)) {
      throw new IngestError(`the embedder returned ${result.vectors.length} vectors for ${batch.length} texts, or not ${VECTOR_DIMENSIONS} dimensions (rag_chunks.embedding)`);
    }
    vectors.push(...result.vectors);
  }
  return vectors;
}

/** A gate letting at most `limit` calls run at once; the others wait in order. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (running >= Math.max(1, limit)) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Runs fn over items with at most `limit` at once; the first error stops new work and is rethrown. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      signal?.throwIfAborted();
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}
