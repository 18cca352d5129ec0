import path from 'node:path';
import { parseArgs } from 'node:util';

export interface EvalArgs {
  dataset: string;
  suite: string;
  concurrency: number;
  minScore: number;
  allowDegraded: boolean;
  requestedBy: string | null;
  /** Ground `rag: true` capabilities in this tenant's corpora; unset: they answer the bare question. */
  tenant: string | null;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run job:eval -- --dataset PATH_OR_GS_URI [--suite NAME] [--concurrency N] [--min-score 0..1] [--allow-degraded] [--requested-by WHO] [--tenant T]
  --dataset       JSON Lines file of cases (local path or gs://bucket/object); see evals/
  --suite         name of the run (default: the dataset's file name without extension)
  --concurrency   cases in flight at once (default 4)
  --min-score     exit 1 when the share of passed cases is below this (default 0)
  --allow-degraded  count answers of the deterministic provider as passing
  --requested-by  who or what started the run (default: EVAL_REQUESTED_BY, else none)
  --tenant        ground RAG capabilities (support.policy_answer) in this tenant's ingested corpora`;

/** Parses the job's flags; EVAL_DATASET / EVAL_MIN_SCORE let a Cloud Scheduler trigger set them as env. */
export function parseEvalArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): EvalArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dataset: { type: 'string' },
        suite: { type: 'string' },
        concurrency: { type: 'string' },
        'min-score': { type: 'string' },
        'allow-degraded': { type: 'boolean' },
        'requested-by': { type: 'string' },
        tenant: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const dataset = values.dataset ?? env.EVAL_DATASET;
  if (!dataset) throw new UsageError('--dataset is required');
  const concurrency = Number(values.concurrency ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be an integer from 1 to 64, got "${values.concurrency}"`);
  const minScore = Number(values['min-score'] ?? env.EVAL_MIN_SCORE ?? '0');
  if (!Number.isFinite(minScore) || minScore < 0 || minScore > 1) throw new UsageError(`--min-score must be a number from 0 to 1, got "${values['min-score'] ?? env.EVAL_MIN_SCORE}"`);
  return {
    dataset,
    suite: values.suite ?? path.basename(dataset).replace(/\.[^.]+$/, ''),
    concurrency,
    minScore,
    allowDegraded: values['allow-degraded'] ?? false,
    requestedBy: values['requested-by'] ?? env.EVAL_REQUESTED_BY ?? null,
    tenant: values.tenant ?? null,
  };
}
