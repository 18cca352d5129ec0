export { createEvent, toPubSubAttributes, fromPubSubMessage, orderingKeyOf, type EventEnvelope } from './envelope.js';
export {
  validateEventData,
  isEventType,
  EVENT_TYPES,
  type EventType,
  type EventDataByType,
  type InferenceCompletedData,
  type InferenceFailedData,
  type BudgetThresholdCrossedData,
  type BudgetPeriodClosedData,
  type HitlTaskCreatedData,
  type HitlTaskDecidedData,
  type HitlTaskExpiredData,
  type EvalRunCompletedData,
} from './schemas/index.js';
export { topicFor } from './topics.js';
export { enqueue, enqueueMany, outboxRowsOf, insertOutboxRows, type OutboxInsertRow } from './outbox.js';
export type { Publisher, OutboundMessage, PublishOutcome } from './publisher.js';
// PubSubPublisher is imported from './pubsub-publisher.js' directly: loading @google-cloud/pubsub costs
// ~0.5 s, which the embedded mode (and every test importing this index) should not pay.
export type { PubSubPublisherOptions } from './pubsub-publisher.js';
export { LocalEventBus, type LocalHandler, type DeliveredMessage } from './local-bus.js';
export { OutboxRelay, type OutboxRelayOptions } from './relay.js';
export { outboxPruner, prunePublishedOutboxRows } from './outbox-retention.js';
export { registerOutboxMetrics, type OutboxMetrics } from './metrics.js';
export { backoffDelayMs } from './backoff.js';
