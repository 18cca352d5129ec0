import { MemoryKeyValue, RedisKeyValue, type KeyValueAdapter } from '../cache/index.js';

/**
 * Compare-and-swap on a key: replaces (or deletes, when `next` is null) the value only while it is still
 * exactly `expected`. Lets a lease holder finish or give up without touching a lease that expired and was
 * taken by someone else. One Lua script on Redis; synchronous, hence atomic, on the memory store.
 */
export type SwapIfUnchanged = (key: string, expected: string, next: { value: string; ttlMs: number } | null) => Promise<boolean>;

const SWAP_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`;

interface SwapCommand {
  idemSwapIfUnchanged(key: string, expected: string, next: string, ttlMs: number | ''): Promise<number>;
}

export function swapIfUnchanged(kv: KeyValueAdapter): SwapIfUnchanged {
  if (kv instanceof RedisKeyValue) {
    // numberOfKeys: 1, so the client's key prefix applies to KEYS[1] as it does to every other command.
    kv.redisClient.defineCommand('idemSwapIfUnchanged', { numberOfKeys: 1, lua: SWAP_LUA });
    return async (key, expected, next) => {
      const swapped = await kv.withClient((client) =>
        (client as unknown as SwapCommand).idemSwapIfUnchanged(key, expected, next?.value ?? '', next?.ttlMs ?? ''),
      );
      return swapped === 1;
    };
  }
  if (kv instanceof MemoryKeyValue) {
    return async (key, expected, next) => {
      await kv.ping(); // rejects with kv_unavailable once closed, like the other calls
      const store = kv.store;
      if (store.get(key) !== expected) return false;
      if (next) store.set(key, next.value, next.ttlMs);
      else store.delete(key);
      return true;
    };
  }
  throw new TypeError('idempotency needs the Redis or the memory key/value adapter');
}
