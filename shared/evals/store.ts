import type { EventTopics } from '../config/index.js';
import { withTransaction, type Pool } from '../db/index.js';
import { createEvent, enqueue } from '../events/index.js';
import type { EvalRunCompletedData } from '../events/schemas/eval-run-completed.js';
import type { CaseResult, EvalSummary } from './runner.js';

/** Eval events are the platform's, not a tenant's: this is their tenant id (and so their ordering key). */
export const PLATFORM_TENANT = 'platform';

export interface EvalRun {
  runId: string;
  suite: string;
  datasetUri: string;
  datasetHash: string;
  startedAt: Date;
  finishedAt: Date;
  requestedBy: string | null;
  summary: EvalSummary;
  results: readonly CaseResult[];
}

/** Writes the run, every case result and its `eval.run_completed` event in one transaction. */
export async function saveEvalRun(pool: Pool, run: EvalRun, events: { topics: EventTopics; source: string }): Promise<void> {
  const s = run.summary;
  await withTransaction(pool, async (tx) => {
    await tx.query(
      `INSERT INTO eval_runs (run_id, suite, dataset_uri, dataset_hash, started_at, finished_at, passed, failed, degraded, score, p50_ms, p95_ms, cost_micros, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [run.runId, run.suite, run.datasetUri, run.datasetHash, run.startedAt, run.finishedAt, s.passed, s.failed, s.degraded, s.score, s.p50Ms, s.p95Ms, s.costMicros, run.requestedBy],
    );
    // One statement for every result, in dataset order.
    await tx.query(
      `INSERT INTO eval_results (run_id, case_id, capability, passed, provider, model, degraded, latency_ms, cost_micros, failures, output)
       SELECT $1, r->>'case_id', r->>'capability', (r->>'passed')::boolean, r->>'provider', r->>'model', (r->>'degraded')::boolean,
              (r->>'latency_ms')::int, (r->>'cost_micros')::bigint, r->'failures', r->'output'
         FROM jsonb_array_elements($2::jsonb) AS t(r)`,
      [
        run.runId,
        JSON.stringify(run.results.map((r) => ({ case_id: r.caseId, capability: r.capability, passed: r.passed, provider: r.provider, model: r.model, degraded: r.degraded, latency_ms: r.latencyMs, cost_micros: r.costMicros, failures: r.failures, output: r.output }))),
      ],
    );
    const data: EvalRunCompletedData = { run_id: run.runId, suite: run.suite, passed: s.passed, failed: s.failed, score: s.score };
    await enqueue(tx, createEvent({ type: 'eval.run_completed', tenantId: PLATFORM_TENANT, subject: run.suite, data, source: events.source }), events.topics);
  });
}
