export { createInferenceCache, type InferenceCache } from './cache.js';
export type { CachedInference } from './entry.js';
export { inferenceCacheKey, type InferenceCacheKeyParts } from './key.js';
