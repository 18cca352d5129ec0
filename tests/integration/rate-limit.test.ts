import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import type { AppError } from '../../shared/errors/app-error.js';
import { createRateLimiter, type RateLimiterOptions, type RateLimits } from '../../shared/rate-limit/index.js';
import type { Logger } from '../../shared/telemetry/index.js';

// Counters written here expire within a minute, so runs sharing a Redis leave nothing behind.
const RUN_PREFIX = `rate-limit-test:${randomUUID()}:`;
const roomy: RateLimits = { requestsPerMinute: 1_000, tokensPerMinute: 1_000_000 };

const newTenant = (): string => `t-${randomUUID()}`;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

function warnLog(): { logger: Pick<Logger, 'warn'>; messages: string[] } {
  const messages: string[] = [];
  const warn = (_fields: unknown, message?: string): void => {
    messages.push(message ?? '');
  };
  return { logger: { warn } as Pick<Logger, 'warn'>, messages };
}

function expectRateLimited(err: AppError, limit: 'requests_per_minute' | 'tokens_per_minute'): void {
  expect(err).toMatchObject({ status: 429, code: 'rate_limited', extra: { limit } });
  expect(err.detail).toMatch(limit === 'requests_per_minute' ? /requests per minute/ : /tokens per minute/);
  const retryAfter = Number(err.headers['Retry-After']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

function describeRateLimits(name: string, factory: () => KeyValueAdapter): void {
  describe(`rate limits on ${name}`, () => {
    let kv: KeyValueAdapter;
    beforeAll(() => {
      kv = factory();
    });
    afterAll(async () => {
      await kv.close();
    });
    const limiter = (opts: Partial<RateLimiterOptions> = {}) => createRateLimiter({ kv, defaults: roomy, ...opts });

    it('turns away requests over the requests-per-minute limit with 429 and Retry-After', async () => {
      const rl = limiter({ defaults: { ...roomy, requestsPerMinute: 3 } });
      const tenant = newTenant();
      for (let i = 0; i < 3; i++) await rl.admitRequest(tenant, 10);
      expectRateLimited(await rejection(rl.admitRequest(tenant, 10)), 'requests_per_minute');
      expectRateLimited(await rejection(rl.admitRequest(tenant, 0)), 'requests_per_minute');
    });

    it('turns away tokens over the tokens-per-minute limit, and gives a rejected request its tokens back', async () => {
      const rl = limiter({ defaults: { ...roomy, tokensPerMinute: 1_000 } });
      const tenant = newTenant();
      await rl.admitRequest(tenant, 600);
      await rl.admitRequest(tenant, 300);
      expectRateLimited(await rejection(rl.admitRequest(tenant, 200)), 'tokens_per_minute');
      // 900 of 1,000 used: a request that fits is still admitted.
      await rl.admitRequest(tenant, 100);
      expectRateLimited(await rejection(rl.admitRequest(tenant, 1)), 'tokens_per_minute');
    });

    it('gives the tokens of a request turned away by the requests limit back (both are counted at once)', async () => {
      let requestsPerMinute = 2;
      const rl = limiter({ defaults: { requestsPerMinute: 2, tokensPerMinute: 1_000 }, limitsFor: async () => ({ requestsPerMinute }) });
      const tenant = newTenant();
      await rl.admitRequest(tenant, 400);
      await rl.admitRequest(tenant, 400);
      expectRateLimited(await rejection(rl.admitRequest(tenant, 150)), 'requests_per_minute');
      // With room for requests again, the 200 tokens left fit only if the rejected request's 150 came back.
      requestsPerMinute = 10;
      await rl.admitRequest(tenant, 200);
      expectRateLimited(await rejection(rl.admitRequest(tenant, 1)), 'tokens_per_minute');
    });

    it('says so when one request alone is estimated above the tokens-per-minute limit', async () => {
      const rl = limiter({ defaults: { ...roomy, tokensPerMinute: 1_000 } });
      const err = await rejection(rl.admitRequest(newTenant(), 5_000));
      expectRateLimited(err, 'tokens_per_minute');
      expect(err.detail).toMatch(/estimated at 5000 tokens/);
    });

    it('corrects the token count from the estimate to the actual usage', async () => {
      const rl = limiter({ defaults: { ...roomy, tokensPerMinute: 1_000 } });
      const over = newTenant();
      await rl.admitRequest(over, 500);
      await rl.adjustTokens(over, 500, 900);
      expectRateLimited(await rejection(rl.admitRequest(over, 200)), 'tokens_per_minute');

      const under = newTenant();
      await rl.admitRequest(under, 800);
      await rl.adjustTokens(under, 800, 100);
      await rl.admitRequest(under, 800);
    });

    it('applies the corrections of calls answered together as their sum, per tenant', async () => {
      const rl = limiter({ defaults: { ...roomy, tokensPerMinute: 1_000 } });
      const a = newTenant();
      const b = newTenant();
      for (let i = 0; i < 3; i++) await rl.admitRequest(a, 300);
      await rl.admitRequest(b, 900);
      // one tick: a's three calls used 100, 100 and 450 tokens (-250 in all), b's call 1,000 (+100)
      await Promise.all([rl.adjustTokens(a, 300, 100), rl.adjustTokens(b, 900, 1_000), rl.adjustTokens(a, 300, 100), rl.adjustTokens(a, 300, 450)]);
      await rl.admitRequest(a, 350); // 650 + 350 = 1,000
      expectRateLimited(await rejection(rl.admitRequest(a, 1)), 'tokens_per_minute');
      expectRateLimited(await rejection(rl.admitRequest(b, 1)), 'tokens_per_minute');
    });

    it("does not let one tenant's exhaustion affect another", async () => {
      const rl = limiter({ defaults: { requestsPerMinute: 2, tokensPerMinute: 100 } });
      const a = newTenant();
      const b = newTenant();
      await rl.admitRequest(a, 50);
      await rl.admitRequest(a, 50);
      expectRateLimited(await rejection(rl.admitRequest(a, 1)), 'requests_per_minute');
      await rl.admitRequest(b, 100);
      await rl.admitRequest(b, 0);
    });

    it('applies per-tenant overrides from limitsFor', async () => {
      const vip = newTenant();
      const regular = newTenant();
      const rl = limiter({
        defaults: { ...roomy, requestsPerMinute: 2 },
        limitsFor: async (tenantId) => (tenantId === vip ? { requestsPerMinute: 5 } : undefined),
      });
      for (let i = 0; i < 5; i++) await rl.admitRequest(vip, 1);
      expectRateLimited(await rejection(rl.admitRequest(vip, 1)), 'requests_per_minute');
      await rl.admitRequest(regular, 1);
      await rl.admitRequest(regular, 1);
      const err = await rejection(rl.admitRequest(regular, 1));
      expectRateLimited(err, 'requests_per_minute');
      expect(err.detail).toMatch(/limit of 2 requests per minute/);
    });

    it('ignores overrides that are not positive integers, and falls back to the defaults when limitsFor fails', async () => {
      const log = warnLog();
      const broken = newTenant();
      const rl = limiter({
        defaults: { ...roomy, requestsPerMinute: 1 },
        limitsFor: async (tenantId) => {
          if (tenantId === broken) throw new Error('flags unavailable');
          return { requestsPerMinute: -5, tokensPerMinute: 'lots' as unknown as number };
        },
        logger: log.logger,
      });
      const odd = newTenant();
      await rl.admitRequest(odd, 1);
      expectRateLimited(await rejection(rl.admitRequest(odd, 1)), 'requests_per_minute');
      await rl.admitRequest(broken, 1);
      expectRateLimited(await rejection(rl.admitRequest(broken, 1)), 'requests_per_minute');
      expect(log.messages).toContain('rate limits: ignoring overrides that are not positive integers');
      expect(log.messages).toContain('rate limits: could not read the tenant overrides; using the defaults');
    });

    it('rejects a negative or non-finite token estimate as a caller bug', async () => {
      await expect(limiter().admitRequest(newTenant(), -1)).rejects.toThrow(RangeError);
      await expect(limiter().admitRequest(newTenant(), Number.NaN)).rejects.toThrow(RangeError);
    });
  });
}

describeRateLimits('memory', () => createMemoryKeyValue());

const redisUrl = inject('redisUrl');
if (redisUrl) {
  describeRateLimits('redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX }));

  describe('rate limits shared by two service instances through Redis', () => {
    it('counts the requests and tokens of both instances together', async () => {
      const kv1 = createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX });
      const kv2 = createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX });
      try {
        const defaults = { requestsPerMinute: 3, tokensPerMinute: 1_000 };
        const one = createRateLimiter({ kv: kv1, defaults });
        const two = createRateLimiter({ kv: kv2, defaults });
        const requests = newTenant();
        await one.admitRequest(requests, 1);
        await two.admitRequest(requests, 1);
        await one.admitRequest(requests, 1);
        expectRateLimited(await rejection(two.admitRequest(requests, 1)), 'requests_per_minute');
        expectRateLimited(await rejection(one.admitRequest(requests, 1)), 'requests_per_minute');

        const tokens = newTenant();
        await one.admitRequest(tokens, 600);
        expectRateLimited(await rejection(two.admitRequest(tokens, 600)), 'tokens_per_minute');
        await two.admitRequest(tokens, 400);
      } finally {
        await kv1.close();
        await kv2.close();
      }
    });
  });
}

if (redisUrl) {
  describe('rate limits on a Redis client shared with other commands (auto-pipelining)', () => {
    // ioredis gives an auto-pipeline the commands its client had when the pipeline was created: the first
    // count of a process, in the same tick as another command on the client, must still be counted.
    it('counts the first request of a process when it shares its tick with a cache read', async () => {
      const kv = createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX });
      const log = warnLog();
      try {
        const rl = createRateLimiter({ kv, defaults: { requestsPerMinute: 1, tokensPerMinute: 1_000 }, logger: log.logger });
        await kv.ping();
        const tenant = newTenant();
        await Promise.all([kv.get('some-cache-key'), rl.admitRequest(tenant, 1)]);
        expectRateLimited(await rejection(rl.admitRequest(tenant, 1)), 'requests_per_minute');
        expect(log.messages).toEqual([]);
      } finally {
        await kv.close();
      }
    });
  });
}

describe('rate limits when Redis is unreachable', () => {
  it('admits requests (fail open) and logs a warning', async () => {
    const kv = createRedisKeyValue({ url: `redis://127.0.0.1:${await unusedPort()}` });
    const log = warnLog();
    try {
      const rl = createRateLimiter({ kv, defaults: { requestsPerMinute: 1, tokensPerMinute: 1 }, logger: log.logger });
      const tenant = newTenant();
      await rl.admitRequest(tenant, 100);
      await rl.admitRequest(tenant, 100);
      await rl.adjustTokens(tenant, 100, 500);
      expect(log.messages).toEqual([
        'rate limits: store unavailable; admitting the request (fail open)',
        'rate limits: store unavailable; admitting the request (fail open)',
        'rate limits: store unavailable; token usage not corrected',
      ]);
    } finally {
      await kv.close();
    }
  }, 15_000);
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
