import { Counter, Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db/index.js';

/** The counters the relay increments (pass them to OutboxRelay as `metrics`). */
export interface OutboxMetrics {
  published: Counter<'topic'>;
  failures: Counter<'topic'>;
}

interface Lag {
  unpublished: number;
  oldestAgeSeconds: number;
}

/**
 * Outbox lag gauges, read from the database on each scrape (both gauges share one query), and the relay's
 * counters. A failed read leaves the gauges without a sample rather than failing the whole scrape.
 */
export function registerOutboxMetrics(registry: Registry, db: Queryable): OutboxMetrics {
  let inFlight: Promise<Lag | undefined> | undefined;
  const readLag = (): Promise<Lag | undefined> => {
    inFlight ??= queryLag(db)
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  new Gauge({
    name: 'outbox_unpublished_events',
    help: 'Outbox events not yet acknowledged by the broker',
    registers: [registry],
    async collect() {
      const lag = await readLag();
      if (lag) this.set(lag.unpublished);
      else this.reset();
    },
  });
  new Gauge({
    name: 'outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox event not yet acknowledged by the broker (0 when none)',
    registers: [registry],
    async collect() {
      const lag = await readLag();
      if (lag) this.set(lag.oldestAgeSeconds);
      else this.reset();
    },
  });

  return {
    published: new Counter({
      name: 'outbox_published_total',
      help: 'Outbox events published and acknowledged, by topic',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Failed attempts to publish an outbox event, by topic',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
  };
}

async function queryLag(db: Queryable): Promise<Lag> {
  const { rows } = await db.query<{ unpublished: number; age: number | null }>(
    `SELECT count(*)::int AS unpublished, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
       FROM outbox WHERE published_at IS NULL`,
  );
  const row = rows[0];
  return { unpublished: row?.unpublished ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
}
