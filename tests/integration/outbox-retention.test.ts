import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventTopics } from '../../shared/config/index.js';
import { withTransaction, type Pool } from '../../shared/db/index.js';
import { Pruner } from '../../shared/db/pruner.js';
import { createEvent, enqueueMany, outboxPruner, prunePublishedOutboxRows } from '../../shared/events/index.js';
import { createLogger } from '../../shared/telemetry/index.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const TOPICS: EventTopics = { inference: 'test.inference', eval: 'test.eval', hitl: 'test.hitl', budget: 'test.budget', inferenceRequests: 'test.requests' };
const DAY = 86_400;
const RETENTION = 3 * DAY;

let db: TestDatabase;

/**
 * Writes outbox rows in this order, one per entry: `[age in days, published?]`. Returns their ids. A
 * published row is marked published an hour after it was written.
 */
async function rows(spec: Array<[ageDays: number, published: boolean]>): Promise<number[]> {
  const events = spec.map((_, i) =>
    createEvent({ type: 'budget.threshold_crossed', tenantId: 'tenant-r', source: '//test', subject: `budget/${i}`, data: { period: 'daily', capability: null, threshold_percent: 50, spent_micros: 1, limit_micros: 2, period_start: '2026-12-01T00:00:00Z' } }),
  );
  await withTransaction(db.pool, (tx) => enqueueMany(tx, events, TOPICS));
  const { rows: written } = await db.pool.query<{ id: string }>('SELECT id FROM outbox ORDER BY id DESC LIMIT $1', [spec.length]);
  const ids = written.map((r) => Number(r.id)).reverse();
  await db.pool.query(
    `UPDATE outbox o SET created_at = now() - s.age_days * interval '1 day',
            published_at = CASE WHEN s.published THEN now() - s.age_days * interval '1 day' + interval '1 hour' END
       FROM unnest($1::bigint[], $2::float8[], $3::boolean[]) AS s(id, age_days, published)
      WHERE o.id = s.id`,
    [ids, spec.map(([age]) => age), spec.map(([, published]) => published)],
  );
  return ids;
}

async function remaining(): Promise<number[]> {
  const { rows: left } = await db.pool.query<{ id: string }>('SELECT id FROM outbox ORDER BY id');
  return left.map((r) => Number(r.id));
}

/** The pool, counting the statements sent through its query(). */
function counting(pool: Pool): { pool: Pool; statements: () => number } {
  let n = 0;
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: unknown[]) => {
        n++;
        return (target.query as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  return { pool: proxy, statements: () => n };
}

describe('outbox retention', () => {
  beforeAll(async () => {
    db = await testDatabase();
  });
  beforeEach(async () => {
    await db.pool.query('DELETE FROM outbox');
    await db.pool.query('DELETE FROM outbox_relay_lease');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('deletes published rows written before the retention; keeps younger ones, and unpublished rows however old', async () => {
    const [, stuck, , young, youngUnpublished] = await rows([[5, true], [6, false], [4, true], [1, true], [0, false]]);
    expect(await prunePublishedOutboxRows(db.pool, RETENTION)).toBe(2);
    expect(await remaining()).toEqual([stuck, young, youngUnpublished]);
    // Nothing more to do: a second pass deletes nothing.
    expect(await prunePublishedOutboxRows(db.pool, RETENTION)).toBe(0);
  });

  it('walks the table a page at a time from the oldest row, past unpublished rows, and stops at the first page that reaches the retained rows', async () => {
    const ids = await rows([[9, true], [9, false], [8, true], [8, true], [7, true], [2, true], [2, true], [1, true], [1, true], [1, true], [0, true], [0, true]]);
    const { pool, statements } = counting(db.pool);
    // Pages of 2: [9p, 9u] [8p, 8p] [7p, 2p] — the third page reaches a retained row, so the walk ends there.
    expect(await prunePublishedOutboxRows(pool, RETENTION, { batch: 2 })).toBe(4);
    expect(statements()).toBe(3);
    expect(await remaining()).toEqual([ids[1], ...ids.slice(5)]);
  });

  it('a round deletes at most maxBatches pages; the next round goes on where the rows are', async () => {
    await rows([[9, true], [9, true], [9, true], [9, true], [9, true], [0, true]]);
    expect(await prunePublishedOutboxRows(db.pool, RETENTION, { batch: 2, maxBatches: 2 })).toBe(4);
    expect(await prunePublishedOutboxRows(db.pool, RETENTION, { batch: 2, maxBatches: 2 })).toBe(1);
    expect((await remaining()).length).toBe(1);
  });

  it('only the instance holding the outbox-prune lease prunes', async () => {
    await rows([[5, true], [5, true], [0, true]]);
    const logger = createLogger({ level: 'silent' });
    const first = outboxPruner({ pool: db.pool, retentionSeconds: RETENTION, intervalMs: 60_000, logger });
    const second = outboxPruner({ pool: db.pool, retentionSeconds: RETENTION, intervalMs: 60_000, logger });
    try {
      await first.runOnce();
      expect((await remaining()).length).toBe(1);
      await rows([[5, true]]);
      // The first instance holds the lease for two intervals: the second does nothing meanwhile.
      await second.runOnce();
      expect((await remaining()).length).toBe(2);
      await first.runOnce();
      expect((await remaining()).length).toBe(1);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('a round whose pruning fails says so and leaves the rows for the next round', async () => {
    await rows([[5, true]]);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const failing = new Pruner({ pool: db.pool, lease: 'outbox-prune', intervalMs: 60_000, what: 'published outbox rows', prune: () => Promise.reject(new Error('canceling statement due to statement timeout')), logger });
    try {
      await expect(failing.runOnce()).resolves.toBeUndefined();
      expect(lines.map((l) => JSON.parse(l) as { message: string; err: { message: string } })).toMatchObject([
        { message: 'pruning published outbox rows failed; retrying next round', err: { message: 'canceling statement due to statement timeout' } },
      ]);
      expect((await remaining()).length).toBe(1);
    } finally {
      await failing.stop();
    }
  });
});
