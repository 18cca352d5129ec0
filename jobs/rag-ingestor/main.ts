/**
 * rag-ingestor (Cloud Run Job; `npm run job:ingest -- --tenant T --corpus C --source PATH_OR_GS_URI`):
 * syncs a tenant's corpus with a local directory or a Cloud Storage prefix (or one object). Unchanged
 * documents are skipped without embedding, changed ones replaced atomically, removed ones deleted. With
 * CLOUD_RUN_TASK_COUNT > 1 each task takes its share of the documents. Progress: a bar on a terminal,
 * JSON lines otherwise; then one JSON summary line (`"message":"ingest finished"`). Exit 0 when the run completed (unreadable files are
 * reported in the summary and skipped), 1 when it failed, 64 on bad arguments, 78 on bad configuration.
 */
import { loadConfigOrExit } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { configuredEmbedder } from '../../shared/providers/configured.js';
import { ingest, type DocumentSource } from '../../shared/rag/ingest.js';
import { vectorFeatures } from '../../shared/rag/search.js';
import { createLogger } from '../../shared/telemetry/index.js';
import { createProgress, type Progress } from '../../shared/telemetry/progress.js';
import { parseIngestArgs, taskOf } from './args.js';
import { gcsSource } from './sources/gcs.js';
import { localSource } from './sources/local.js';

let args;
let task;
try {
  args = parseIngestArgs(process.argv.slice(2));
  task = taskOf(process.env);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(64);
}
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'rag-ingestor' });

try {
  const source: DocumentSource = args.source.startsWith('gs://') ? await gcsSource(args.source) : await localSource(args.source);
  const embedder = await configuredEmbedder(config);
  const db = await openDatabase(config, { log: (msg) => logger.debug(msg.trim()), applicationName: 'rag-ingestor' });
  let progress: Progress | undefined;
  try {
    const summary = await ingest({
      pool: db.pool,
      embedder,
      source,
      tenantId: args.tenant,
      corpus: args.corpus,
      chunking: config.rag.chunking,
      embedBatchSize: config.rag.ingest.embedBatchSize,
      concurrency: args.concurrency ?? config.rag.ingest.concurrency,
      // PGlite (embedded, or reached through DATABASE_URL in tests) is one session: one writer at a time.
      ...((await vectorFeatures(db.pool)).sharedSession ? { writeConcurrency: 1 } : {}),
      bulkLoad: config.rag.ingest.bulkLoad,
      task,
      allowEmpty: args.allowEmpty,
      onBulkIndexing: ({ chunks }) => logger.info({ tenant_id: args.tenant, corpus: args.corpus, chunks }, 'bulk load: every document staged; building the indexes, then attaching'),
      onProgress: ({ done, total, uri, outcome }) => {
        progress ??= createProgress({ job: 'rag-ingest', total, unit: 'documents' });
        progress.update(done, outcome ? { last: outcome } : {});
        if (outcome === 'failed') logger.warn({ uri, tenant_id: args.tenant, corpus: args.corpus }, 'document skipped: unreadable');
      },
    });
    progress?.stop();
    progress = undefined;
    for (const failure of summary.failures) logger.error({ uri: failure.uri, reason: failure.reason }, `skipped ${failure.uri}: ${failure.reason}`);
    if ('notMerged' in summary.fullTextIndex) {
      logger.warn({ reason: summary.fullTextIndex.notMerged }, 'the full-text index keeps its pending entries until autovacuum merges them: searches read them meanwhile');
    }
    // Through the logger (one synchronous stream with the lines above), as the run's last line.
    logger[summary.failures.length > 0 ? 'warn' : 'info'](
      {
        job: 'rag-ingestor',
        tenant_id: args.tenant,
        corpus: args.corpus,
        source: source.scope.prefix,
        task: `${task.index + 1}/${task.count}`,
        embedder: `${embedder.name}:${embedder.model}`,
        ...summary.documents,
        chunks: summary.chunks,
        embedded: summary.embedded,
        mode: summary.mode,
        full_text_index: summary.fullTextIndex,
        failures: summary.failures,
        seconds: Math.round(summary.seconds * 1000) / 1000,
      },
      'ingest finished',
    );
  } finally {
    progress?.stop();
    await db.close();
  }
} catch (err) {
  logger.error({ err }, `ingest failed: ${(err as Error).message}`);
  process.exitCode = 1;
}

