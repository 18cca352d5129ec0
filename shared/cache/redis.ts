import { Redis, ReplyError } from 'ioredis';
import { kvUnavailable, notAnInteger } from './errors.js';
import type { KeyValue, KeyValueOptions } from './port.js';
import { assertIncrement, assertTtlMs } from './validate.js';

export interface RedisKeyValueOptions extends KeyValueOptions {
  /** redis:// or rediss:// URL (REDIS_URL). */
  url: string;
  /** Per connection attempt; bounds how long a call waits on an unreachable host. Default 2 s. */
  connectTimeoutMs?: number;
  /** A call with no reply after this long fails. Default 2 s. */
  commandTimeoutMs?: number;
  /** Told about every connection error (calls fail with kv_unavailable regardless). */
  onConnectionError?: (err: Error) => void;
}

// Counter with a TTL that only its creator sets, in one round trip: EXISTS and INCRBY run atomically
// inside the script, so no other client can create the key in between. ARGV[2] is '' for no TTL.
const INCREMENT_LUA = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and ARGV[2] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
`;

interface ScriptedRedis extends Redis {
  kvIncrement(key: string, by: number, ttlMs: number | ''): Promise<number>;
}

// Server replies that mean "not serving right now" (restart, failover, overload, credentials) rather
// than "this command is wrong".
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|OOM|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS)\b/;

/**
 * KeyValue on Redis (ioredis). Calls fail fast instead of queueing while Redis is down: a command waits
 * at most for the connection attempt in progress, then rejects with `kv_unavailable`.
 */
export class RedisKeyValue implements KeyValue {
  readonly #client: ScriptedRedis;
  #lastConnectionError: Error | undefined;
  #closed = false;

  constructor(opts: RedisKeyValueOptions) {
    const client = new Redis(opts.url, {
      keyPrefix: opts.keyPrefix,
      connectTimeout: opts.connectTimeoutMs ?? 2_000,
      commandTimeout: opts.commandTimeoutMs ?? 2_000,
      // 0: queued and in-flight commands are rejected as soon as a connection attempt fails or drops,
      // instead of waiting through reconnects.
      maxRetriesPerRequest: 0,
      // A command whose connection dropped may already have run: replaying an increment could count it
      // twice, so the caller gets an error instead.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      // Commands issued in the same tick leave in one write: under concurrency that is far fewer syscalls
      // (each call makes ~6 small round trips: rate limit, cache, reserve, release, …).
      enableAutoPipelining: true,
    });
    client.on('error', (err: Error) => {
      this.#lastConnectionError = err;
      opts.onConnectionError?.(err);
    });
    client.on('ready', () => {
      this.#lastConnectionError = undefined;
    });
    client.defineCommand('kvIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
    this.#client = client as ScriptedRedis;
  }

  /**
   * The ioredis client, for sibling modules in shared/ that need Lua scripts (`defineCommand` with
   * `numberOfKeys`, so the key prefix is applied to KEYS as it is to every command). Call it through
   * `withClient` to get the same error mapping as the port methods.
   */
  get redisClient(): Redis {
    return this.#client;
  }

  /** Runs commands on the client; connection failures reject with `kv_unavailable`. */
  async withClient<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw kvUnavailable('the Redis key/value store is closed');
    try {
      return await command(this.#client);
    } catch (err) {
      throw this.#unavailableOr(err);
    }
  }

  async get(key: string): Promise<string | null> {
    return this.withClient((c) => c.get(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    assertTtlMs(ttlMs);
    await this.withClient((c) => (ttlMs === undefined ? c.set(key, value) : c.set(key, value, 'PX', ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    assertTtlMs(ttlMs);
    const reply = await this.withClient((c) =>
      ttlMs === undefined ? c.set(key, value, 'NX') : c.set(key, value, 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.withClient((c) => c.del(key))) > 0;
  }

  async increment(key: string, by: number, ttlMs?: number): Promise<number> {
    assertIncrement(by);
    assertTtlMs(ttlMs);
    try {
      return await this.withClient(() => this.#client.kvIncrement(key, by, ttlMs ?? ''));
    } catch (err) {
      if (err instanceof ReplyError && /not an integer/.test((err as Error).message)) throw notAnInteger(key, err);
      throw err;
    }
  }

  async ttlMs(key: string): Promise<number | null> {
    const ttl = await this.withClient((c) => c.pttl(key));
    return ttl < 0 ? null : ttl; // -2 missing, -1 no expiry
  }

  async ping(): Promise<void> {
    await this.withClient((c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // fall through: drop the connection without the goodbye
      }
    }
    this.#client.disconnect();
  }

  #unavailableOr(err: unknown): unknown {
    // The server answered: the command itself is wrong, not the connection.
    if (err instanceof ReplyError && !UNAVAILABLE_REPLY.test((err as Error).message)) return err;
    // While disconnected, ioredis rejects with a generic "max retries" error; the connection error says why.
    const reason = this.#lastConnectionError?.message ?? (err instanceof Error ? err.message : String(err));
    return kvUnavailable(`Redis is unavailable: ${reason}`, err);
  }
}

export function createRedisKeyValue(opts: RedisKeyValueOptions): RedisKeyValue {
  return new RedisKeyValue(opts);
}
