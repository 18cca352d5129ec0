import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-vendor/server.js';
import { startGcsFake } from '../fakes/gcs/server.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

/**
 * The eval-runner job as Cloud Run runs it: the built entry point, a dataset file, the real openai SDK
 * against the OpenAI wire fake, and the test database; checked by exit code, summary line and rows.
 */
let db: TestDatabase;
let fake: FakeOpenAi;
let dir: string;

beforeAll(async () => {
  db = await testDatabase({ poolMax: 2 });
  fake = await startFakeOpenAi();
  dir = await mkdtemp(path.join(tmpdir(), 'eval-runner-'));
});
afterAll(async () => {
  await fake?.stop();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

const question = (id: string, expect: unknown[] = []) => ({ id, capability: 'support.policy_answer', input: { question: `Question ${id}: when is check-in?`, language: 'en' }, expect });

async function dataset(name: string, cases: unknown[]): Promise<string> {
  const file = path.join(dir, `${name}.jsonl`);
  await writeFile(file, cases.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join('\n'));
  return file;
}

function runJob(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; summary: Record<string, unknown> | undefined }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/jobs/eval-runner/main.js', ...args],
      { env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: db.url, DATA_DIR: dir, OPENAI_API_KEY: 'sk-test-platform', OPENAI_BASE_URL: `${fake.url}/v1`, ...extraEnv } },
      (err, stdout, stderr) => {
        const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr, summary: lines.find((l) => l.job === 'eval-runner') });
      },
    );
  });
}

describe('eval-runner job', () => {
  it('runs every case through the chain, stores the run with its results and emits eval.run_completed in one go', async () => {
    const file = await dataset('policies', [question('q1', [{ path: 'answer', contains: '15:00' }]), question('q2'), question('q3', [{ path: 'citations', minItems: 0 }])]);
    const result = await runJob(['--dataset', file, '--min-score', '1', '--requested-by', 'test']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.summary).toMatchObject({ suite: 'policies', cases: 3, passed: 3, failed: 0, degraded: 0, score: 1 });
    expect(result.summary!.cost_micros).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(3);
    expect(result.stdout).toContain('"message":"progress"');

    const runId = result.summary!.run_id as string;
    const { rows: [run] } = await db.pool.query('SELECT suite, passed, failed, score, requested_by, dataset_hash FROM eval_runs WHERE run_id = $1', [runId]);
    expect(run).toMatchObject({ suite: 'policies', passed: 3, failed: 0, score: 1, requested_by: 'test' });
    const { rows: results } = await db.pool.query('SELECT case_id, passed, provider, model FROM eval_results WHERE run_id = $1 ORDER BY case_id', [runId]);
    expect(results).toEqual(['q1', 'q2', 'q3'].map((id) => ({ case_id: id, passed: true, provider: 'openai', model: 'gpt-4.1-mini' })));
    const { rows: events } = await db.pool.query(`SELECT payload, ordering_key FROM outbox WHERE event_type = 'eval.run_completed' AND payload->>'run_id' = $1`, [runId]);
    expect(events).toEqual([{ ordering_key: 'platform', payload: { run_id: runId, suite: 'policies', passed: 3, failed: 0, score: 1 } }]);
  });

  it('records why a case failed and exits 1 when the score is below --min-score', async () => {
    const file = await dataset('strict', [question('ok'), question('wrong', [{ path: 'answer', contains: 'midnight' }])]);
    const result = await runJob(['--dataset', file, '--min-score', '0.9']);
    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({ passed: 1, failed: 1, score: 0.5, min_score: 0.9 });
    const { rows } = await db.pool.query(`SELECT failures FROM eval_results WHERE run_id = $1 AND case_id = 'wrong'`, [result.summary!.run_id]);
    expect(rows[0].failures).toEqual(['answer: expected to contain "midnight", got "Check-in starts at 15:00."']);
  });

  it('fails a case the deterministic provider answered, unless degraded answers are allowed', async () => {
    const file = await dataset('degraded', [question('down')]);
    fake.enqueue({ kind: 'status', status: 500 });
    const strict = await runJob(['--dataset', file]);
    expect(strict.code).toBe(0);
    expect(strict.summary).toMatchObject({ passed: 0, failed: 1, degraded: 1 });
    const { rows } = await db.pool.query(`SELECT provider, failures FROM eval_results WHERE run_id = $1`, [strict.summary!.run_id]);
    expect(rows[0]).toEqual({ provider: 'deterministic', failures: ['degraded: answered by the deterministic provider (no model answered)'] });

    fake.enqueue({ kind: 'status', status: 500 });
    const lenient = await runJob(['--dataset', file, '--allow-degraded']);
    expect(lenient.summary).toMatchObject({ passed: 1, failed: 0, degraded: 1 });
  });

  it('records a case whose chain fails (a content refusal is never routed around) as failed with the reason', async () => {
    const file = await dataset('refused', [question('refused')]);
    fake.enqueue({ kind: 'refusal' });
    const result = await runJob(['--dataset', file]);
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ passed: 0, failed: 1, degraded: 0 });
    const { rows } = await db.pool.query(`SELECT provider, failures FROM eval_results WHERE run_id = $1`, [result.summary!.run_id]);
    expect(rows[0].provider).toBeNull();
    expect(rows[0].failures).toEqual([expect.stringMatching(/^chain failed: /)]);
  });

  it('refuses an invalid dataset with exit 2 before calling any provider or writing anything', async () => {
    const { rows: [before] } = await db.pool.query('SELECT count(*)::int AS n FROM eval_runs');
    const file = await dataset('broken', [question('a'), '{oops', { ...question('b'), capability: 'no.such' }]);
    const result = await runJob(['--dataset', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('line 2: not JSON');
    expect(result.stdout).toContain('line 3: unknown capability \\"no.such\\"');
    expect(fake.requests).toHaveLength(0);
    const { rows: [after] } = await db.pool.query('SELECT count(*)::int AS n FROM eval_runs');
    expect(after.n).toBe(before.n);
  });

  it('exits 2 with the usage on bad arguments and 1 when the dataset cannot be read', async () => {
    const bad = await runJob(['--concurrency', '9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dataset is required');
    expect(bad.stderr).toContain('usage: npm run job:eval');
    const missing = await runJob(['--dataset', path.join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('ENOENT');
  });

  it('reads a dataset from Cloud Storage (gs://) through the storage SDK', async () => {
    const gcs = await startGcsFake('eval-datasets');
    try {
      gcs.objects.set('nightly/policies.jsonl', Buffer.from(JSON.stringify(question('gs1')) + '\n'));
      const result = await runJob(['--dataset', 'gs://eval-datasets/nightly/policies.jsonl'], { STORAGE_EMULATOR_HOST: `${gcs.url}/storage/v1` });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.summary).toMatchObject({ suite: 'policies', cases: 1, passed: 1 });
      expect(gcs.requests.some((r) => r.includes('/b/eval-datasets/o/nightly%2Fpolicies.jsonl') && r.includes('alt=media'))).toBe(true);
      const { rows } = await db.pool.query('SELECT dataset_uri FROM eval_runs WHERE run_id = $1', [result.summary!.run_id]);
      expect(rows[0].dataset_uri).toBe('gs://eval-datasets/nightly/policies.jsonl');
    } finally {
      await gcs.stop();
    }
  });

  it('with --tenant grounds RAG capabilities in that tenant\'s corpus and refuses citations of passages it was not given', async () => {
    const source = path.join(dir, 'corpus');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'arrival.md'), '# Arrival\n\nCheck-in starts at 15:00 at the front desk on the ground floor.\n');
    const ingest = await new Promise<number>((resolve) =>
      execFile(process.execPath, ['dist/jobs/rag-ingestor/main.js', '--tenant', 'eval-hotel', '--corpus', 'policies', '--source', source], { env: { ...process.env, APP_ENV: 'test', DATABASE_URL: db.url, DATA_DIR: dir } }, (err) => resolve(err ? Number(err.code) : 0)),
    );
    expect(ingest).toBe(0);
    const file = await dataset('grounded', [question('cites-unknown')]);
    // The model cites a passage id it was never given: invalid output, so the chain ends on the deterministic answer.
    const foreign = '{"answer":"Check-in starts at 15:00.","citations":["not-a-given-chunk"]}';
    fake.enqueue({ kind: 'ok', text: foreign });
    const bare = await runJob(['--dataset', file]);
    expect(bare.summary).toMatchObject({ passed: 1, degraded: 0 });
    expect(JSON.stringify(fake.requests[0]!.body)).not.toContain('front desk');

    fake.requests.length = 0;
    fake.enqueue({ kind: 'ok', text: foreign });
    const grounded = await runJob(['--dataset', file, '--tenant', 'eval-hotel']);
    expect(grounded.summary).toMatchObject({ passed: 0, failed: 1, degraded: 1 });
    expect(JSON.stringify(fake.requests[0]!.body)).toContain('front desk');
  });
});
