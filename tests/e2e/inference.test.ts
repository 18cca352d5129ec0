import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-vendor/server.js';
import { DEFAULT_TEXT } from '../fakes/http-fake.js';
import { startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

/**
 * The inference path end to end: the built service as a process, the OpenAI wire fake as its only
 * vendor (Vertex and Anthropic unconfigured, the deterministic provider last), driven by real clients.
 */
describe('inference path (service + OpenAI wire fake)', () => {
  // Redis outlives a test run (and its cache, limits and counters with it): tenants are unique per run.
  const run = randomBytes(3).toString('hex');
  const T = (name: string) => `${name}-${run}`;
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  let db: TestDatabase;
  let fake: FakeOpenAi;
  let svc: RunningService;
  const token = (tenant: string, scope = 'ai.invoke ai.admin') => mintDevToken({ dataDir: svc.dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience });
  const client = async (tenant: string) => new OpenAI({ apiKey: await token(tenant), baseURL: `${svc.url}/v1`, maxRetries: 0 });
  const invoke = async (tenant: string, capability: string, input: unknown, headers: Record<string, string> = {}) =>
    fetch(`${svc.url}/v1/capabilities/${capability}/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(tenant)}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ input }),
    });
  const policyQuestion = (q: string) => ({ question: q, language: 'en' });

  beforeAll(async () => {
    db = await testDatabase();
    fake = await startFakeOpenAi();
    svc = await startService({
      env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '', OPENAI_API_KEY: 'sk-test-platform', OPENAI_BASE_URL: `${fake.url}/v1` },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await fake?.stop();
    await db?.close();
  });

  it('GET /v1/capabilities lists the shipped capabilities; without ai.invoke → 403', async () => {
    const res = await fetch(`${svc.url}/v1/capabilities`, { headers: { authorization: `Bearer ${await token(T('t-list'))}` } });
    const body = (await res.json()) as { capabilities: Array<{ key: string; hitl: boolean }> };
    expect(body.capabilities.map((c) => c.key)).toEqual(['reservation.upsell_offer', 'notification.guest_message_draft', 'support.policy_answer']);
    const denied = await fetch(`${svc.url}/v1/capabilities`, { headers: { authorization: `Bearer ${await token(T('t-list'), 'ai.admin')}` } });
    expect(denied.status).toBe(403);
  });

  it('unknown capability → 404, invalid input → 400 naming the field', async () => {
    const unknown = await invoke(T('t-bad'), 'nope.nothing', {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown_capability' });
    const invalid = await invoke(T('t-bad'), 'support.policy_answer', { question: 'x', language: 'english' });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { code: string; errors: Array<{ path: string }> };
    expect(body.code).toBe('invalid_input');
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/question', '/language']));
  });

  it('the openai SDK calls chat completions (plain) and gets the capability output from the vendor', async () => {
    const before = fake.requests.length;
    const openai = await client(T('t-sdk'));
    const completion = await openai.chat.completions.create({ model: 'support.policy_answer', messages: [{ role: 'user', content: JSON.stringify(policyQuestion('When is check-in?')) }] });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual(JSON.parse(DEFAULT_TEXT));
    expect(completion.usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 17 });
    expect((completion as unknown as { ai_orchestrator: { provider: string; degraded: boolean } }).ai_orchestrator).toMatchObject({ provider: 'openai', degraded: false });
    expect(fake.requests.length).toBe(before + 1);
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-test-platform');
    expect(sent.body.model).toBe('gpt-4.1-mini');
  });

  it('the openai SDK streams chat completions: the deltas rebuild the output, usage arrives last', async () => {
    const openai = await client(T('t-sdk'));
    const stream = await openai.chat.completions.create({ model: 'support.policy_answer', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: JSON.stringify(policyQuestion('Is breakfast included?')) }] });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(JSON.parse(text)).toEqual(JSON.parse(DEFAULT_TEXT));
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 17 });
    // A streamed call is recorded with its real cost, never zero.
    const { rows } = await db.pool.query<{ cost_micros: number }>(`SELECT cost_micros FROM ai_calls WHERE tenant_id = $1 AND channel = 'chat' ORDER BY created_at DESC LIMIT 1`, [T('t-sdk')]);
    expect(rows[0]!.cost_micros).toBeGreaterThan(0);
  });

  it('a stream that breaks after the first tokens ends with an error, not a clean truncated success', async () => {
    fake.enqueue({ kind: 'break', chunks: 2 });
    const openai = await client(T('t-break'));
    const stream = await openai.chat.completions.create({ model: 'support.policy_answer', stream: true, messages: [{ role: 'user', content: JSON.stringify(policyQuestion('Where can I park?')) }] });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    const { rows } = await db.pool.query<{ status: string; cost_micros: number }>(`SELECT status, cost_micros FROM ai_calls WHERE tenant_id = $1`, [T('t-break')]);
    expect(rows).toEqual([{ status: 'failed', cost_micros: expect.any(Number) }]);
    expect(rows[0]!.cost_micros).toBeGreaterThan(0);
  });

  it('a caller that hangs up mid-stream leaves the service serving, and the call is still recorded and charged', async () => {
    // The provider keeps streaming after the caller left: the service writes on into a closed response.
    fake.enqueue({ kind: 'paced', paceMs: 40 });
    const openai = await client(T('t-hangup'));
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'support.policy_answer', stream: true, messages: [{ role: 'user', content: JSON.stringify(policyQuestion('Can I bring my dog?')) }] },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _chunk of stream) {
        chunks += 1;
        controller.abort();
      }
    } catch {
      // The SDK may end the iteration quietly or throw its abort error.
    }
    // The role chunk and the first delta may arrive together; the rest come 40 ms apart, after the hang-up.
    expect(chunks).toBeLessThanOrEqual(2);
    let rows: Array<{ status: string; cost_micros: number }> = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      ({ rows } = await db.pool.query<{ status: string; cost_micros: number }>(`SELECT status, cost_micros FROM ai_calls WHERE tenant_id = $1`, [T('t-hangup')]));
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual([{ status: 'completed', cost_micros: expect.any(Number) }]);
    expect(rows[0]!.cost_micros).toBeGreaterThan(0);
    const after = await invoke(T('t-hangup'), 'support.policy_answer', policyQuestion('And my cat?'));
    expect(after.status).toBe(200);
  });

  it('the openai SDK creates embeddings (768 dimensions, one per input)', async () => {
    const openai = await client(T('t-sdk'));
    const res = await openai.embeddings.create({ model: 'text-embedding-005', input: ['pets policy', 'late checkout'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding).toHaveLength(768);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('the cache serves a repeat for free, and never to another tenant', async () => {
    const input = policyQuestion('What is the cancellation policy?');
    const before = fake.requests.length;
    const first = (await (await invoke(T('t-cache-a'), 'support.policy_answer', input)).json()) as { cache_hit: boolean; usage: { cost_micros: number }; call_id: string };
    const second = (await (await invoke(T('t-cache-a'), 'support.policy_answer', input)).json()) as { cache_hit: boolean; usage: { cost_micros: number }; call_id: string };
    const other = (await (await invoke(T('t-cache-b'), 'support.policy_answer', input)).json()) as { cache_hit: boolean };
    expect(first.cache_hit).toBe(false);
    expect(first.usage.cost_micros).toBeGreaterThan(0);
    expect(second).toMatchObject({ cache_hit: true, usage: { cost_micros: 0 } });
    expect(second.call_id).not.toBe(first.call_id);
    expect(other.cache_hit).toBe(false);
    expect(fake.requests.length).toBe(before + 2);
    const { rows } = await db.pool.query(`SELECT cache_hit, cost_micros FROM ai_calls WHERE tenant_id = $1 ORDER BY created_at`, [T('t-cache-a')]);
    expect(rows).toEqual([
      { cache_hit: false, cost_micros: first.usage.cost_micros },
      { cache_hit: true, cost_micros: 0 },
    ]);
  });

  it('20 concurrent requests with one Idempotency-Key: one provider call, one answer; another body → 409', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'ok', latencyMs: 150 });
    const input = policyQuestion('Do you have a gym?');
    const responses = await Promise.all(Array.from({ length: 20 }, () => invoke(T('t-idem'), 'support.policy_answer', input, { 'idempotency-key': 'order-42' })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { call_id: string }).call_id)));
    expect(ids.size).toBe(1);
    expect(fake.requests.length).toBe(before + 1);
    const conflict = await invoke(T('t-idem'), 'support.policy_answer', policyQuestion('Do you have a pool?'), { 'idempotency-key': 'order-42' });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 'idempotency_key_reused' });
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = $1`, [T('t-idem')]);
    expect(rows[0]!.n).toBe(1);
  });

  it('the vendor failing (500) falls through to the deterministic answer, marked degraded', async () => {
    fake.enqueue({ kind: 'status', status: 500 });
    const res = await invoke(T('t-fallback'), 'reservation.upsell_offer', { reservation: { room_type: 'double', nights: 2, guests: 2, arrival_date: '2026-12-01' }, guest: { tier: 'silver' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { provider: string; degraded: boolean; output: { offers: unknown[] } };
    expect(body).toMatchObject({ provider: 'deterministic', degraded: true });
    expect(body.output.offers.length).toBeGreaterThan(0);
  });

  it('a HITL capability returns its draft as pending review and records it', async () => {
    fake.enqueue({ kind: 'ok', text: JSON.stringify({ subject: 'Welcome', body: 'Dear Ana, see you soon.', language: 'en' }) });
    const res = await invoke(T('t-hitl'), 'notification.guest_message_draft', { purpose: 'pre_arrival', guest_name: 'Ana', language: 'en', facts: { checkin: '15:00' } });
    expect(await res.json()).toMatchObject({ provider: 'openai', hitl: { status: 'pending' } });
    const { rows } = await db.pool.query(`SELECT hitl_status, output FROM ai_calls WHERE tenant_id = $1`, [T('t-hitl')]);
    expect(rows).toEqual([{ hitl_status: 'pending', output: { subject: 'Welcome', body: 'Dear Ana, see you soon.', language: 'en' } }]);
  });

  it('flags: a capability turned off for a tenant is hidden and refused; a provider turned off is skipped', async () => {
    const put = async (tenant: string, scope: string, flags: unknown[]) =>
      fetch(`${svc.url}/admin/flags`, { method: 'PUT', headers: { authorization: `Bearer ${await token(tenant, scope)}`, 'content-type': 'application/json' }, body: JSON.stringify({ flags }) });
    expect((await put(T('t-flags'), 'ai.admin', [{ key: 'capability:reservation.upsell_offer', enabled: false }, { key: 'provider:openai', enabled: false }])).status).toBe(200);
    const list = (await (await fetch(`${svc.url}/v1/capabilities`, { headers: { authorization: `Bearer ${await token(T('t-flags'))}` } })).json()) as { capabilities: Array<{ key: string }> };
    expect(list.capabilities.map((c) => c.key)).not.toContain('reservation.upsell_offer');
    const refused = await invoke(T('t-flags'), 'reservation.upsell_offer', { reservation: { room_type: 'double', nights: 1, guests: 1, arrival_date: '2026-12-01' }, guest: { tier: 'standard' } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'capability_disabled' });
    const before = fake.requests.length;
    const degraded = await invoke(T('t-flags'), 'support.policy_answer', policyQuestion('Is there a sauna?'));
    expect(await degraded.json()).toMatchObject({ provider: 'deterministic', degraded: true });
    expect(fake.requests.length).toBe(before);
    // Another tenant is not affected.
    expect(await (await invoke(T('t-flags-other'), 'support.policy_answer', policyQuestion('Is there a sauna?'))).json()).toMatchObject({ provider: 'openai' });
    // A tenant admin cannot lift its own rate limits.
    const lift = await put(T('t-flags'), 'ai.admin', [{ key: 'rate_limits', enabled: true, value: { requestsPerMinute: 1_000_000 } }]);
    expect(lift.status).toBe(403);
    expect(await lift.json()).toMatchObject({ code: 'flag_forbidden' });
  });

  it('over the tenant requests-per-minute limit → 429 with Retry-After', async () => {
    const set = await fetch(`${svc.url}/admin/flags`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(T('platform'), 'platform.admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flags: [{ key: 'rate_limits', tenant_id: T('t-limited'), enabled: true, value: { requestsPerMinute: 3 } }] }),
    });
    expect(set.status).toBe(200);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await invoke(T('t-limited'), 'support.policy_answer', policyQuestion(`Limit ${i}?`));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited!.json()).toMatchObject({ code: 'rate_limited' });
  });

  it('a cached answer is not served past the rate limit (a capability without retrieval looks it up during admission)', async () => {
    const tenant = T('t-limited-hit');
    const set = await fetch(`${svc.url}/admin/flags`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(T('platform'), 'platform.admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flags: [{ key: 'rate_limits', tenant_id: tenant, enabled: true, value: { requestsPerMinute: 2 } }] }),
    });
    expect(set.status).toBe(200);
    const input = { reservation: { room_type: 'DLX', nights: 2, guests: 2, arrival_date: '2027-05-01' }, guest: { tier: 'gold' } };
    const before = fake.requests.length;
    fake.enqueue({ kind: 'ok', text: JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Keep the room until 14:00.' }], reason: 'Gold guests value a slow morning.' }) });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await invoke(tenant, 'reservation.upsell_offer', input);
      answers.push({ status: res.status, body: (await res.json()) as { cache_hit?: boolean; code?: string } });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers.map((a) => a.body.cache_hit ?? a.body.code)).toEqual([false, true, 'rate_limited']);
    expect(fake.requests.length).toBe(before + 1);
    const { rows } = await db.pool.query(`SELECT cache_hit FROM ai_calls WHERE tenant_id = $1 ORDER BY created_at`, [tenant]);
    expect(rows).toEqual([{ cache_hit: false }, { cache_hit: true }]);
  });

  // A capability without retrieval reserves its budget with the rate-limit check and the cache lookup (one
  // round trip); a call turned away or answered from the cache gives that reservation back.
  const budgetState = async (tenant: string) => {
    const res = await fetch(`${svc.url}/admin/tenants/${tenant}/budgets`, { headers: { authorization: `Bearer ${await token(tenant)}` } });
    const { budgets } = (await res.json()) as { budgets: Array<{ period: string; capability: string | null; spent_micros: number; reserved_micros: number }> };
    return budgets.find((b) => b.period === 'daily' && b.capability === null)!;
  };
  const setDailyBudget = async (tenant: string, limitMicros: number) => {
    const put = await fetch(`${svc.url}/admin/tenants/${tenant}/budgets`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(tenant)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ budgets: [{ period: 'daily', capability: null, limit_micros: limitMicros }] }),
    });
    expect(put.status).toBe(200);
  };
  const upsell = (room: string) => ({ reservation: { room_type: room, nights: 2, guests: 2, arrival_date: '2027-06-01' }, guest: { tier: 'gold' } });
  const UPSELL_TEXT = JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Keep the room until 14:00.' }], reason: 'Gold guests value a slow morning.' });
  // The after-answer release may trail the answer by a round trip: wait for the counter to settle.
  const settledBudget = async (tenant: string) => {
    let state = await budgetState(tenant);
    for (let i = 0; i < 50 && state.reserved_micros !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = await budgetState(tenant);
    }
    return state;
  };

  it('a cache hit and a rate-limited call give back the reservation made with their admission: nothing stays reserved or charged', async () => {
    const tenant = T('t-early-reserve');
    await setDailyBudget(tenant, 1_000_000);
    const set = await fetch(`${svc.url}/admin/flags`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(T('platform'), 'platform.admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flags: [{ key: 'rate_limits', tenant_id: tenant, enabled: true, value: { requestsPerMinute: 2 } }] }),
    });
    expect(set.status).toBe(200);
    fake.enqueue({ kind: 'ok', text: UPSELL_TEXT });
    const miss = (await (await invoke(tenant, 'reservation.upsell_offer', upsell('EARLY'))).json()) as { usage: { cost_micros: number } };
    const hit = await invoke(tenant, 'reservation.upsell_offer', upsell('EARLY'));
    expect(await hit.json()).toMatchObject({ cache_hit: true });
    const limited = await invoke(tenant, 'reservation.upsell_offer', upsell('EARLY-2'));
    expect(limited.status).toBe(429);
    expect(await settledBudget(tenant)).toMatchObject({ spent_micros: miss.usage.cost_micros, reserved_micros: 0 });
  });

  it('a cached answer is served even when the budget could not cover a new call (its early reservation refused)', async () => {
    const tenant = T('t-early-exhausted');
    await setDailyBudget(tenant, 1_000_000);
    fake.enqueue({ kind: 'ok', text: UPSELL_TEXT });
    expect((await invoke(tenant, 'reservation.upsell_offer', upsell('CACHED'))).status).toBe(200);
    await setDailyBudget(tenant, 1);
    const hit = await invoke(tenant, 'reservation.upsell_offer', upsell('CACHED'));
    expect(hit.status).toBe(200);
    expect(await hit.json()).toMatchObject({ cache_hit: true, usage: { cost_micros: 0 } });
    const miss = await invoke(tenant, 'reservation.upsell_offer', upsell('NOT-CACHED'));
    expect(miss.status).toBe(402);
    expect(await miss.json()).toMatchObject({ code: 'budget_exhausted' });
    expect((await settledBudget(tenant)).reserved_micros).toBe(0);
  });

  it('20 concurrent requests with one Idempotency-Key against a budget that fits one call: all answered, one provider call', async () => {
    const tenant = T('t-idem-budget');
    await setDailyBudget(tenant, 1_000_000);
    // One call's worst case: what a slow call holds reserved while it runs.
    fake.enqueue({ kind: 'ok', text: UPSELL_TEXT, latencyMs: 300 });
    const measuring = invoke(tenant, 'reservation.upsell_offer', upsell('MEASURE'));
    let worstCase = 0;
    for (let i = 0; i < 100 && worstCase === 0; i++) {
      worstCase = (await budgetState(tenant)).reserved_micros;
      if (worstCase === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect((await measuring).status).toBe(200);
    expect(worstCase).toBeGreaterThan(0);
    // Room for one worst case, not two: a duplicate that reserved before waiting for the first would be refused.
    await setDailyBudget(tenant, (await settledBudget(tenant)).spent_micros + Math.floor(worstCase * 1.5));
    const before = fake.requests.length;
    fake.enqueue({ kind: 'ok', text: UPSELL_TEXT, latencyMs: 150 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => invoke(tenant, 'reservation.upsell_offer', upsell('IDEM'), { 'idempotency-key': 'upsell-7' })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(fake.requests.length).toBe(before + 1);
  });

  it('200 concurrent invokes without retrieval (reserved during admission) against a tight budget: never overspent, exactly the successes charged', async () => {
    const tenant = T('t-budget-upsell');
    // Within the capability's bounds (its prompt's size, 512 output tokens), as a real vendor's usage is.
    const usage = { input: 100, output: 500 };
    fake.enqueue(...Array.from({ length: 200 }, () => ({ kind: 'ok' as const, usage, text: UPSELL_TEXT })));
    const perCall = Math.ceil((100 * 400_000) / 1e6) + Math.ceil((500 * 1_600_000) / 1e6);
    const limit = 50 * perCall;
    await setDailyBudget(tenant, limit);
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => invoke(tenant, 'reservation.upsell_offer', upsell(`ROOM-${i}`))));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string; usage?: { cost_micros: number } } })));
    const ok = bodies.filter((b) => b.status === 200);
    expect(bodies.filter((b) => b.status === 402).length + ok.length).toBe(200);
    expect(bodies.filter((b) => b.status === 402).every((b) => b.body.code === 'budget_exhausted')).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    const charged = ok.reduce((sum, b) => sum + (b.body.usage?.cost_micros ?? 0), 0);
    expect(charged).toBeLessThanOrEqual(limit);
    const ledger = await db.pool.query<{ spent: number }>(`SELECT spent_micros AS spent FROM budget_periods WHERE tenant_id = $1 AND capability = '*' AND period = 'daily'`, [tenant]);
    expect(ledger.rows[0]!.spent).toBe(charged);
    expect(await settledBudget(tenant)).toMatchObject({ spent_micros: charged, reserved_micros: 0 });
    fake.discardQueued(); // the refused calls never reached the vendor
  });

  it('200 concurrent invokes against a budget that fits about 50: never overspent, exactly the successes charged', async () => {
    const tenant = T('t-budget');
    // Each answer costs about its worst case (large usage), so the limit binds on real spend.
    const usage = { input: 300, output: 700 };
    fake.enqueue(...Array.from({ length: 200 }, () => ({ kind: 'ok' as const, usage })));
    const perCall = Math.ceil((300 * 400_000) / 1e6) + Math.ceil((700 * 1_600_000) / 1e6);
    const limit = 50 * perCall;
    const put = await fetch(`${svc.url}/admin/tenants/${tenant}/budgets`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await token(tenant)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ budgets: [{ period: 'daily', capability: null, limit_micros: limit }] }),
    });
    expect(put.status).toBe(200);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => invoke(tenant, 'support.policy_answer', policyQuestion(`Question number ${i}?`))),
    );
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string; provider?: string; usage?: { cost_micros: number } } })));
    const ok = bodies.filter((b) => b.status === 200);
    const refused = bodies.filter((b) => b.status === 402);
    expect(ok.length + refused.length).toBe(200);
    expect(refused.every((b) => b.body.code === 'budget_exhausted')).toBe(true);
    expect(ok.length).toBeGreaterThan(30);
    expect(ok.length).toBeLessThanOrEqual(50);
    const charged = ok.reduce((sum, b) => sum + (b.body.usage?.cost_micros ?? 0), 0);
    const ledger = await db.pool.query<{ spent: number }>(`SELECT spent_micros AS spent FROM budget_periods WHERE tenant_id = $1 AND capability = '*' AND period = 'daily'`, [tenant]);
    expect(ledger.rows[0]!.spent).toBe(charged);
    expect(charged).toBeLessThanOrEqual(limit);
    const calls = await db.pool.query<{ n: number; cost: number }>(`SELECT count(*)::int AS n, coalesce(sum(cost_micros), 0)::bigint AS cost FROM ai_calls WHERE tenant_id = $1 AND status = 'completed'`, [tenant]);
    expect(calls.rows[0]).toEqual({ n: ok.length, cost: charged });
  });
});
