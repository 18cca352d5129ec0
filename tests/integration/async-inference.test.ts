import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/telemetry/index.js';
import { LocalEventBus } from '../../shared/events/index.js';
import { handleDelivery, pruneDedupeRows, subscribeLocalCommands } from '../../shared/async-inference/index.js';
import { asyncInferenceDeps } from '../../services/orchestrator/routes/pubsub-push.js';
import { requestHashOf } from '../../shared/idempotency/index.js';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-vendor/server.js';
import { startFakeGoogleOidc, type FakeGoogleOidc } from '../fakes/google-oidc/server.js';
import { pushEnvelope, type PushEnvelope } from '../fakes/pubsub-push-envelope.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { eventually } from '../support/service.js';
import { createPool, type Pool } from '../../shared/db/index.js';
import { startTcpProxy, type TcpProxy } from '../fakes/tcp-proxy.js';
import { startOrchestratorHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

const AUDIENCE = 'https://ai-orchestrator.example.run.app/internal/pubsub/inference-requests';
const EMAIL = 'pubsub-push@melmastoon-test.iam.gserviceaccount.com';
const UPSELL = JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Stay until 2 pm.' }], reason: 'Gold guests value a slow morning.' });
const DRAFT = JSON.stringify({ subject: 'Welcome', body: 'Dear Ana, see you soon.', language: 'en' });

/**
 * The async path in process: the orchestrator app (as main.ts wires it) on a free port, push requests
 * exactly as Pub/Sub sends them with Google-shaped OIDC tokens from a local JWKS, the OpenAI wire fake as
 * the only vendor (the deterministic provider after it), real Postgres (or PGlite) and Redis (or memory).
 */
describe('async inference: Pub/Sub push commands', () => {
  const run = randomBytes(3).toString('hex');
  const T = (name: string) => `${name}-${run}`;
  let db: TestDatabase;
  let fake: FakeOpenAi;
  let google: FakeGoogleOidc;
  let orch: OrchestratorHarness;
  let nights = 1;

  const env = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, PUSH_AUTH_JWKS_URL: google.jwksUrl, PUSH_AUTH_AUDIENCE: AUDIENCE, PUSH_AUTH_EMAIL: EMAIL });
  const upsellCommand = (tenant: string, extra: Record<string, unknown> = {}) => ({
    request_id: randomUUID(),
    tenant_id: tenant,
    capability: 'reservation.upsell_offer',
    // A new input each time: the upsell capability is cached.
    input: { reservation: { room_type: 'double', nights: nights++, guests: 2, arrival_date: '2026-12-24' }, guest: { tier: 'gold' } },
    reply_to: `corr-${randomUUID()}`,
    ...extra,
  });
  const push = async (envelope: PushEnvelope, token?: string, url = orch.url) =>
    fetch(`${url}/internal/pubsub/inference-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token ?? (await google.token())}`, 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
    });
  const register = async (tenant: string, allowedProviders?: string[]) => {
    await db.pool.query('INSERT INTO tenants (tenant_id, allowed_providers) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tenant, allowedProviders ?? null]);
  };
  const events = async (tenant: string, type?: string) =>
    (
      await db.pool.query<{ event_type: string; payload: Record<string, unknown> }>(
        `SELECT event_type, payload FROM outbox WHERE ordering_key = $1 ${type ? 'AND event_type = $2' : ''} ORDER BY id`,
        type ? [tenant, type] : [tenant],
      )
    ).rows;
  const calls = async (tenant: string) => (await db.pool.query(`SELECT status, channel, correlation_id, cost_micros, error_code FROM ai_calls WHERE tenant_id = $1`, [tenant])).rows;

  beforeAll(async () => {
    db = await testDatabase();
    fake = await startFakeOpenAi();
    google = await startFakeGoogleOidc({ audience: AUDIENCE, email: EMAIL });
    orch = await startOrchestratorHarness({ pool: db.pool, env: env() });
  });
  afterAll(async () => {
    await orch?.close();
    await google?.stop();
    await fake?.stop();
    await db?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('a valid push runs the command and answers 200 once its result event (with the correlation id) is in the outbox', async () => {
    const tenant = T('t-ok');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL });
    const command = upsellCommand(tenant);
    const res = await push(pushEnvelope({ data: command }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ outcome: 'completed', request_id: command.request_id });
    expect(fake.requests).toHaveLength(1);
    expect(await calls(tenant)).toEqual([{ status: 'completed', channel: 'async', correlation_id: command.reply_to, cost_micros: expect.any(Number), error_code: null }]);
    const out = await events(tenant, 'inference.completed');
    expect(out).toHaveLength(1);
    expect(out[0]!.payload).toMatchObject({ capability: 'reservation.upsell_offer', provider: 'openai', correlation_id: command.reply_to });
    const { rows } = await db.pool.query(`SELECT outcome, tenant_id, request_id, delivery_attempt FROM processed_messages WHERE request_id = $1`, [command.request_id]);
    expect(rows).toEqual([{ outcome: 'completed', tenant_id: tenant, request_id: command.request_id, delivery_attempt: 1 }]);
  });

  it('the reply_to message attribute is the correlation id when the command has none', async () => {
    const tenant = T('t-attr');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL });
    const { reply_to: _none, ...command } = upsellCommand(tenant);
    expect((await push(pushEnvelope({ data: command, attributes: { reply_to: 'corr-from-attribute' } }))).status).toBe(200);
    expect((await events(tenant, 'inference.completed'))[0]!.payload).toMatchObject({ correlation_id: 'corr-from-attribute' });
  });

  it('forged, expired, wrong-audience, wrong-email or missing tokens → 401/403 and nothing runs', async () => {
    const tenant = T('t-auth');
    await register(tenant);
    const envelope = pushEnvelope({ data: upsellCommand(tenant) });
    const past = Math.floor(Date.now() / 1000) - 7200;
    const cases: Array<[string, number, string]> = [
      [await google.forged(), 401, 'token_signature_invalid'],
      [await google.token({ issuedAt: past, ttlSeconds: 3600 }), 401, 'token_expired'],
      [await google.token({ audience: 'https://other.example/push' }), 401, 'token_claim_invalid'],
      [await google.token({ email: 'someone@else.iam.gserviceaccount.com' }), 403, 'push_sender_forbidden'],
    ];
    for (const [token, status, code] of cases) {
      const res = await push(envelope, token);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code });
    }
    const bare = await fetch(`${orch.url}/internal/pubsub/inference-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
    expect(bare.status).toBe(401);
    expect(fake.requests).toHaveLength(0);
    expect(await events(tenant)).toEqual([]);
    const { rows } = await db.pool.query('SELECT 1 FROM processed_messages WHERE message_id = $1', [envelope.message.messageId]);
    expect(rows).toEqual([]);
  });

  it('the same message delivered 3 times concurrently: one provider call, one charge, one result event', async () => {
    const tenant = T('t-dup');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL, latencyMs: 300 });
    const envelope = pushEnvelope({ data: upsellCommand(tenant) });
    // As Pub/Sub does: a delivery answered 5xx is delivered again (a duplicate may legitimately get 503
    // request_in_progress; so may any delivery on a transient fault), until 2xx or the 5th attempt.
    const deliver = async (): Promise<{ status: number; outcome?: string }> => {
      let last = { status: 0 } as { status: number; outcome?: string };
      for (let attempt = 1; attempt <= 5; attempt++) {
        const res = await push({ ...envelope, deliveryAttempt: attempt });
        last = { status: res.status, ...(res.ok ? { outcome: ((await res.json()) as { outcome: string }).outcome } : {}) };
        if (res.ok) break;
      }
      return last;
    };
    const answers = await Promise.all([deliver(), deliver(), deliver()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.outcome === 'completed').length).toBeLessThanOrEqual(1);
    expect(answers.every((a) => a.outcome === 'completed' || a.outcome === 'duplicate')).toBe(true);
    expect(fake.requests).toHaveLength(1);
    const recorded = await calls(tenant);
    expect(recorded).toHaveLength(1);
    expect(await events(tenant, 'inference.completed')).toHaveLength(1);
    const { rows } = await db.pool.query<{ spent: number }>(`SELECT sum(spent_micros)::bigint AS spent FROM budget_periods WHERE tenant_id = $1 AND period = 'daily' AND capability = '*'`, [tenant]);
    expect(rows[0]!.spent).toBe(recorded[0]!.cost_micros);
    expect(recorded[0]!.cost_micros).toBeGreaterThan(0);

    // A later redelivery of the same message is acknowledged without running again.
    const again = await push({ ...envelope, deliveryAttempt: 2 });
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    expect(fake.requests).toHaveLength(1);
  });

  it('the same request_id re-published as another message is not run again; with another body it fails as request_id_reused', async () => {
    const tenant = T('t-reqid');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL });
    const command = upsellCommand(tenant);
    expect(await (await push(pushEnvelope({ data: command }))).json()).toMatchObject({ outcome: 'completed' });
    expect(await (await push(pushEnvelope({ data: command }))).json()).toEqual({ outcome: 'duplicate', request_id: command.request_id });
    const changed = { ...command, input: { ...command.input, guest: { tier: 'silver' } } };
    expect(await (await push(pushEnvelope({ data: changed }))).json()).toMatchObject({ outcome: 'poison', code: 'request_id_reused' });
    expect(fake.requests).toHaveLength(1);
    expect((await events(tenant)).map((e) => [e.event_type, e.payload.code ?? null])).toEqual([
      ['inference.completed', null],
      ['inference.failed', 'request_id_reused'],
    ]);
  });

  it('poison messages are acknowledged (2xx) with an inference.failed event naming the reason, and never run', async () => {
    const tenant = T('t-poison');
    await register(tenant);
    const good = upsellCommand(tenant);
    const cases: Array<[PushEnvelope, string]> = [
      [pushEnvelope({ rawData: '%%% not base64 %%%', attributes: { reply_to: 'corr-b64' } }), 'invalid_base64'],
      [pushEnvelope({ rawData: Buffer.from('{"request_id": "x", ').toString('base64'), attributes: { reply_to: 'corr-json' } }), 'malformed_json'],
      [pushEnvelope({ data: { ...good, request_id: randomUUID(), input: 'not an object', reply_to: 'corr-schema' } }), 'invalid_command'],
      [pushEnvelope({ data: { ...good, request_id: randomUUID(), capability: 'nope.nothing', reply_to: 'corr-cap' } }), 'unknown_capability'],
      [pushEnvelope({ data: { ...good, request_id: randomUUID(), tenant_id: T('t-never-seen'), reply_to: 'corr-tenant' } }), 'unknown_tenant'],
      [pushEnvelope({ data: { ...good, request_id: randomUUID(), input: { reservation: {} }, reply_to: 'corr-input' } }), 'invalid_input'],
    ];
    for (const [envelope, code] of cases) {
      const res = await push(envelope);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ code });
      // Redelivered anyway (say the ack was lost): acknowledged again, no second event.
      expect((await push(envelope)).status).toBe(200);
    }
    expect(fake.requests).toHaveLength(0);
    const failed = (
      await db.pool.query<{ ordering_key: string; payload: { code: string; reason: string; correlation_id?: string } }>(
        `SELECT ordering_key, payload FROM outbox WHERE event_type = 'inference.failed' AND payload->>'correlation_id' LIKE 'corr-%' AND payload->>'correlation_id' IN ('corr-b64','corr-json','corr-schema','corr-cap','corr-tenant','corr-input') ORDER BY id`,
      )
    ).rows;
    expect(failed.map((e) => [e.payload.code, e.payload.correlation_id])).toEqual([
      ['invalid_base64', 'corr-b64'],
      ['malformed_json', 'corr-json'],
      ['invalid_command', 'corr-schema'],
      ['unknown_capability', 'corr-cap'],
      ['unknown_tenant', 'corr-tenant'],
      ['invalid_input', 'corr-input'],
    ]);
    expect(failed.every((e) => e.payload.reason.length > 0)).toBe(true);
    // Unreadable commands are attributed to no tenant; readable ones to the tenant they name.
    expect(failed.map((e) => e.ordering_key)).toEqual(['_unattributed', '_unattributed', tenant, tenant, T('t-never-seen'), tenant]);
  });

  it('a body that is not a push envelope → 400 problem+json (no message id to acknowledge)', async () => {
    const res = await push({ hello: 'world' } as unknown as PushEnvelope);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_input' });
  });

  it('every provider failing with retryable errors → 503 and nothing recorded; the redelivery succeeds', async () => {
    const tenant = T('t-retry');
    // Residency keeps the deterministic fallback out: OpenAI is the only link this tenant may use.
    await register(tenant, ['openai']);
    fake.enqueue({ kind: 'status', status: 500 });
    const envelope = pushEnvelope({ data: upsellCommand(tenant) });
    const first = await push(envelope);
    expect(first.status).toBe(503);
    expect(await first.json()).toMatchObject({ code: 'transient_failure', cause_code: 'providers_unavailable' });
    expect(await calls(tenant)).toEqual([]);
    expect(await events(tenant)).toEqual([]);

    fake.enqueue({ kind: 'ok', text: UPSELL });
    const second = await push({ ...envelope, deliveryAttempt: 2 });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ outcome: 'completed' });
    expect((await calls(tenant)).map((c) => c.status)).toEqual(['completed']);
    expect((await events(tenant)).map((e) => e.event_type)).toEqual(['inference.completed']);
  });

  it('on the last delivery attempt (dead-letter policy: 5) a retryable failure is answered with inference.failed instead', async () => {
    const tenant = T('t-last');
    await register(tenant, ['openai']);
    fake.enqueue({ kind: 'status', status: 500 });
    const command = upsellCommand(tenant);
    const res = await push(pushEnvelope({ data: command, deliveryAttempt: 5 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'failed' });
    expect((await events(tenant)).map((e) => [e.event_type, e.payload.code, e.payload.correlation_id])).toEqual([['inference.failed', 'providers_unavailable', command.reply_to]]);
  });

  it('budget exhausted is final: 200 with inference.failed budget_exhausted, nothing charged', async () => {
    const tenant = T('t-broke');
    await register(tenant);
    await db.pool.query(`INSERT INTO tenant_budget_limits (tenant_id, capability, period, limit_micros) VALUES ($1, '*', 'daily', 0)`, [tenant]);
    const res = await push(pushEnvelope({ data: upsellCommand(tenant) }));
    expect(await res.json()).toMatchObject({ outcome: 'failed', code: 'budget_exhausted' });
    expect(fake.requests).toHaveLength(0);
    expect((await events(tenant, 'inference.failed')).map((e) => e.payload.code)).toEqual(['budget_exhausted']);
  });

  it('an idempotency_key already used by a synchronous call replays its result: no provider call, a replayed event', async () => {
    const tenant = T('t-idem');
    await register(tenant);
    const command = upsellCommand(tenant, { idempotency_key: 'order-77' });
    fake.enqueue({ kind: 'ok', text: UPSELL });
    const sync = await fetch(`${orch.url}/v1/capabilities/reservation.upsell_offer/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await orch.token(tenant, 'ai.invoke')}`, 'content-type': 'application/json', 'idempotency-key': 'order-77' },
      body: JSON.stringify({ input: command.input }),
    });
    const first = (await sync.json()) as { call_id: string };
    expect(fake.requests).toHaveLength(1);
    expect(await (await push(pushEnvelope({ data: command }))).json()).toMatchObject({ outcome: 'completed' });
    expect(fake.requests).toHaveLength(1);
    const completed = await events(tenant, 'inference.completed');
    expect(completed).toHaveLength(2);
    expect(completed[1]!.payload).toMatchObject({ call_id: first.call_id, replayed: true, cost_micros: 0, correlation_id: command.reply_to, request_id: command.request_id });
  });

  it('a HITL capability: the draft waits for review, its task carries the correlation id', async () => {
    const tenant = T('t-hitl');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: DRAFT });
    const command = { request_id: randomUUID(), tenant_id: tenant, capability: 'notification.guest_message_draft', input: { purpose: 'pre_arrival', guest_name: 'Ana', language: 'en', facts: { checkin: '15:00' } }, reply_to: 'corr-draft' };
    expect(await (await push(pushEnvelope({ data: command }))).json()).toMatchObject({ outcome: 'completed' });
    expect((await events(tenant)).map((e) => e.event_type)).toEqual(['inference.completed', 'hitl.task_created']);
    const { rows } = await db.pool.query(`SELECT status, correlation_id, draft FROM hitl_tasks WHERE tenant_id = $1`, [tenant]);
    expect(rows).toEqual([{ status: 'pending', correlation_id: 'corr-draft', draft: JSON.parse(DRAFT) }]);
  });

  it('embedded: a command published on the in-process bus reaches the same handler', async () => {
    const tenant = T('t-bus');
    await register(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL });
    const bus = new LocalEventBus({ logger: createLogger({ level: 'silent' }) });
    const deps = asyncInferenceDeps({ config: orch.config, pool: db.pool, inference: orch.wiring.inference, logger: createLogger({ level: 'silent' }) });
    subscribeLocalCommands(bus, orch.config.events.topics.inferenceRequests, (d) => handleDelivery(deps, d));
    const command = upsellCommand(tenant);
    const [outcome] = await bus.publish([{ topic: orch.config.events.topics.inferenceRequests, data: Buffer.from(JSON.stringify(command)), attributes: {}, orderingKey: tenant }]);
    expect(outcome).toMatchObject({ ok: true });
    expect((await events(tenant, 'inference.completed'))[0]!.payload).toMatchObject({ correlation_id: command.reply_to });
    await bus.close();
  });

  it('a claim whose holder died (lease over) is taken over by the redelivery; a live one makes it wait, then 503', async () => {
    const tenant = T('t-lease');
    await register(tenant);
    const command = upsellCommand(tenant);
    const claim = (until: string) =>
      db.pool.query(
        `INSERT INTO inference_requests (tenant_id, request_id, request_hash, capability, message_id, status, claim_token, claimed_until)
         VALUES ($1, $2, $3, $4, 'crashed-delivery', 'running', gen_random_uuid(), ${until})
         ON CONFLICT (tenant_id, request_id) DO UPDATE SET claimed_until = EXCLUDED.claimed_until`,
        [tenant, command.request_id, requestHashOf({ capability: command.capability, input: command.input }), command.capability],
      );
    // Another delivery holds it right now: this one waits (waitTimeoutMs), then asks Pub/Sub to come back.
    await claim(`now() + interval '1 hour'`);
    const impatient = await startOrchestratorHarness({ pool: db.pool, env: env(), overrides: { 'asyncInference.waitTimeoutMs': 200 } });
    try {
      const busy = await push(pushEnvelope({ data: command }), undefined, impatient.url);
      expect(busy.status).toBe(503);
      expect(await busy.json()).toMatchObject({ code: 'request_in_progress' });
    } finally {
      await impatient.close();
    }
    // Its holder crashed: once the lease is over, the redelivery runs the request.
    await claim(`now() - interval '1 second'`);
    fake.enqueue({ kind: 'ok', text: UPSELL });
    expect(await (await push(pushEnvelope({ data: command }))).json()).toMatchObject({ outcome: 'completed' });
    expect(fake.requests).toHaveLength(1);
    const { rows } = await db.pool.query(`SELECT status, claims FROM inference_requests WHERE tenant_id = $1`, [tenant]);
    expect(rows).toEqual([{ status: 'completed', claims: 2 }]);
  });

  it('a delivery whose claim was taken over while it ran cannot commit: nothing recorded or charged by it', async () => {
    const tenant = T('t-takeover');
    await register(tenant);
    const command = upsellCommand(tenant);
    fake.enqueue({ kind: 'ok', text: UPSELL, latencyMs: 400 });
    const slow = push(pushEnvelope({ data: command }));
    // While the provider answers, another delivery takes the request over (as after an expired lease).
    await eventually(async () => fake.requests.length === 1);
    await db.pool.query(`UPDATE inference_requests SET claim_token = gen_random_uuid(), claimed_until = now() - interval '1 second' WHERE tenant_id = $1`, [tenant]);
    const res = await slow;
    expect(res.status).toBe(503);
    expect(await calls(tenant)).toEqual([]);
    expect(await events(tenant)).toEqual([]);
    const spent = await db.pool.query(`SELECT coalesce(sum(spent_micros), 0)::bigint AS spent FROM budget_periods WHERE tenant_id = $1`, [tenant]);
    expect(spent.rows[0]).toEqual({ spent: 0 });
    // The redelivery (the claim's lease is over) runs it once and is the only one charged.
    fake.enqueue({ kind: 'ok', text: UPSELL });
    expect(await (await push(pushEnvelope({ data: command }))).json()).toMatchObject({ outcome: 'completed' });
    expect(await calls(tenant)).toHaveLength(1);
    expect(await events(tenant, 'inference.completed')).toHaveLength(1);
  });

  it('/metrics counts commands by outcome', async () => {
    const text = await (await fetch(`${orch.url}/metrics`)).text();
    for (const outcome of ['completed', 'duplicate', 'poison', 'failed', 'retry']) expect(text).toMatch(new RegExp(`async_commands_total\\{outcome="${outcome}"\\} [1-9]`));
  });

  it('dedupe rows past the retention are pruned; running claims and recent rows are kept', async () => {
    const tenant = T('t-prune');
    await db.pool.query(
      `INSERT INTO processed_messages (message_id, tenant_id, outcome, processed_at) VALUES ('old-${run}', $1, 'completed', now() - interval '9 days'), ('new-${run}', $1, 'completed', now())`,
      [tenant],
    );
    await db.pool.query(
      `INSERT INTO inference_requests (tenant_id, request_id, request_hash, capability, message_id, status, finished_at, claimed_until) VALUES
         ($1, 'done-old', 'h', 'c', 'm', 'completed', now() - interval '9 days', NULL),
         ($1, 'done-new', 'h', 'c', 'm', 'failed', now(), NULL),
         ($1, 'running-old', 'h', 'c', 'm', 'running', NULL, now() - interval '9 days')`,
      [tenant],
    );
    expect(await pruneDedupeRows(db.pool, 8 * 86_400)).toBeGreaterThanOrEqual(2);
    const messages = await db.pool.query(`SELECT message_id FROM processed_messages WHERE tenant_id = $1`, [tenant]);
    expect(messages.rows).toEqual([{ message_id: `new-${run}` }]);
    const requests = await db.pool.query(`SELECT request_id FROM inference_requests WHERE tenant_id = $1 ORDER BY request_id`, [tenant]);
    expect(requests.rows).toEqual([{ request_id: 'done-new' }, { request_id: 'running-old' }]);
  });

  describe('database down', () => {
    let proxy: TcpProxy;
    let flaky: Pool;
    let viaProxy: OrchestratorHarness;
    beforeAll(async () => {
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      flaky = createPool({ url: proxy.urlFor(db.url), max: 4 });
      viaProxy = await startOrchestratorHarness({ pool: flaky, env: env() });
    });
    afterAll(async () => {
      await viaProxy?.close();
      await flaky?.end();
      await proxy?.stop();
    });

    it('→ 503 while the database is unreachable, then success on redelivery (one call, one event)', async () => {
      const tenant = T('t-dbdown');
      await register(tenant);
      const envelope = pushEnvelope({ data: upsellCommand(tenant) });
      proxy.down();
      const first = await push(envelope, undefined, viaProxy.url);
      expect(first.status).toBe(503);
      expect(await first.json()).toMatchObject({ code: 'transient_failure' });
      expect(fake.requests).toHaveLength(0);

      proxy.up();
      fake.enqueue({ kind: 'ok', text: UPSELL });
      const second = await push({ ...envelope, deliveryAttempt: 2 }, undefined, viaProxy.url);
      expect(second.status).toBe(200);
      expect(await second.json()).toMatchObject({ outcome: 'completed' });
      expect(fake.requests).toHaveLength(1);
      expect(await events(tenant, 'inference.completed')).toHaveLength(1);
    });
  });
});
