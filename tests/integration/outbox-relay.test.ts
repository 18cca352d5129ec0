import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Registry } from 'prom-client';
import type { EventTopics, RelaySettings } from '../../shared/config/index.js';
import { createPool, withTransaction, type Queryable } from '../../shared/db/index.js';
import { leadAndSelect } from '../../shared/events/outbox-rows.js';
import {
  createEvent,
  enqueue,
  enqueueMany,
  fromPubSubMessage,
  LocalEventBus,
  OutboxRelay,
  registerOutboxMetrics,
  toPubSubAttributes,
  type DeliveredMessage,
  type EventEnvelope,
  type OutboxMetrics,
  type Publisher,
} from '../../shared/events/index.js';
import { PubSubPublisher } from '../../shared/events/pubsub-publisher.js';
import { createLogger } from '../../shared/telemetry/index.js';
import { startFakePubSub, type FakePubSub, type StoredMessage } from '../fakes/pubsub/server.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

const TOPICS: EventTopics = {
  inference: 'test.inference.events',
  eval: 'test.eval.events',
  hitl: 'test.hitl.events',
  budget: 'test.budget.events',
  inferenceRequests: 'test.inference.requests',
};
const SETTINGS: RelaySettings = { batchSize: 10, idleIntervalMs: 20, backoffBaseMs: 20, backoffMaxMs: 150, publishTimeoutMs: 3000, leaseSeconds: 30 };
const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c'];
const logger = createLogger({ level: 'silent' });

let db: TestDatabase;
let fake: FakePubSub;
let publisher: PubSubPublisher;
let registry: Registry;
let metrics: OutboxMetrics;
const relays: OutboxRelay[] = [];

function newRelay(opts: { holderId?: string; publisher?: Publisher; settings?: Partial<RelaySettings> } = {}): OutboxRelay {
  const relay = new OutboxRelay({
    pool: db.pool,
    publisher: opts.publisher ?? publisher,
    settings: { ...SETTINGS, ...opts.settings },
    logger,
    holderId: opts.holderId,
    metrics,
  });
  relays.push(relay);
  return relay;
}

/** inference.completed events, `perTenant` for each tenant, interleaved; call_id carries the tenant's sequence number. */
function inferenceEvents(perTenant: number, from = 0): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  for (let i = from; i < from + perTenant; i++) {
    for (const tenant of TENANTS) {
      events.push(
        createEvent({
          type: 'inference.completed',
          tenantId: tenant,
          source: '//test',
          subject: `call/${tenant}-${i}`,
          data: {
            call_id: `${tenant}-${String(i).padStart(4, '0')}`, capability: 'review.summarize', provider: 'deterministic', model: 'echo',
            input_tokens: 10, output_tokens: 5, cost_micros: 3, cache_hit: false, degraded: false, latency_ms: 1,
          },
        }),
      );
    }
  }
  return events;
}

async function commit(events: EventEnvelope[]): Promise<void> {
  await withTransaction(db.pool, (tx) => enqueueMany(tx, events, TOPICS));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function unpublishedCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
  return rows[0]?.n ?? -1;
}

async function metricValue(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** Asserts each event arrived exactly once, and each tenant's events in the order they were written. */
function expectExactlyOnceInOrder(messages: StoredMessage[], events: EventEnvelope[]): void {
  const perEvent = new Map<string, number>();
  for (const m of messages) perEvent.set(m.attributes['ce-id'] as string, (perEvent.get(m.attributes['ce-id'] as string) ?? 0) + 1);
  expect(perEvent.size).toBe(events.length);
  for (const event of events) expect(perEvent.get(event.id), `event ${event.id}`).toBe(1);
  for (const tenant of TENANTS) {
    const arrived = messages.filter((m) => m.orderingKey === tenant).map((m) => m.attributes['ce-id']);
    const written = events.filter((e) => e.tenant_id === tenant).map((e) => e.id);
    expect(arrived).toEqual(written);
  }
}

beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await db.pool.query('TRUNCATE outbox, outbox_relay_lease RESTART IDENTITY');
  fake = await startFakePubSub();
  publisher = new PubSubPublisher({
    projectId: 'test-project',
    publishTimeoutMs: SETTINGS.publishTimeoutMs,
    clientOptions: { apiEndpoint: fake.host, emulatorMode: true, universeDomain: 'googleapis.com' },
  });
  registry = new Registry();
  metrics = registerOutboxMetrics(registry, db.pool);
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await publisher.close();
  await fake.stop();
});

describe('outbox relay with the real Pub/Sub client against the wire fake', () => {
  it('never publishes events enqueued in a transaction that rolled back', async () => {
    const [rolledBack, committed] = inferenceEvents(1) as [EventEnvelope, EventEnvelope];
    await expect(
      withTransaction(db.pool, async (tx) => {
        await enqueue(tx, rolledBack, TOPICS);
        throw new Error('the business write failed');
      }),
    ).rejects.toThrow('the business write failed');
    await withTransaction(db.pool, (tx) => enqueue(tx, committed, TOPICS));

    const relay = newRelay();
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(0);
    expect(fake.allMessages().map((m) => m.attributes['ce-id'])).toEqual([committed.id]);
    const { rows } = await db.pool.query('SELECT event_id FROM outbox');
    expect(rows).toEqual([{ event_id: committed.id }]);
  });

  it('publishes every event once, keyed and ordered by tenant, with CloudEvents attributes, and marks the rows', async () => {
    const events = inferenceEvents(8);
    const budget = createEvent({
      type: 'budget.threshold_crossed',
      tenantId: 'tenant-b',
      source: '//test',
      data: { period: 'monthly', capability: null, threshold_percent: 80, limit_micros: 100, spent_micros: 81, period_start: '2026-01-01T00:00:00Z' },
    });
    await commit(events);
    await commit([budget]);

    const relay = newRelay();
    relay.start();
    await waitFor('all rows published', async () => (await unpublishedCount()) === 0);

    const inference = fake.messages(TOPICS.inference);
    expectExactlyOnceInOrder(inference, events);
    for (const m of inference) {
      const event = events.find((e) => e.id === m.attributes['ce-id']) as EventEnvelope;
      expect(m.orderingKey).toBe(event.tenant_id);
      expect(m.attributes).toEqual(toPubSubAttributes(event));
      expect(JSON.parse(m.data.toString('utf8'))).toEqual(event.data);
      expect(fromPubSubMessage(m)).toEqual(event);
    }
    const budgetMessages = fake.messages(TOPICS.budget);
    expect(budgetMessages.map((m) => [m.attributes['ce-id'], m.orderingKey])).toEqual([[budget.id, 'tenant-b']]);

    const { rows } = await db.pool.query<{ n: number; attempts: number }>(
      'SELECT count(*)::int AS n, max(attempts)::int AS attempts FROM outbox WHERE published_at IS NOT NULL',
    );
    expect(rows[0]).toEqual({ n: events.length + 1, attempts: 0 });
    expect(await metricValue('outbox_published_total')).toBe(events.length + 1);
    expect(await metricValue('outbox_unpublished_events')).toBe(0);
  });

  it('with prepared statements, each connection parses a round of statements once, and they stay usable for a flush', async () => {
    // One connection, so that every round runs on the session whose prepared statements are read below.
    const pool = createPool({ url: db.url, max: 1 });
    const relay = new OutboxRelay({ pool, publisher, settings: SETTINGS, logger, preparedStatements: true });
    try {
      const events: EventEnvelope[] = [];
      for (let round = 0; round < 8; round++) {
        const batch = inferenceEvents(1, round);
        events.push(...batch);
        await commit(batch);
        expect(await relay.runOnce()).toBe(TENANTS.length);
      }
      const last = inferenceEvents(1, 8);
      events.push(...last);
      await commit(last);
      await relay.flush(5_000);
      expectExactlyOnceInOrder(fake.messages(TOPICS.inference), events);
      expect(await unpublishedCount()).toBe(0);
      const { rows } = await pool.query<{ name: string; generic_plans: string; custom_plans: string }>(
        `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'outbox%' ORDER BY name`,
      );
      // A flush selects regardless of backoff: a statement of its own. Each mark follows a select that found rows.
      expect(rows.map((r) => [r.name, Number(r.generic_plans) + Number(r.custom_plans)])).toEqual([
        ['outbox_lead_and_select_all_v2', 2],
        ['outbox_lead_and_select_v2', 8],
        ['outbox_mark_published_v1', 9],
      ]);
    } finally {
      await relay.stop();
      await pool.end();
    }
  });

  it('keeps events while Pub/Sub is unavailable, then publishes all of them once, in order per tenant', async () => {
    fake.setUnavailable(true);
    const before = inferenceEvents(5);
    await commit(before);
    const relay = newRelay();
    relay.start();

    // Every tenant's oldest event has been tried and refused more than once.
    await waitFor('repeated failed attempts', async () => {
      const { rows } = await db.pool.query<{ tries: number }>(
        `SELECT min(attempts)::int AS tries FROM outbox WHERE id IN (SELECT min(id) FROM outbox GROUP BY ordering_key)`,
      );
      return (rows[0]?.tries ?? 0) >= 2;
    });
    // Written during the outage: must not overtake the older events of their tenant.
    const during = inferenceEvents(3, 5);
    await commit(during);
    relay.wake();

    expect(fake.allMessages()).toEqual([]);
    const { rows } = await db.pool.query<{ attempts: number; last_error: string | null; published_at: Date | null }>(
      'SELECT attempts, last_error, published_at FROM outbox WHERE id IN (SELECT min(id) FROM outbox GROUP BY ordering_key)',
    );
    expect(rows).toHaveLength(TENANTS.length);
    for (const row of rows) {
      expect(row.published_at).toBeNull();
      expect(row.attempts).toBeGreaterThanOrEqual(2);
      expect(row.last_error).toMatch(/UNAVAILABLE/);
    }
    expect(await metricValue('outbox_unpublished_events')).toBe(before.length + during.length);
    expect(await metricValue('outbox_oldest_unpublished_age_seconds')).toBeGreaterThan(0);
    expect(await metricValue('outbox_publish_failures_total')).toBeGreaterThanOrEqual(2 * TENANTS.length);
    expect(await metricValue('outbox_published_total')).toBe(0);

    fake.setUnavailable(false);
    await waitFor('recovery', async () => (await unpublishedCount()) === 0);

    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), [...before, ...during]);
    expect(await metricValue('outbox_published_total')).toBe(before.length + during.length);
    expect(await metricValue('outbox_unpublished_events')).toBe(0);
    expect(await metricValue('outbox_oldest_unpublished_age_seconds')).toBe(0);
  });

  it('recovers from failures of some Publish calls without losing, duplicating or reordering events', async () => {
    const events = inferenceEvents(10);
    await commit(events);
    fake.failNext(4);
    const relay = newRelay();
    relay.start();
    await waitFor('all rows published', async () => (await unpublishedCount()) === 0);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), events);
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE attempts > 0');
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('a second relay does not publish while another instance holds the lease, and takes over once it lapses', async () => {
    const first = newRelay({ holderId: 'instance-1' });
    const second = newRelay({ holderId: 'instance-2' });
    expect(await first.runOnce()).toBe(0);

    const events = inferenceEvents(2);
    await commit(events);
    expect(await second.runOnce()).toBe(0);
    expect(fake.allMessages()).toEqual([]);
    expect(await unpublishedCount()).toBe(events.length);

    // The holder vanished without releasing the lease (a crash): its lease expires.
    await db.pool.query(`UPDATE outbox_relay_lease SET expires_at = now() - interval '1 second'`);
    expect(await second.runOnce()).toBe(events.length);
    expect(await first.runOnce()).toBe(0);
    const { rows } = await db.pool.query('SELECT holder FROM outbox_relay_lease');
    expect(rows).toEqual([{ holder: 'instance-2' }]);

    // A relay that stops gives the lease up at once.
    await second.stop();
    const more = inferenceEvents(1, 2);
    await commit(more);
    expect(await first.runOnce()).toBe(more.length);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), [...events, ...more]);
  });

  it('answers a wake no sooner than minRoundGapMs after the last round: the events of calls meanwhile go out in one round', async () => {
    const batches: number[] = [];
    const counting: Publisher = {
      publish: async (messages) => {
        batches.push(messages.length);
        return publisher.publish(messages);
      },
      close: async () => {},
    };
    const relay = newRelay({ publisher: counting, settings: { batchSize: 100, idleIntervalMs: 10_000, minRoundGapMs: 3_000 } });
    relay.start();
    // The first round runs at start and finds nothing (it holds the lease once done, give or take its
    // select); each commit below then wakes the relay inside its gap.
    await waitFor('the first round', async () => (await db.pool.query('SELECT 1 FROM outbox_relay_lease')).rows.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const events: EventEnvelope[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = inferenceEvents(1, i);
      await commit(batch);
      relay.wake();
      events.push(...batch);
    }
    expect(batches).toEqual([]);
    await waitFor('the events published', async () => (await unpublishedCount()) === 0);
    expect(batches).toEqual([events.length]);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), events);
  });

  it('stop() ends the gap between rounds at once', async () => {
    const relay = newRelay({ settings: { idleIntervalMs: 10_000, minRoundGapMs: 10_000 } });
    relay.start();
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await relay.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('flush() publishes everything pending now, including events waiting out a backoff', async () => {
    const events = inferenceEvents(9);
    await commit(events);
    await db.pool.query(`UPDATE outbox SET attempts = 3, next_attempt_at = now() + interval '1 hour' WHERE ordering_key = 'tenant-a'`);
    const relay = newRelay();
    await relay.flush(10_000);
    expect(await unpublishedCount()).toBe(0);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), events);
  });

  it('flush() gives up when Pub/Sub keeps failing, leaving the events in the outbox', async () => {
    await commit(inferenceEvents(2));
    fake.setUnavailable(true);
    await newRelay().flush(10_000);
    expect(await unpublishedCount()).toBe(2 * TENANTS.length);
    expect(fake.allMessages()).toEqual([]);
  });

  it('counts a Publish slower than the timeout as failed and publishes the event later (at least once)', async () => {
    const slow = new PubSubPublisher({
      projectId: 'test-project',
      publishTimeoutMs: 200,
      clientOptions: { apiEndpoint: fake.host, emulatorMode: true, universeDomain: 'googleapis.com' },
    });
    try {
      const [event] = inferenceEvents(1) as [EventEnvelope];
      await commit([event]);
      fake.setLatency(600);
      const relay = newRelay({ publisher: slow });
      expect(await relay.runOnce()).toBe(0);
      const { rows } = await db.pool.query<{ attempts: number; last_error: string }>('SELECT attempts, last_error FROM outbox');
      expect(rows[0]?.attempts).toBe(1);
      expect(rows[0]?.last_error).toMatch(/DEADLINE_EXCEEDED|did not acknowledge/);

      fake.setLatency(0);
      await waitFor('the retry', async () => (await relay.runOnce()) === 1);
      const delivered = fake.messages(TOPICS.inference).filter((m) => m.attributes['ce-id'] === event.id);
      expect(delivered.length).toBeGreaterThanOrEqual(1);
    } finally {
      await slow.close();
    }
  });
});

describe('outbox relay: the scan floor', () => {
  it('skips the rows published before its floor: a round reads a few pages, whatever plan Postgres picks', async () => {
    // 20,000 rows written and published (their entries stay in the unpublished index until a vacuum).
    await db.pool.query(`INSERT INTO outbox (event_id, event_type, topic, ordering_key, attributes, payload)
      SELECT gen_random_uuid(), 'inference.completed', 't', 'tenant-' || (g % 3), '{}', '{}' FROM generate_series(1, 20000) g`);
    await db.pool.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
    const relay = newRelay({ settings: { settledAfterMs: 0, fullScanIntervalMs: 60_000 } });
    const events = inferenceEvents(2);
    await commit(events);
    await relay.runOnce();
    expect(relay.scanFloor).toBe(0);
    // The next round: what the first one saw has settled (settledAfterMs 0), so the floor passes it.
    await relay.runOnce();
    expect(relay.scanFloor).toBeGreaterThan(20_000);
    const more = inferenceEvents(2, 2);
    await commit(more);
    expect(await relay.runOnce()).toBe(more.length);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), [...events, ...more]);

    let statement: { text: string; values: unknown[] } | undefined;
    const capture = { query: async (config: { text: string; values: unknown[] }) => ((statement = config), { rows: [] }) };
    await leadAndSelect(capture as unknown as Queryable, { name: 'outbox', holder: relay.holderId, seconds: 30 }, SETTINGS.batchSize, { fromId: relay.scanFloor });
    const { rows } = await db.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement!.text}`, statement!.values);
    const plan = rows[0]!['QUERY PLAN'];
    const top = (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan as { 'Shared Hit Blocks': number; 'Shared Read Blocks': number };
    // From the first row, the same round read 373 buffers here (a bitmap scan of the unpublished index).
    expect(top['Shared Hit Blocks'] + top['Shared Read Blocks']).toBeLessThan(60);
  });

  it('a row of a transaction still open when the floor passed it goes out with the next full scan, after the rows passed', async () => {
    // The embedded database is one session: a transaction open on one connection holds every other back.
    if (inject('templateDatabase') === null) return;
    const relay = newRelay({ settings: { settledAfterMs: 0, fullScanIntervalMs: 400 } });
    const [late, ...others] = inferenceEvents(1);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await enqueueMany(client, [late!], TOPICS); // takes the lower id, commits last
      await commit(others);
      await relay.runOnce();
      await relay.runOnce();
      expect(fake.messages(TOPICS.inference)).toHaveLength(others.length);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // Below the floor now (a transaction longer than settledAfterMs): not seen until a round reads from 0.
    await relay.runOnce();
    expect(fake.messages(TOPICS.inference)).toHaveLength(others.length);
    await new Promise((r) => setTimeout(r, 450));
    expect(await relay.runOnce()).toBe(1);
    // Each event once; the late one last, in a round of its own. (The others are of two tenants, so two
    // ordering keys, which the Pub/Sub client publishes side by side: they may arrive in either order.)
    const arrived = fake.messages(TOPICS.inference);
    expectExactlyOnceInOrder(arrived, [...others, late!]);
    expect(arrived.at(-1)!.attributes['ce-id']).toBe(late!.id);
    expect(await unpublishedCount()).toBe(0);
  });

  it('with the default settle time, the floor stays below rows of open transactions: a late commit goes out at the next round', async () => {
    // The embedded database is one session: a transaction open on one connection holds every other back.
    if (inject('templateDatabase') === null) return;
    const relay = newRelay();
    const [late, ...others] = inferenceEvents(1);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await enqueueMany(client, [late!], TOPICS);
      await commit(others);
      await relay.runOnce();
      await relay.runOnce();
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await relay.runOnce()).toBe(1);
    expect(relay.scanFloor).toBe(0);
  });

  it('with the floor rising at every round, failed Publish calls still lose, duplicate or reorder nothing', async () => {
    const events = inferenceEvents(10);
    await commit(events);
    fake.failNext(4);
    const relay = newRelay({ settings: { settledAfterMs: 0, fullScanIntervalMs: 60_000 } });
    relay.start();
    await waitFor('all rows published', async () => (await unpublishedCount()) === 0);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), events);
    const more = inferenceEvents(5, 10);
    await commit(more);
    fake.failNext(2);
    relay.wake();
    await waitFor('the later rows published', async () => (await unpublishedCount()) === 0);
    expectExactlyOnceInOrder(fake.messages(TOPICS.inference), [...events, ...more]);
    expect(relay.scanFloor).toBeGreaterThan(0);
  });
});

describe('outbox relay with the in-process bus (embedded mode)', () => {
  it('delivers events to in-process subscribers, retrying a subscriber that failed', async () => {
    const bus = new LocalEventBus({ logger });
    const received: DeliveredMessage[] = [];
    let failOnce = true;
    bus.subscribe(TOPICS.inference, (m) => {
      if (failOnce && m.attributes['ce-tenantid'] === 'tenant-a') {
        failOnce = false;
        throw new Error('subscriber hiccup');
      }
      received.push(m);
    });
    const events = inferenceEvents(3);
    const relay = newRelay({ publisher: bus });
    relay.start();
    await commit(events);
    relay.wake();

    await waitFor('all rows published', async () => (await unpublishedCount()) === 0);
    expect(received.map((m) => fromPubSubMessage(m))).toHaveLength(events.length);
    for (const tenant of TENANTS) {
      expect(received.filter((m) => m.orderingKey === tenant).map((m) => fromPubSubMessage(m))).toEqual(events.filter((e) => e.tenant_id === tenant));
    }
    await bus.close();
  });
});

describe('enqueue', () => {
  it('writes nothing when one event of the batch is invalid, naming it', async () => {
    const [good, bad] = inferenceEvents(1) as [EventEnvelope, EventEnvelope];
    (bad.data as Record<string, unknown>).cost_micros = -5;
    await expect(commit([good, bad])).rejects.toThrow('event inference.completed: data.cost_micros must be >= 0');
    await expect(commit([{ ...good, tenant_id: '' }])).rejects.toThrow(/tenant_id is required/);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM outbox');
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('stores the topic, the tenant as ordering key, the ce-* attributes and the data, in the order given', async () => {
    const events = inferenceEvents(2);
    await commit(events);
    const { rows } = await db.pool.query('SELECT event_id, event_type, topic, ordering_key, attributes, payload, published_at, attempts FROM outbox ORDER BY id');
    expect(rows).toEqual(
      events.map((e) => ({
        event_id: e.id, event_type: e.type, topic: TOPICS.inference, ordering_key: e.tenant_id,
        attributes: toPubSubAttributes(e), payload: e.data, published_at: null, attempts: 0,
      })),
    );
  });
});
