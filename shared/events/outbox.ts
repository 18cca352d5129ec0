import type { EventTopics } from '../config/index.js';
import type { Queryable } from '../db/index.js';
import { statementParams, type Bind } from '../db/params.js';
import { AppError } from '../errors/app-error.js';
import { toPubSubAttributes, orderingKeyOf, type EventEnvelope } from './envelope.js';
import { validateEventData } from './schemas/index.js';
import { topicFor } from './topics.js';

/**
 * The transactional outbox: events are rows written with the state they describe, on the caller's
 * transaction client, so they exist exactly when that state does. The relay publishes them later.
 */
export async function enqueue(tx: Queryable, event: EventEnvelope, topics: EventTopics): Promise<void> {
  await enqueueMany(tx, [event], topics);
}

/** Validates every event first (nothing is written if one is invalid), then inserts them in order in one statement. */
export async function enqueueMany(tx: Queryable, events: EventEnvelope[], topics: EventTopics): Promise<void> {
  if (events.length === 0) return;
  const { params, bind } = statementParams();
  await tx.query(insertOutboxRows(outboxRowsOf(events, topics), bind), params);
}

/** An event as an outbox row (the JSON shape insertOutboxRows reads). */
export interface OutboxInsertRow {
  event_id: string;
  event_type: string;
  topic: string;
  ordering_key: string;
  attributes: Record<string, string>;
  payload: unknown;
}

/** Checks every event (schema, tenant) and maps it to its outbox row; throws before anything is written. */
export function outboxRowsOf(events: readonly EventEnvelope[], topics: EventTopics): OutboxInsertRow[] {
  return events.map((event) => {
    validateEventData(event.type, event.data);
    if (!event.tenant_id) {
      throw new AppError({ code: 'invalid_event', status: 500, title: 'Invalid event', detail: `event ${event.type}: tenant_id is required (it is the ordering key)` });
    }
    return {
      event_id: event.id,
      event_type: event.type,
      topic: topicFor(event.type, topics),
      ordering_key: orderingKeyOf(event),
      attributes: toPubSubAttributes(event),
      payload: event.data,
    };
  });
}

/**
 * The INSERT of outbox rows, bound as one JSON parameter: a statement on its own (enqueueMany) or a
 * data-modifying CTE of a larger one (the call recorder's one-statement path).
 */
export function insertOutboxRows(rows: readonly OutboxInsertRow[], bind: Bind): string {
  // WITH ORDINALITY keeps the array order, so ids (the relay's publishing order) follow the caller's order.
  return `INSERT INTO outbox (event_id, event_type, topic, ordering_key, attributes, payload)
     SELECT (r->>'event_id')::uuid, r->>'event_type', r->>'topic', r->>'ordering_key', r->'attributes', r->'payload'
       FROM jsonb_array_elements(${bind(JSON.stringify(rows))}::jsonb) WITH ORDINALITY AS t(r, n)
      ORDER BY n`;
}
