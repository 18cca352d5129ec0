export {
  createIdempotency,
  isStorableStatus,
  type Idempotency,
  type IdempotencyOptions,
  type IdempotencyOutcome,
  type StoredResponse,
} from './idempotency.js';
export { idempotencyInProgress, idempotencyKeyReused, invalidIdempotencyKey } from './errors.js';
export { idempotencyStoreKey, requestHashOf, validateIdempotencyKey } from './key.js';
