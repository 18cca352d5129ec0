/**
 * Eval runner (Cloud Run Job, nightly from Cloud Scheduler; `npm run job:eval -- --dataset evals/X.jsonl`
 * locally): runs a dataset of cases through each capability's model chain, checks every answer against
 * the output schema and the case's expectations, stores the run with its results and emits
 * `eval.run_completed` — all in one transaction. Progress: a bar on a terminal, JSON lines otherwise; one
 * JSON summary line at the end. Exit codes: 0 passed, 1 score below --min-score or a failure, 2 bad
 * arguments or an invalid dataset (nothing was run).
 */
import { randomUUID } from 'node:crypto';
import { createCapabilityRegistry } from '../../shared/capabilities/index.js';
import { loadConfigOrExit } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { DatasetError, parseDataset, readDatasetText } from '../../shared/evals/dataset.js';
import { runEvalCases, summarize } from '../../shared/evals/runner.js';
import { saveEvalRun } from '../../shared/evals/store.js';
import type { ProviderName } from '../../shared/providers/port.js';
import { configuredEmbedder, configuredLlmProviders } from '../../shared/providers/configured.js';
import { createRetriever } from '../../shared/rag/retriever.js';
import { createChainRunner } from '../../shared/routing/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { createProgress } from '../../shared/telemetry/progress.js';
import { parseEvalArgs, UsageError, USAGE } from './args.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'eval-runner' });
process.exitCode = await main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (err instanceof DatasetError) {
    logger.error({ problems: err.problems }, err.message);
    return 2;
  }
  logger.error({ err }, `eval run failed: ${(err as Error).message}`);
  return 1;
});

async function main(): Promise<number> {
  const args = parseEvalArgs(process.argv.slice(2));
  const capabilities = createCapabilityRegistry(config.capabilities);
  const dataset = parseDataset(await readDatasetText(args.dataset), args.dataset, capabilities);
  const db = await openDatabase(config, { log: (msg) => logger.debug(msg.trim()), applicationName: 'eval-runner' });
  const providers = await configuredLlmProviders(config);
  const chain = createChainRunner({ providers, breaker: config.routing.breaker, retryJitterMs: config.routing.retryJitterMs, logger, metrics: { registry: createMetrics().registry } });
  try {
    const runId = randomUUID();
    const startedAt = new Date();
    logger.info({ run_id: runId, suite: args.suite, cases: dataset.cases.length, providers: Object.keys(providers) }, 'eval run started');
    const progress = createProgress({ job: 'eval', total: dataset.cases.length, unit: 'cases' });
    let passed = 0;
    const grounding = args.tenant ? { retriever: createRetriever({ pool: db.pool, embedder: await configuredEmbedder(config), settings: config.rag, logger }), tenantId: args.tenant, topK: config.rag.topK } : undefined;
    const results = await runEvalCases(
      { capabilities, chain, prices: config.prices, providers: new Set(Object.keys(providers) as ProviderName[]), deadlineMs: config.routing.deadlineMs, ...(grounding ? { grounding } : {}) },
      dataset.cases,
      {
        concurrency: args.concurrency,
        allowDegraded: args.allowDegraded,
        onCaseDone: (r, done) => {
          if (r.passed) passed++;
          progress.update(done, { passed });
        },
      },
    );
    progress.stop();
    const summary = summarize(results);
    await saveEvalRun(db.pool, { runId, suite: args.suite, datasetUri: dataset.uri, datasetHash: dataset.hash, startedAt, finishedAt: new Date(), requestedBy: args.requestedBy, summary, results }, config.events);
    for (const r of results.filter((x) => !x.passed)) logger.warn({ run_id: runId, case_id: r.caseId, failures: r.failures }, 'case failed');
    console.log(JSON.stringify({ job: 'eval-runner', run_id: runId, suite: args.suite, cases: results.length, passed: summary.passed, failed: summary.failed, degraded: summary.degraded, score: summary.score, p50_ms: summary.p50Ms, p95_ms: summary.p95Ms, cost_micros: summary.costMicros, min_score: args.minScore, seconds: (Date.now() - startedAt.getTime()) / 1000 }));
    return summary.score >= args.minScore ? 0 : 1;
  } finally {
    chain.close();
    await db.close();
  }
}
