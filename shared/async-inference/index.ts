/** Async inference: Pub/Sub push commands run through the synchronous pipeline, deduped and answered by events. */
export { handleDelivery, type AsyncInferenceDeps, type PushOutcome } from './handler.js';
export { parsePushEnvelope, type PushDelivery } from './envelope.js';
export { decodeCommand, type Poison } from './command.js';
export { subscribeLocalCommands } from './local-delivery.js';
export { pushAuthUnavailable, transientFailure, requestInProgress, isRetryable } from './errors.js';
export { UNATTRIBUTED_TENANT } from './result-events.js';
export { asyncCommandCounter } from './metrics.js';
export { dedupePruner, pruneDedupeRows } from './pruner.js';
