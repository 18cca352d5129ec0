import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/telemetry/index.js';
import { HitlExpirySweeper, EXPIRY_ACTOR } from '../../shared/hitl/index.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startOrchestratorHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

interface Task {
  task_id: string;
  call_id: string;
  status: string;
  draft: { subject: string; body: string; language: string };
  output: unknown;
  edited: boolean;
  reason: string | null;
  decided_by: string | null;
  created_at: string;
  expires_at: string;
}

/**
 * Human review through the HTTP API of the orchestrator app (in process), the deterministic provider
 * drafting guest messages, real Postgres (or PGlite).
 */
describe('HITL review tasks', () => {
  const run = randomBytes(3).toString('hex');
  const T = (name: string) => `${name}-${run}`;
  let db: TestDatabase;
  let orch: OrchestratorHarness;
  const TTL_SECONDS = 600;

  const api = async (method: string, path: string, tenant: string, body?: unknown, scope = 'hitl.review', subject = 'reviewer-1') =>
    fetch(`${orch.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await orch.token(tenant, scope, subject)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const draft = async (tenant: string, guest = 'Ana') => {
    const res = await api('POST', '/v1/capabilities/notification.guest_message_draft/invoke', tenant, { input: { purpose: 'pre_arrival', guest_name: guest, language: 'en', facts: { checkin: '15:00' } } }, 'ai.invoke');
    expect(res.status).toBe(200);
    return (await res.json()) as { call_id: string; output: Task['draft']; hitl: { task_id: string; status: string } };
  };
  const events = async (tenant: string, type: string) =>
    (await db.pool.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM outbox WHERE ordering_key = $1 AND event_type = $2 ORDER BY id`, [tenant, type])).rows.map((r) => r.payload);

  beforeAll(async () => {
    db = await testDatabase();
    orch = await startOrchestratorHarness({ pool: db.pool, overrides: { 'hitl.taskTtlSeconds': TTL_SECONDS } });
  });
  afterAll(async () => {
    await orch?.close();
    await db?.close();
  });

  it('a hitl capability returns its draft with a real pending task, created with its call and a hitl.task_created event', async () => {
    const tenant = T('t-create');
    const result = await draft(tenant);
    expect(result.hitl).toEqual({ task_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    const res = await api('GET', `/v1/hitl/tasks/${result.hitl.task_id}`, tenant);
    expect(res.status).toBe(200);
    const task = (await res.json()) as Task;
    expect(task).toMatchObject({ task_id: result.hitl.task_id, call_id: result.call_id, status: 'pending', draft: result.output, output: null, edited: false });
    expect(Date.parse(task.expires_at) - Date.parse(task.created_at)).toBeCloseTo(TTL_SECONDS * 1000, -3);
    expect(await events(tenant, 'hitl.task_created')).toEqual([{ task_id: task.task_id, capability: 'notification.guest_message_draft', status: 'pending', call_id: result.call_id, expires_at: expect.any(String) }]);
    const { rows } = await db.pool.query(`SELECT hitl_status FROM ai_calls WHERE call_id = $1`, [result.call_id]);
    expect(rows).toEqual([{ hitl_status: 'pending' }]);
  });

  it('chat completions (plain and streamed) of a hitl capability open a review task too', async () => {
    const tenant = T('t-chat');
    const ask = async (stream: boolean) =>
      fetch(`${orch.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await orch.token(tenant, 'ai.invoke')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'notification.guest_message_draft', stream, messages: [{ role: 'user', content: JSON.stringify({ purpose: 'apology', guest_name: 'Eve', language: 'en', facts: { issue: 'noise' } }) }] }),
      });
    const plain = (await (await ask(false)).json()) as { ai_orchestrator: { hitl: { task_id: string } } };
    const streamed = await (await ask(true)).text();
    const taskIds = [plain.ai_orchestrator.hitl.task_id, ...[...streamed.matchAll(/"task_id":"([0-9a-f-]{36})"/g)].map((m) => m[1])];
    expect(taskIds).toHaveLength(2);
    const { rows } = await db.pool.query(`SELECT task_id::text FROM hitl_tasks WHERE tenant_id = $1 ORDER BY created_at`, [tenant]);
    expect(rows.map((r) => r.task_id)).toEqual(taskIds);
  });

  it('lists newest first with a status filter and cursor pagination; a bad cursor or filter → 400', async () => {
    const tenant = T('t-list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await draft(tenant, `Guest ${i}`)).hitl.task_id);
    expect((await api('POST', `/v1/hitl/tasks/${ids[0]}/approve`, tenant, {})).status).toBe(200);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api('GET', `/v1/hitl/tasks?limit=2${cursor ? `&cursor=${cursor}` : ''}`, tenant);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { tasks: Task[]; next_cursor: string | null };
      expect(page.tasks.length).toBeLessThanOrEqual(2);
      seen.push(...page.tasks.map((t) => t.task_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const pending = (await (await api('GET', '/v1/hitl/tasks?status=pending', tenant)).json()) as { tasks: Task[] };
    expect(pending.tasks.map((t) => t.task_id)).toEqual(ids.slice(1).reverse());
    const approved = (await (await api('GET', '/v1/hitl/tasks?status=approved', tenant)).json()) as { tasks: Task[] };
    expect(approved.tasks.map((t) => t.task_id)).toEqual([ids[0]]);

    const bad = await api('GET', '/v1/hitl/tasks?cursor=bm90LWEtY3Vyc29y', tenant);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await bad.json()).toMatchObject({ code: 'invalid_cursor' });
    expect(await (await api('GET', '/v1/hitl/tasks?status=lost', tenant)).json()).toMatchObject({ code: 'invalid_input' });
    expect(await (await api('GET', '/v1/hitl/tasks?limit=0', tenant)).json()).toMatchObject({ code: 'invalid_input' });
  });

  it('approve with an edit: checked against the output schema, released, audited (who, when, what changed), hitl.task_decided', async () => {
    const tenant = T('t-edit');
    const { hitl, output } = await draft(tenant);
    const invalid = await api('POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, tenant, { output: { ...output, body: '' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'invalid_input', errors: [{ path: '/output' }] });
    expect(((await (await api('GET', `/v1/hitl/tasks/${hitl.task_id}`, tenant)).json()) as Task).status).toBe('pending');

    const edited = { ...output, body: 'Dear Ana, your room will be ready at 14:00.' };
    const res = await api('POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, tenant, { output: edited }, 'hitl.review', 'reviewer-7');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'approved', output: edited, draft: output, edited: true, decided_by: 'reviewer-7' });
    expect(await events(tenant, 'hitl.task_decided')).toEqual([
      expect.objectContaining({ task_id: hitl.task_id, status: 'approved', output: edited, edited: true, decided_by: 'reviewer-7' }),
    ]);
    const audit = await db.pool.query(`SELECT action, actor, draft, final_output, changes, at FROM hitl_audit WHERE task_id = $1`, [hitl.task_id]);
    expect(audit.rows).toEqual([{ action: 'approved', actor: 'reviewer-7', draft: output, final_output: edited, changes: ['/body'], at: expect.any(Date) }]);
    const { rows } = await db.pool.query(`SELECT c.hitl_status FROM ai_calls c JOIN hitl_tasks t ON t.call_id = c.call_id WHERE t.task_id = $1`, [hitl.task_id]);
    expect(rows).toEqual([{ hitl_status: 'approved' }]);
  });

  it('approve as drafted releases the draft; reject needs a reason and releases nothing', async () => {
    const tenant = T('t-decide');
    const a = await draft(tenant);
    expect(await (await api('POST', `/v1/hitl/tasks/${a.hitl.task_id}/approve`, tenant, {})).json()).toMatchObject({ status: 'approved', output: a.output, edited: false });
    const r = await draft(tenant, 'Bo');
    expect(await (await api('POST', `/v1/hitl/tasks/${r.hitl.task_id}/reject`, tenant, {})).json()).toMatchObject({ code: 'invalid_input' });
    const rejected = await api('POST', `/v1/hitl/tasks/${r.hitl.task_id}/reject`, tenant, { reason: 'Wrong check-in time.' });
    expect(await rejected.json()).toMatchObject({ status: 'rejected', output: null, reason: 'Wrong check-in time.' });
    expect((await events(tenant, 'hitl.task_decided')).map((e) => [e.status, e.output, e.reason ?? null])).toEqual([
      ['approved', a.output, null],
      ['rejected', null, 'Wrong check-in time.'],
    ]);
    const audit = await db.pool.query(`SELECT action, changes, reason FROM hitl_audit WHERE tenant_id = $1 ORDER BY id`, [tenant]);
    expect(audit.rows).toEqual([
      { action: 'approved', changes: [], reason: null },
      { action: 'rejected', changes: [], reason: 'Wrong check-in time.' },
    ]);
  });

  it('two reviewers racing: one success, one 409; a decided task cannot be decided again', async () => {
    const tenant = T('t-race');
    const { hitl } = await draft(tenant);
    const [x, y] = await Promise.all([
      api('POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, tenant, {}, 'hitl.review', 'alice'),
      api('POST', `/v1/hitl/tasks/${hitl.task_id}/reject`, tenant, { reason: 'no' }, 'hitl.review', 'bob'),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const loser = x.status === 409 ? x : y;
    expect(await loser.json()).toMatchObject({ code: 'hitl_task_already_decided' });
    expect(await events(tenant, 'hitl.task_decided')).toHaveLength(1);
    const again = await api('POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, tenant, {});
    expect(again.status).toBe(409);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM hitl_audit WHERE task_id = $1`, [hitl.task_id]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('expiry: a due task cannot be decided (409); the leased sweeper expires it once, with its event and audit row', async () => {
    const tenant = T('t-expire');
    const { hitl, call_id } = await draft(tenant);
    await db.pool.query(`UPDATE hitl_tasks SET expires_at = now() - interval '1 second' WHERE task_id = $1`, [hitl.task_id]);
    const late = await api('POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, tenant, {});
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: 'hitl_task_expired' });

    const settings = { pool: db.pool, logger: createLogger({ level: 'silent' }), topics: orch.config.events.topics, source: orch.config.events.source, intervalMs: 60_000 };
    const leader = new HitlExpirySweeper({ ...settings, holderId: 'sweeper-a' });
    const other = new HitlExpirySweeper({ ...settings, holderId: 'sweeper-b' });
    expect(await leader.runOnce()).toBeGreaterThanOrEqual(1);
    // Another instance does not hold the lease: it sweeps nothing while the leader lives; the leader does.
    const second = await draft(tenant, 'Cy');
    await db.pool.query(`UPDATE hitl_tasks SET expires_at = now() - interval '1 second' WHERE task_id = $1`, [second.hitl.task_id]);
    expect(await other.runOnce()).toBe(0);
    expect(await leader.runOnce()).toBe(1);
    // Once the leader stops (its lease released), the other takes over.
    await leader.stop();
    const third = await draft(tenant, 'Di');
    await db.pool.query(`UPDATE hitl_tasks SET expires_at = now() - interval '1 second' WHERE task_id = $1`, [third.hitl.task_id]);
    expect(await other.runOnce()).toBe(1);
    await other.stop();

    const task = (await (await api('GET', `/v1/hitl/tasks/${hitl.task_id}`, tenant)).json()) as Task;
    expect(task).toMatchObject({ status: 'expired', output: null, decided_by: EXPIRY_ACTOR });
    const expired = await events(tenant, 'hitl.task_expired');
    expect(expired.map((e) => e.task_id)).toEqual([hitl.task_id, second.hitl.task_id, third.hitl.task_id]);
    expect(expired[0]).toEqual({ task_id: hitl.task_id, capability: 'notification.guest_message_draft', status: 'expired', expired_at: expect.any(String), call_id });
    const audit = await db.pool.query(`SELECT action, actor FROM hitl_audit WHERE task_id = $1`, [hitl.task_id]);
    expect(audit.rows).toEqual([{ action: 'expired', actor: EXPIRY_ACTOR }]);
    expect((await api('POST', `/v1/hitl/tasks/${hitl.task_id}/reject`, tenant, { reason: 'late' })).status).toBe(409);
  });

  it('tenant isolation: another tenant sees none of the tasks and cannot decide them (404); no scope → 403', async () => {
    const owner = T('t-owner');
    const intruder = T('t-intruder');
    const { hitl } = await draft(owner);
    expect(((await (await api('GET', '/v1/hitl/tasks', intruder)).json()) as { tasks: Task[] }).tasks).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/hitl/tasks/${hitl.task_id}`, undefined],
      ['POST', `/v1/hitl/tasks/${hitl.task_id}/approve`, {}],
      ['POST', `/v1/hitl/tasks/${hitl.task_id}/reject`, { reason: 'mine now' }],
    ] as const) {
      const res = await api(method, path, intruder, body);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'hitl_task_not_found' });
    }
    expect(((await (await api('GET', `/v1/hitl/tasks/${hitl.task_id}`, owner)).json()) as Task).status).toBe('pending');
    expect((await api('GET', `/v1/hitl/tasks/${randomUUID()}`, owner)).status).toBe(404);
    expect((await api('GET', '/v1/hitl/tasks/not-a-uuid', owner)).status).toBe(404);
    const noScope = await api('GET', '/v1/hitl/tasks', owner, undefined, 'ai.invoke');
    expect(noScope.status).toBe(403);
    expect(await noScope.json()).toMatchObject({ code: 'insufficient_scope' });
  });
});
