import { createMemoryKeyValue, type MemoryKeyValue } from './memory.js';
import type { KeyValueOptions } from './port.js';
import { createRedisKeyValue, type RedisKeyValue } from './redis.js';

export type { KeyValue, KeyValueOptions } from './port.js';
export { KV_UNAVAILABLE, kvUnavailable } from './errors.js';
export { MemoryKeyValue, createMemoryKeyValue, type MemoryKeyValueOptions } from './memory.js';
export { MemoryStore } from './memory-store.js';
export { RedisKeyValue, createRedisKeyValue, type RedisKeyValueOptions } from './redis.js';

/** Either adapter: business code uses it as a KeyValue; budget scripts narrow it with `instanceof`. */
export type KeyValueAdapter = RedisKeyValue | MemoryKeyValue;

/** Redis when `redisUrl` is set (REDIS_URL), the in-process store otherwise. */
export function createKeyValue(opts: KeyValueOptions & { redisUrl?: string } = {}): KeyValueAdapter {
  const { redisUrl, keyPrefix } = opts;
  return redisUrl ? createRedisKeyValue({ url: redisUrl, keyPrefix }) : createMemoryKeyValue({ keyPrefix });
}

/** The prefix every process of this service puts on its keys, so jobs and services share counters. */
export const SERVICE_KEY_PREFIX = 'aiorch:';
