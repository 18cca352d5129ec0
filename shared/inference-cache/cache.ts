import type { KeyValue } from '../cache/index.js';
import type { Logger } from '../telemetry/index.js';
import { parseCachedInference, type CachedInference } from './entry.js';

export interface InferenceCache {
  /** The cached answer, or null on a miss. Never rejects: a store failure or a corrupt entry is a miss. */
  get(key: string): Promise<CachedInference | null>;
  /**
   * Stores the answer for `ttlSeconds`. Does nothing when the TTL is 0 (the capability is not cacheable) or
   * the answer is degraded, so the real answer is served once providers recover. Never rejects.
   */
  set(key: string, value: CachedInference, ttlSeconds: number): Promise<void>;
}

/**
 * The inference cache on the key/value port (keys from `inferenceCacheKey`). The cache only ever saves
 * work: when the store is down, requests run as misses and nothing fails because of it.
 */
export function createInferenceCache(opts: { kv: KeyValue; logger?: Pick<Logger, 'warn'> }): InferenceCache {
  const { kv, logger } = opts;
  const warn = (key: string, err: unknown, message: string): void =>
    logger?.warn({ cacheKey: key, error: err instanceof Error ? err.message : String(err) }, message);

  return {
    async get(key) {
      let raw: string | null;
      try {
        raw = await kv.get(key);
      } catch (err) {
        warn(key, err, 'inference cache: read failed; serving as a miss');
        return null;
      }
      if (raw === null) return null;
      const entry = parseCachedInference(raw);
      if (entry) return entry;
      logger?.warn({ cacheKey: key }, 'inference cache: corrupt entry; deleting it and serving as a miss');
      try {
        await kv.delete(key);
      } catch (err) {
        warn(key, err, 'inference cache: could not delete a corrupt entry');
      }
      return null;
    },

    async set(key, value, ttlSeconds) {
      const ttlMs = Math.floor(ttlSeconds * 1000);
      if (!(ttlMs > 0) || value.degraded) return;
      try {
        await kv.set(key, JSON.stringify(value), ttlMs);
      } catch (err) {
        warn(key, err, 'inference cache: write failed; the answer is not cached');
      }
    },
  };
}
