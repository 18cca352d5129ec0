import type { EventTopics } from '../config/index.js';
import type { Queryable } from '../db/index.js';
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
  const rows = events.map((event) => {
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
  // WITH ORDINALITY keeps the array order, so ids (the relay's publishing order) follow the caller's order.
  await tx.query(
    `INSERT INTO outbox (event_id, event_type, topic, ordering_key, attributes, payload)
     SELECT (r->>'event_id')::uuid, r->>'event_type', r->>'topic', r->>'ordering_key', r->'attributes', r->'payload'
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n)
      ORDER BY n`,
    [JSON.stringify(rows)],
  );
}
