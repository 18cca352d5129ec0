import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValue } from '../../shared/cache/index.js';
import {
  createInferenceCache,
  inferenceCacheKey,
  type CachedInference,
  type InferenceCache,
} from '../../shared/inference-cache/index.js';
import type { Logger } from '../../shared/telemetry/index.js';

// Every entry written here has a TTL of at most a minute, so runs sharing a Redis leave nothing behind.
const RUN_PREFIX = `inference-cache-test:${randomUUID()}:`;

const answer: CachedInference = {
  output: { offers: [{ code: 'LATE', title: 'Late checkout', pitch: 'Sleep in.' }], reason: 'two nights' },
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  degraded: false,
  usage: { input_tokens: 120, output_tokens: 45 },
  citations: [],
  created_at: '2026-05-01T10:00:00.000Z',
};

function keyFor(tenantId: string, input: unknown = { n: randomUUID() }): string {
  return inferenceCacheKey({
    tenantId,
    capability: 'reservation.upsell_offer',
    promptVersion: 'upsell-v1',
    chain: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }],
    input,
  });
}

function warnLog(): { logger: Pick<Logger, 'warn'>; messages: string[] } {
  const messages: string[] = [];
  const warn = (_fields: unknown, message?: string): void => {
    messages.push(message ?? '');
  };
  return { logger: { warn } as Pick<Logger, 'warn'>, messages };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describeInferenceCache(name: string, factory: () => KeyValue): void {
  describe(`inference cache on ${name}`, () => {
    let kv: KeyValue;
    let cache: InferenceCache;
    const log = warnLog();
    beforeAll(() => {
      kv = factory();
      cache = createInferenceCache({ kv, logger: log.logger });
    });
    afterAll(async () => {
      await kv.close();
    });

    it('misses, then serves what was stored', async () => {
      const key = keyFor('hotel-a');
      expect(await cache.get(key)).toBeNull();
      await cache.set(key, answer, 60);
      expect(await cache.get(key)).toEqual(answer);
      const ttl = await kv.ttlMs(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('forgets an entry after its TTL', async () => {
      const key = keyFor('hotel-a');
      await cache.set(key, answer, 0.2);
      expect(await cache.get(key)).toEqual(answer);
      await eventually(async () => (await cache.get(key)) === null);
    });

    it('stores nothing when the TTL is 0', async () => {
      const key = keyFor('hotel-a');
      await cache.set(key, answer, 0);
      expect(await kv.get(key)).toBeNull();
      expect(await cache.get(key)).toBeNull();
    });

    it('stores no degraded answer', async () => {
      const key = keyFor('hotel-a');
      await cache.set(key, { ...answer, provider: 'deterministic', model: 'deterministic', degraded: true }, 60);
      expect(await kv.get(key)).toBeNull();
    });

    it("never serves one tenant's entry to another", async () => {
      const input = { same: 'input' + randomUUID() };
      await cache.set(keyFor('hotel-a', input), answer, 60);
      expect(await cache.get(keyFor('hotel-a', input))).toEqual(answer);
      expect(await cache.get(keyFor('hotel-b', input))).toBeNull();
    });

    it.each([
      ['not JSON', '{"output":'],
      ['JSON of another shape', '{"output":1,"provider":"x"}'],
    ])('treats an entry that is %s as a miss and deletes it', async (_kind, raw) => {
      const key = keyFor('hotel-a');
      await kv.set(key, raw, 60_000);
      const before = log.messages.length;
      expect(await cache.get(key)).toBeNull();
      expect(await kv.get(key)).toBeNull();
      expect(log.messages.slice(before)).toEqual([expect.stringMatching(/corrupt entry/)]);
    });
  });
}

describeInferenceCache('memory', () => createMemoryKeyValue());

const redisUrl = inject('redisUrl');
if (redisUrl) {
  describeInferenceCache('redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX }));
}

describe('inference cache when the key/value store fails', () => {
  it.each([
    ['a closed memory store', async () => {
      const kv = createMemoryKeyValue();
      await kv.close();
      return kv;
    }],
    ['an unreachable Redis', async () => createRedisKeyValue({ url: `redis://127.0.0.1:${await unusedPort()}` })],
  ])('serves misses and swallows writes with %s, logging a warning', async (_name, open) => {
    const kv = await open();
    const log = warnLog();
    const cache = createInferenceCache({ kv, logger: log.logger });
    try {
      const key = keyFor('hotel-a');
      await expect(cache.get(key)).resolves.toBeNull();
      await expect(cache.set(key, answer, 60)).resolves.toBeUndefined();
      expect(log.messages).toEqual([expect.stringMatching(/read failed/), expect.stringMatching(/write failed/)]);
    } finally {
      await kv.close();
    }
  });
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
