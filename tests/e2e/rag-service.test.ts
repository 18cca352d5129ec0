import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-vendor/server.js';
import { startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { copyCorpus, CORPUS_FILES } from '../fixtures/rag/corpus.js';

interface JobRun {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

/**
 * RAG end to end: the built rag-ingestor job (a process) writes a tenant's corpus, the built orchestrator
 * (a process, the OpenAI wire fake as its vendor) searches it over HTTP and grounds support.policy_answer.
 */
describe('rag-ingestor job + /v1/rag/search + grounded support.policy_answer', () => {
  const run = randomBytes(3).toString('hex');
  const tenant = `rag-a-${run}`;
  const other = `rag-b-${run}`;
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  let db: TestDatabase;
  let fake: FakeOpenAi;
  let svc: RunningService;
  let corpus: string;
  const jobDataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-ingest-'));

  const job = (args: string[], env: Record<string, string> = {}): Promise<JobRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['dist/jobs/rag-ingestor/main.js', ...args], {
        env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'info', DATA_DIR: jobDataDir, DATABASE_URL: db.url, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr, lines: stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) }));
    });
  const summaryOf = (r: JobRun) => r.lines.find((l) => l.message === 'ingest finished');
  const token = (t: string, scope = 'ai.invoke') => mintDevToken({ dataDir: svc.dataDir, tenant: t, scope, issuer: config.auth.issuer, audience: config.auth.audience });
  const post = async (p: string, body: unknown, auth: string | null) =>
    fetch(`${svc.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });
  const search = async (t: string, body: unknown) => post('/v1/rag/search', body, await token(t));
  const ask = async (question: string) => (await post('/v1/capabilities/support.policy_answer/invoke', { input: { question, language: 'en' } }, await token(tenant))).json() as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    db = await testDatabase();
    corpus = copyCorpus({ corruptPdf: true });
    fake = await startFakeOpenAi();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1` } });
  });
  afterAll(async () => {
    await svc?.stop();
    await fake?.stop();
    await db?.close();
    rmSync(corpus, { recursive: true, force: true });
    rmSync(jobDataDir, { recursive: true, force: true });
  });

  it('the job ingests the corpus, reports the corrupt PDF, exits 0 with a summary; a re-run embeds nothing', async () => {
    const first = await job(['--tenant', tenant, '--corpus', 'policies', '--source', corpus]);
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first)).toMatchObject({ added: CORPUS_FILES, updated: 0, unchanged: 0, deleted: 0, failed: 1, embedder: 'local:hashing-768', failures: [{ uri: expect.stringMatching(/corrupt\.pdf$/), reason: expect.stringMatching(/unreadable PDF/) }] });
    expect(first.lines.some((l) => l.message === 'progress' && l.done === CORPUS_FILES + 1)).toBe(true);
    const second = await job(['--tenant', tenant, '--corpus', 'policies', '--source', corpus]);
    expect(second.code).toBe(0);
    expect(summaryOf(second)).toMatchObject({ added: 0, unchanged: CORPUS_FILES, chunks: 0, embedded: 0 });
  });

  it('the job exits 64 on bad arguments and 1 when the source does not exist', async () => {
    const usage = await job(['--tenant', tenant, '--corpus', 'policies']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('usage: npm run job:ingest');
    const missing = await job(['--tenant', tenant, '--corpus', 'policies', '--source', path.join(corpus, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.lines.find((l) => l.severity === 'ERROR')?.message).toMatch(/ingest failed: no such file or directory/);
    const shard = await job(['--tenant', tenant, '--corpus', 'policies', '--source', corpus], { CLOUD_RUN_TASK_INDEX: '2', CLOUD_RUN_TASK_COUNT: '2' });
    expect(shard.code).toBe(64);
  });

  it('POST /v1/rag/search returns the tenant’s best chunks with document and heading path; never another tenant’s', async () => {
    const res = await search(tenant, { query: 'Can I bring my dog, and what does it cost?', top_k: 3 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ chunk_id: string; score: number; text: string; heading_path: string[]; document: { id: string; source_uri: string; title: string } }> };
    expect(body.results).toHaveLength(3);
    const dogs = body.results.find((r) => r.text.includes('EUR 20 per dog and night'));
    expect(dogs).toMatchObject({ heading_path: ['Pet policy', 'Dogs'], document: { title: 'Pet policy', source_uri: expect.stringMatching(/pets\.md$/) } });
    expect(body.results[0]!.score).toBeGreaterThan(0);
    const foreign = await search(other, { query: 'Can I bring my dog, and what does it cost?' });
    expect(await foreign.json()).toEqual({ results: [] });
    const faq = await search(tenant, { query: 'dog', corpus: 'faq' });
    expect(await faq.json()).toEqual({ results: [] });
  });

  it('searches run on connections of their own (their session settings stay off the ones that record calls)', async () => {
    // PGlite serves every connection from one session: there is no other session to keep them off.
    if (inject('templateDatabase') === null) return;
    expect((await search(tenant, { query: 'dog' })).status).toBe(200);
    const { rows } = await db.pool.query<{ name: string }>(
      `SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'orchestrator%' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(['orchestrator', 'orchestrator-search']);
  });

  it('POST /v1/rag/search: 400 for a bad body, 401 without a token, 403 without ai.invoke', async () => {
    for (const body of [{}, { query: '' }, { query: 'x', top_k: 0 }, { query: 'x', top_k: 51 }, { query: 'x', corpus: 'Bad Corpus' }, { query: 'x', tenant: 'other' }]) {
      const res = await search(tenant, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'invalid_input' });
    }
    expect((await post('/v1/rag/search', { query: 'x' }, null)).status).toBe(401);
    const denied = await post('/v1/rag/search', { query: 'x' }, await token(tenant, 'ai.admin'));
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'insufficient_scope' });
  });

  it('support.policy_answer puts the top chunks into the prompt and returns the citations the model gave', async () => {
    const question = 'Are cats allowed?';
    const hits = (await (await search(tenant, { query: question, top_k: 5 })).json()) as { results: Array<{ chunk_id: string; text: string }> };
    const cats = hits.results.find((r) => r.text.includes('Cats, birds'))!;
    fake.enqueue({ kind: 'ok', text: JSON.stringify({ answer: 'No, cats are not accepted.', citations: [cats.chunk_id] }) });
    const before = fake.requests.length;
    const result = await ask(question);
    expect(result).toMatchObject({ provider: 'openai', degraded: false, cache_hit: false, output: { citations: [cats.chunk_id] }, citations: [cats.chunk_id] });
    expect(fake.requests.length).toBe(before + 1);
    const sent = JSON.stringify(fake.requests.at(-1)!.body.messages);
    expect(sent).toContain(`[${cats.chunk_id}] Pet policy › Other animals`);
    expect(sent).toContain('Cats, birds and other pets are not accepted');
    // The same question with the same passages: served from the cache.
    expect(await ask(question)).toMatchObject({ cache_hit: true, citations: [cats.chunk_id] });
  });

  it('an answer citing a chunk it was not given is invalid output: the chain moves on (here to the deterministic answer)', async () => {
    fake.enqueue({ kind: 'ok', text: JSON.stringify({ answer: 'Yes, by policy 7.', citations: ['policy-7'] }) });
    const before = fake.requests.length;
    const result = await ask('Is there a gym in the hotel?');
    expect(fake.requests.length).toBe(before + 1);
    expect(result).toMatchObject({ provider: 'deterministic', degraded: true, output: { citations: [] }, citations: [] });
    const { rows } = await db.pool.query<{ attempts: Array<{ provider: string; outcome: string }> }>(`SELECT attempts FROM ai_calls WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 1`, [tenant]);
    expect(rows[0]!.attempts.filter((a) => !a.outcome.startsWith('skipped')).map((a) => `${a.provider}:${a.outcome}`)).toEqual(['openai:invalid_output', 'deterministic:ok']);
  });

  it('a streamed chat completion of support.policy_answer is grounded the same way', async () => {
    const before = fake.requests.length;
    const res = await post('/v1/chat/completions', { model: 'support.policy_answer', stream: true, messages: [{ role: 'user', content: JSON.stringify({ question: 'How much does parking cost per day?', language: 'en' }) }] }, await token(tenant));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('[DONE]');
    expect(fake.requests.length).toBe(before + 1);
    expect(JSON.stringify(fake.requests.at(-1)!.body.messages)).toContain('EUR 18 per 24 hours');
  });

  it('when the retrieved context changes (a document was re-ingested), the cached answer is not served', async () => {
    const question = 'Are cats allowed?';
    const file = path.join(corpus, 'pets.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Cats, birds and other pets are not accepted', 'Cats, birds and other pets are not accepted (small caged birds excepted)'));
    const rerun = await job(['--tenant', tenant, '--corpus', 'policies', '--source', corpus]);
    expect(summaryOf(rerun)).toMatchObject({ updated: 1, unchanged: CORPUS_FILES - 1 });
    const before = fake.requests.length;
    const result = await ask(question);
    expect(result).toMatchObject({ cache_hit: false, provider: 'openai' });
    expect(fake.requests.length).toBe(before + 1);
    expect(JSON.stringify(fake.requests.at(-1)!.body.messages)).toContain('small caged birds excepted');
  });
});
