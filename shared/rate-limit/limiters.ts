import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RedisKeyValue, type KeyValueAdapter } from '../cache/index.js';

const WINDOW_SECONDS = 60;

export type LimiterDimension = 'rpm' | 'tpm';

/**
 * rate-limiter-flexible limiters, one per dimension and distinct limit (`points` is fixed per limiter, and
 * tenants may have their own limits), created on first use and kept. All of a dimension use the same key,
 * `rl:{dimension}:{tenant}`, so on Redis a tenant's count survives a change of its limit and is shared by
 * every instance of the service.
 */
export function limiterCache(kv: KeyValueAdapter): (dimension: LimiterDimension, points: number) => RateLimiterAbstract {
  const limiters = new Map<string, RateLimiterAbstract>();
  // A RateLimiterRedis defines the library's Lua script on the client when it is made. ioredis gives an
  // auto-pipeline the commands its client had when the pipeline was created, so a limiter first made while
  // a pipeline of the same tick is open (another request's cache read) would fail its first count: make
  // one now, before any request, so the script is defined from the start.
  if (kv instanceof RedisKeyValue) new RateLimiterRedis({ keyPrefix: 'rl:define', points: 1, duration: WINDOW_SECONDS, storeClient: kv.redisClient, useRedisPackage: false });
  return (dimension, points) => {
    const cacheKey = `${dimension}:${points}`;
    let limiter = limiters.get(cacheKey);
    if (!limiter) {
      const common = { keyPrefix: `rl:${dimension}`, points, duration: WINDOW_SECONDS };
      limiter =
        kv instanceof RedisKeyValue
          ? // ioredis, not the `redis` package: useRedisPackage false. The library's Lua script is
            // defined with numberOfKeys 1, so the client's key prefix applies to its keys too.
            new RateLimiterRedis(Object.assign({}, common, { storeClient: kv.redisClient, useRedisPackage: false }))
          : // The embedded store is one process: the library's own in-memory limiter is the same thing.
            // Its counts live in the limiter, so a tenant whose limit changes starts a fresh window.
            new RateLimiterMemory(common);
      limiters.set(cacheKey, limiter);
    }
    return limiter;
  };
}
