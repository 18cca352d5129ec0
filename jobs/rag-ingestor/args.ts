import { parseArgs } from 'node:util';
import { TENANT_ID_PATTERN } from '../../shared/auth/index.js';

export interface IngestArgs {
  tenant: string;
  corpus: string;
  source: string;
  allowEmpty: boolean;
  concurrency?: number;
}

export const USAGE = 'usage: npm run job:ingest -- --tenant T --corpus C --source PATH_OR_GS_URI [--allow-empty] [--concurrency N]';
const CORPUS = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses the job's arguments; throws an Error whose message is the one line to print (exit 64). */
export function parseIngestArgs(argv: string[]): IngestArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        corpus: { type: 'string' },
        source: { type: 'string' },
        'allow-empty': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  const { tenant, corpus, source } = values;
  if (!tenant || !corpus || !source) throw new Error(`--tenant, --corpus and --source are required\n${USAGE}`);
  if (!TENANT_ID_PATTERN.test(tenant)) throw new Error(`--tenant must match ${TENANT_ID_PATTERN.source} (got "${tenant}")`);
  if (!CORPUS.test(corpus)) throw new Error(`--corpus must be lower-case letters, digits, _ or - (got "${corpus}")`);
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be an integer from 1 to 64 (got "${values.concurrency}")`);
  }
  return { tenant, corpus, source, allowEmpty: values['allow-empty'] ?? false, ...(concurrency !== undefined ? { concurrency } : {}) };
}

/** Cloud Run Jobs set CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT on each task of an execution. */
export function taskOf(env: Record<string, string | undefined>): { index: number; count: number } {
  const index = Number(env.CLOUD_RUN_TASK_INDEX ?? 0);
  const count = Number(env.CLOUD_RUN_TASK_COUNT ?? 1);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT must satisfy 0 ≤ index < count (got ${env.CLOUD_RUN_TASK_INDEX} / ${env.CLOUD_RUN_TASK_COUNT})`);
  }
  return { index, count };
}
