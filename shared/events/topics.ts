import type { EventTopics } from '../config/index.js';
import { AppError } from '../errors/app-error.js';

const TOPIC_BY_PREFIX: Array<[prefix: string, key: keyof EventTopics]> = [
  ['inference.', 'inference'],
  ['budget.', 'budget'],
  ['hitl.', 'hitl'],
  ['eval.', 'eval'],
];

/** The configured Pub/Sub topic an event type is published on, chosen by the type's prefix. */
export function topicFor(type: string, topics: EventTopics): string {
  const match = TOPIC_BY_PREFIX.find(([prefix]) => type.startsWith(prefix));
  if (!match) {
    throw new AppError({ code: 'invalid_event', status: 500, title: 'Invalid event', detail: `event ${type}: no topic for this type`, extra: { event_type: type } });
  }
  return topics[match[1]];
}
