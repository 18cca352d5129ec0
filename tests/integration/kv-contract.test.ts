import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  KV_UNAVAILABLE,
  createMemoryKeyValue,
  createRedisKeyValue,
  type KeyValue,
} from '../../shared/cache/index.js';

// One namespace per run, so runs sharing a Redis never see each other's keys.
const RUN_PREFIX = `kvtest:${randomUUID()}:`;
const SHORT_TTL_MS = 150;

type Factory = (keyPrefix: string) => KeyValue;

/** The semantics every KeyValue adapter must have. */
function describeKeyValueContract(name: string, factory: Factory): void {
  describe(`KeyValue contract: ${name}`, () => {
    const prefix = `${RUN_PREFIX}${name}:`;
    let kv: KeyValue;
    beforeAll(() => {
      kv = factory(prefix);
    });
    afterAll(async () => {
      await kv.close();
    });
    const key = () => randomUUID();

    it('answers ping', async () => {
      await expect(kv.ping()).resolves.toBeUndefined();
    });

    it('reads a missing key as null, with no TTL', async () => {
      const k = key();
      expect(await kv.get(k)).toBeNull();
      expect(await kv.ttlMs(k)).toBeNull();
    });

    it('stores and overwrites a value', async () => {
      const k = key();
      await kv.set(k, '{"a":1}');
      expect(await kv.get(k)).toBe('{"a":1}');
      await kv.set(k, 'second');
      expect(await kv.get(k)).toBe('second');
      expect(await kv.ttlMs(k)).toBeNull();
    });

    it('expires a value after its TTL', async () => {
      const k = key();
      await kv.set(k, 'v', SHORT_TTL_MS);
      const ttl = await kv.ttlMs(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(SHORT_TTL_MS);
      await eventually(async () => (await kv.get(k)) === null);
      expect(await kv.ttlMs(k)).toBeNull();
    });

    it('drops an earlier TTL when a value is set without one', async () => {
      const k = key();
      await kv.set(k, 'v', 60_000);
      await kv.set(k, 'w');
      expect(await kv.ttlMs(k)).toBeNull();
    });

    it('setIfAbsent stores only when missing, and again once the key expired', async () => {
      const k = key();
      expect(await kv.setIfAbsent(k, 'first', SHORT_TTL_MS)).toBe(true);
      expect(await kv.setIfAbsent(k, 'second', SHORT_TTL_MS)).toBe(false);
      expect(await kv.get(k)).toBe('first');
      await eventually(async () => (await kv.get(k)) === null);
      expect(await kv.setIfAbsent(k, 'third')).toBe(true);
      expect(await kv.get(k)).toBe('third');
      expect(await kv.ttlMs(k)).toBeNull();
    });

    it('lets exactly one of many concurrent setIfAbsent calls win', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.setIfAbsent(k, String(i), 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await kv.get(k)).toBe(String(results.indexOf(true)));
    });

    it('deletes a key and says whether it existed', async () => {
      const k = key();
      await kv.set(k, 'v');
      expect(await kv.delete(k)).toBe(true);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.delete(k)).toBe(false);
    });

    it('increment creates a missing key with the TTL', async () => {
      const k = key();
      expect(await kv.increment(k, 5, 10_000)).toBe(5);
      expect(await kv.get(k)).toBe('5');
      const ttl = await kv.ttlMs(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
    });

    it('increment keeps the TTL of an existing key', async () => {
      const k = key();
      await kv.increment(k, 5, 10_000);
      expect(await kv.increment(k, 3, 60_000)).toBe(8);
      expect(await kv.ttlMs(k)).toBeLessThanOrEqual(10_000);

      const persistent = key();
      await kv.increment(persistent, 1);
      expect(await kv.increment(persistent, 1, 60_000)).toBe(2);
      expect(await kv.ttlMs(persistent)).toBeNull();
    });

    it('increment adds to a value stored with set, keeping its TTL', async () => {
      const k = key();
      await kv.set(k, '40', 10_000);
      expect(await kv.increment(k, 2)).toBe(42);
      expect(await kv.ttlMs(k)).toBeGreaterThan(0);
    });

    it('a counter that expired starts again from zero with a fresh TTL', async () => {
      const k = key();
      await kv.increment(k, 7, SHORT_TTL_MS);
      await eventually(async () => (await kv.get(k)) === null);
      expect(await kv.increment(k, 1, 10_000)).toBe(1);
      expect(await kv.ttlMs(k)).toBeGreaterThan(SHORT_TTL_MS);
    });

    it('increment accepts negative and zero amounts', async () => {
      const k = key();
      expect(await kv.increment(k, 0)).toBe(0);
      expect(await kv.increment(k, -250)).toBe(-250);
      expect(await kv.increment(k, 1_000)).toBe(750);
      expect(await kv.get(k)).toBe('750');
    });

    it('200 concurrent increments each see a distinct total and sum exactly', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 200 }, () => kv.increment(k, 1, 10_000)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(await kv.get(k)).toBe('200');
      expect(await kv.ttlMs(k)).toBeGreaterThan(0);
    });

    it('rejects a non-integer increment without touching the key', async () => {
      const k = key();
      for (const by of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        await expect(kv.increment(k, by)).rejects.toThrow(RangeError);
      }
      await expect(kv.increment(k, 0.1)).rejects.toThrow(/increment must be a safe integer, got 0.1/);
      expect(await kv.get(k)).toBeNull();
    });

    it('rejects increment on a value that is not an integer, leaving it unchanged', async () => {
      const k = key();
      await kv.set(k, '{"not":"a number"}');
      await expect(kv.increment(k, 1)).rejects.toThrow(/is not an integer/);
      await kv.set(k, '1.5');
      await expect(kv.increment(k, 1)).rejects.toThrow(/is not an integer/);
      expect(await kv.get(k)).toBe('1.5');
    });

    it('rejects a TTL that is not a positive integer', async () => {
      const k = key();
      for (const ttl of [0, -1, 1.5]) {
        await expect(kv.set(k, 'v', ttl)).rejects.toThrow(/ttlMs must be a positive integer/);
        await expect(kv.setIfAbsent(k, 'v', ttl)).rejects.toThrow(RangeError);
        await expect(kv.increment(k, 1, ttl)).rejects.toThrow(RangeError);
      }
      expect(await kv.get(k)).toBeNull();
    });

    it('instances with different key prefixes do not see each other', async () => {
      const a = factory(`${prefix}a:`);
      const b = factory(`${prefix}b:`);
      try {
        await a.set('shared', 'from a');
        await b.set('shared', 'from b');
        await a.increment('counter', 10);
        expect(await a.get('shared')).toBe('from a');
        expect(await b.get('shared')).toBe('from b');
        expect(await b.get('counter')).toBeNull();
        expect(await b.delete('counter')).toBe(false);
        expect(await a.get('counter')).toBe('10');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('after close every call fails with kv_unavailable, and close can be repeated', async () => {
      const closing = factory(prefix);
      await closing.set('before-close', 'v');
      await closing.close();
      await closing.close();
      await expect(closing.get('before-close')).rejects.toMatchObject({ code: KV_UNAVAILABLE, status: 503 });
      await expect(closing.increment('c', 1)).rejects.toMatchObject({ code: KV_UNAVAILABLE });
      await expect(closing.ping()).rejects.toMatchObject({ code: KV_UNAVAILABLE });
    });
  });
}

describeKeyValueContract('memory', (keyPrefix) => createMemoryKeyValue({ keyPrefix }));

const redisUrl = inject('redisUrl');
if (redisUrl) {
  afterAll(async () => {
    await deleteKeysStartingWith(redisUrl, RUN_PREFIX);
  });

  describeKeyValueContract('redis', (keyPrefix) => createRedisKeyValue({ url: redisUrl, keyPrefix }));

  describe('Redis adapter key prefix', () => {
    const prefix = `${RUN_PREFIX}prefix:`;

    it('applies the prefix to plain commands and to the increment script', async () => {
      const outer = createRedisKeyValue({ url: redisUrl, keyPrefix: prefix });
      const inner = createRedisKeyValue({ url: redisUrl, keyPrefix: `${prefix}inner:` });
      try {
        await inner.set('plain', 'v');
        await inner.increment('scripted', 3, 10_000);
        expect(await outer.get('inner:plain')).toBe('v');
        expect(await outer.get('inner:scripted')).toBe('3');
        expect(await outer.ttlMs('inner:scripted')).toBeGreaterThan(0);
        // Sibling modules reach the same prefixed keyspace through the exposed client.
        expect(await inner.withClient((c) => c.get('plain'))).toBe('v');
      } finally {
        await outer.close();
        await inner.close();
      }
    });
  });
}

describe('Redis adapter without a reachable server', () => {
  it('fails with kv_unavailable when nothing listens on the port', async () => {
    const kv = createRedisKeyValue({ url: `redis://127.0.0.1:${await unusedPort()}` });
    try {
      const failure = kv.ping();
      await expect(failure).rejects.toMatchObject({ code: KV_UNAVAILABLE, status: 503 });
      await expect(failure).rejects.toThrow(/ECONNREFUSED/);
      await expect(kv.increment('k', 1)).rejects.toMatchObject({ code: KV_UNAVAILABLE });
    } finally {
      await kv.close();
    }
  }, 10_000);

  it('fails with kv_unavailable when the server accepts but never answers', async () => {
    const silent = await silentServer();
    const kv = createRedisKeyValue({ url: `redis://127.0.0.1:${silent.port}`, commandTimeoutMs: 300 });
    try {
      await expect(kv.get('k')).rejects.toMatchObject({ code: KV_UNAVAILABLE });
    } finally {
      await kv.close();
      await silent.close();
    }
  }, 10_000);
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP server that accepts connections and never replies: a hung Redis. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function deleteKeysStartingWith(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}
