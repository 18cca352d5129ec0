import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TENANT_ID_PATTERN } from '../auth/principal.js';
import type { KeyValueAdapter } from '../cache/index.js';
import type { Logger } from '../telemetry/index.js';
import { rateLimited } from './errors.js';
import { limiterCache } from './limiters.js';
import { mergeLimits, type RateLimitOverrides, type RateLimits } from './limits.js';
import { createTickBatcher } from '../util/tick-batch.js';

export interface RateLimiter {
  /**
   * Counts one request and its estimated tokens against the tenant's per-minute limits. Throws AppError 429
   * `rate_limited` (Retry-After in seconds) when either is over. A request turned away by the token limit
   * gets its tokens back; every attempt counts as a request.
   */
  admitRequest(tenantId: string, estimatedTokens: number): Promise<void>;
  /** After the call: corrects the token count from the estimate to the reported usage. A store failure is logged, never thrown. */
  adjustTokens(tenantId: string, estimatedTokens: number, actualTokens: number): Promise<void>;
}

export interface RateLimiterOptions {
  kv: KeyValueAdapter;
  /** config.tenantDefaults.rateLimits */
  defaults: RateLimits;
  /** A tenant's overrides (flags or config); called on every request, so answer from memory. */
  limitsFor?: (tenantId: string) => Promise<RateLimitOverrides>;
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Per-tenant requests and tokens per minute, counted in the key/value store (rate-limiter-flexible) so all
 * instances share one count.
 *
 * Fails open: when the store cannot be reached the request is admitted and a warning logged. Rate limits
 * protect capacity, not money (budgets do that), so an outage of the store must not take the API down with it.
 */
export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { defaults, limitsFor, logger } = opts;
  const limiterFor = limiterCache(opts.kv);

  async function limitsOf(tenantId: string): Promise<RateLimits> {
    let overrides: RateLimitOverrides;
    try {
      overrides = await limitsFor?.(tenantId);
    } catch (err) {
      logger?.warn({ tenantId, error: errorText(err) }, 'rate limits: could not read the tenant overrides; using the defaults');
    }
    const { limits, ignored } = mergeLimits(defaults, overrides);
    if (ignored.length) logger?.warn({ tenantId, ignored }, 'rate limits: ignoring overrides that are not positive integers');
    return limits;
  }

  async function consume(limiter: RateLimiterAbstract, tenantId: string, points: number): Promise<Consumed> {
    try {
      await limiter.consume(tenantId, points);
      return 'admitted';
    } catch (err) {
      return err instanceof RateLimiterRes ? { over: err } : { unavailable: err };
    }
  }

  // A tenant's corrections of one tick (the calls of one group commit) go out as one count of their sum.
  // If the window rolled over since admission a correction lands in the new one: off by at most one
  // request's estimate, which beats a read-then-write race on every request.
  const corrections = createTickBatcher<{ tpm: RateLimiterAbstract; tenantId: string; delta: number }>(async (items) => {
    const { tpm, tenantId } = items[0] as (typeof items)[number];
    const delta = items.reduce((sum, c) => sum + c.delta, 0);
    if (delta === 0) return;
    try {
      await (delta > 0 ? tpm.penalty(tenantId, delta) : tpm.reward(tenantId, -delta));
    } catch (err) {
      logger?.warn({ tenantId, calls: items.length, error: errorText(err) }, 'rate limits: store unavailable; token usage not corrected');
    }
  });

  async function giveTokensBack(tpm: RateLimiterAbstract, tenantId: string, tokens: number): Promise<void> {
    await tpm.reward(tenantId, tokens).catch((err: unknown) => {
      logger?.warn({ tenantId, error: errorText(err) }, 'rate limits: could not return the tokens of a rejected request');
    });
  }

  return {
    async admitRequest(tenantId, estimatedTokens) {
      assertTenant(tenantId);
      const tokens = tokenCount(estimatedTokens, 'estimatedTokens');
      const limits = await limitsOf(tenantId);

      // Both counts at once: the store gets them in one round trip. The library counts points even when
      // it turns them away, so a rejected request's tokens are given back whichever limit rejected it.
      const tpm = tokens > 0 ? limiterFor('tpm', limits.tokensPerMinute) : undefined;
      const [requests, consumed] = await Promise.all([
        consume(limiterFor('rpm', limits.requestsPerMinute), tenantId, 1),
        tpm ? consume(tpm, tenantId, tokens) : ('admitted' as const),
      ]);
      const giveBack = async () => {
        if (tpm && !isUnavailable(consumed)) await giveTokensBack(tpm, tenantId, tokens);
      };
      if (isOver(requests)) {
        await giveBack();
        throw rateLimited('requests', limits.requestsPerMinute, retryAfterSeconds(requests.over));
      }
      if (isOver(consumed)) {
        await giveBack();
        throw rateLimited('tokens', limits.tokensPerMinute, retryAfterSeconds(consumed.over), tokens);
      }
      const failed = [requests, consumed].find(isUnavailable);
      if (failed) logger?.warn({ tenantId, error: errorText(failed.unavailable) }, 'rate limits: store unavailable; admitting the request (fail open)');
    },

    async adjustTokens(tenantId, estimatedTokens, actualTokens) {
      assertTenant(tenantId);
      const delta = tokenCount(actualTokens, 'actualTokens') - tokenCount(estimatedTokens, 'estimatedTokens');
      if (delta === 0) return;
      const tpm = limiterFor('tpm', (await limitsOf(tenantId)).tokensPerMinute);
      await corrections.add(`${tenantId}\n${tpm.points}`, { tpm, tenantId, delta });
    },
  };
}

// 'over' carries the library's answer (when the window frees up); 'unavailable' means fail open.
type Consumed = { over: RateLimiterRes } | 'admitted' | { unavailable: unknown };
const isOver = (c: Consumed): c is { over: RateLimiterRes } => typeof c === 'object' && 'over' in c;
const isUnavailable = (c: Consumed): c is { unavailable: unknown } => typeof c === 'object' && 'unavailable' in c;

function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

function tokenCount(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${String(value)}`);
  return Math.ceil(value);
}

function assertTenant(tenantId: string): void {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new RangeError(`invalid tenant id for a rate limit: ${JSON.stringify(tenantId)}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
