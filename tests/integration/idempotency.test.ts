import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import type { AppError } from '../../shared/errors/app-error.js';
import {
  createIdempotency,
  requestHashOf,
  type IdempotencyOptions,
  type IdempotencyOutcome,
  type StoredResponse,
} from '../../shared/idempotency/index.js';

// Entries written here live at most a minute, so runs sharing a Redis leave nothing behind.
const RUN_PREFIX = `idempotency-test:${randomUUID()}:`;
const TTL_SECONDS = 60;

const ok: StoredResponse = { status: 200, body: { call_id: 'c1', output: { answer: 42 } }, headers: { 'x-call-id': 'c1' } };
const hashA = requestHashOf({ capability: 'support.policy_answer', input: { question: 'pets?', language: 'en' } });
const hashB = requestHashOf({ capability: 'support.policy_answer', input: { question: 'parking?', language: 'en' } });

function first(outcome: IdempotencyOutcome): Extract<IdempotencyOutcome, { kind: 'first' }> {
  if (outcome.kind !== 'first') throw new Error(`expected a first outcome, got ${outcome.kind}`);
  return outcome;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

function describeIdempotency(name: string, factory: () => KeyValueAdapter): void {
  describe(`idempotency on ${name}`, () => {
    let kv: KeyValueAdapter;
    beforeAll(() => {
      kv = factory();
    });
    afterAll(async () => {
      await kv.close();
    });
    const idem = (overrides: Partial<IdempotencyOptions> = {}) => createIdempotency({ kv, ttlSeconds: TTL_SECONDS, ...overrides });
    const tenantId = 'hotel-a';
    const newKey = () => `key-${randomUUID()}`;

    it('runs the first request and replays its response for the same body', async () => {
      const key = newKey();
      const service = idem();
      const claim = first(await service.begin({ tenantId, key, requestHash: hashA }));
      await claim.complete(ok);
      expect(await service.begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: ok });
      // A second instance of the service sees the same entry.
      expect(await idem().begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: ok });
    });

    it('keeps a completed response for the configured TTL', async () => {
      const key = newKey();
      await first(await idem().begin({ tenantId, key, requestHash: hashA })).complete(ok);
      expect(await kv.ttlMs(`idem:${tenantId}:${key}`)).toBeGreaterThan(TTL_SECONDS * 1000 - 5_000);
    });

    it('answers a different body with 409 idempotency_key_reused, before and after completion', async () => {
      const key = newKey();
      const service = idem({ waitTimeoutMs: 60_000 });
      const claim = first(await service.begin({ tenantId, key, requestHash: hashA }));
      // While the first runs: a conflict right away, not after waiting.
      expect(await rejection(service.begin({ tenantId, key, requestHash: hashB }))).toMatchObject({
        status: 409,
        code: 'idempotency_key_reused',
      });
      await claim.complete(ok);
      expect(await rejection(service.begin({ tenantId, key, requestHash: hashB }))).toMatchObject({
        status: 409,
        code: 'idempotency_key_reused',
      });
    });

    it('lets 20 concurrent duplicates run once and replays the stored response to the other 19', async () => {
      const key = newKey();
      const service = idem();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          service.begin({ tenantId, key, requestHash: hashA }).then(async (outcome) => {
            if (outcome.kind === 'first') await outcome.complete(ok);
            return outcome;
          }),
        ),
      );
      expect(outcomes.filter((o) => o.kind === 'first')).toHaveLength(1);
      const replays = outcomes.filter((o) => o.kind === 'replay');
      expect(replays).toHaveLength(19);
      for (const replay of replays) expect(replay).toEqual({ kind: 'replay', response: ok });
    });

    it('lets the next request run after the first abandons', async () => {
      const key = newKey();
      const service = idem();
      await first(await service.begin({ tenantId, key, requestHash: hashA })).abandon();
      const retry = first(await service.begin({ tenantId, key, requestHash: hashA }));
      await retry.complete(ok);
      expect(await service.begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: ok });
    });

    it('wakes a waiting duplicate when the first abandons, making it the first', async () => {
      const key = newKey();
      const service = idem();
      const holder = first(await service.begin({ tenantId, key, requestHash: hashA }));
      const waiter = service.begin({ tenantId, key, requestHash: hashA });
      await holder.abandon();
      expect((await waiter).kind).toBe('first');
    });

    it.each([500, 503, 429, 402])('does not store a %i response: a retry runs again', async (status) => {
      const key = newKey();
      const service = idem();
      await first(await service.begin({ tenantId, key, requestHash: hashA })).complete({ status, body: { code: 'x' } });
      expect((await service.begin({ tenantId, key, requestHash: hashA })).kind).toBe('first');
    });

    it('stores a deterministic client error (400) like a success', async () => {
      const key = newKey();
      const service = idem();
      const invalid: StoredResponse = { status: 400, body: { code: 'invalid_input' } };
      await first(await service.begin({ tenantId, key, requestHash: hashA })).complete(invalid);
      expect(await service.begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: invalid });
    });

    it('lets the next request run once a crashed holder’s lease expires, and keeps the late holder from clobbering it', async () => {
      const key = newKey();
      const service = idem({ leaseSeconds: 0.3, waitTimeoutMs: 10_000 });
      const crashed = first(await service.begin({ tenantId, key, requestHash: hashA }));
      // Waits for the lease to run out, then claims the key.
      const next = first(await service.begin({ tenantId, key, requestHash: hashA }));
      // The "crashed" holder wakes up late: it neither releases nor overwrites the new holder's claim.
      await crashed.abandon();
      await crashed.complete({ status: 200, body: 'stale' });
      await next.complete(ok);
      expect(await service.begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: ok });
    });

    it('gives up waiting after waitTimeoutMs with 409 idempotency_in_progress and Retry-After', async () => {
      const key = newKey();
      const service = idem({ waitTimeoutMs: 100, pollMs: 10 });
      const holder = first(await service.begin({ tenantId, key, requestHash: hashA }));
      const err = await rejection(service.begin({ tenantId, key, requestHash: hashA }));
      expect(err).toMatchObject({ status: 409, code: 'idempotency_in_progress' });
      const retryAfter = Number(err.headers['Retry-After']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await holder.complete(ok);
      expect(await service.begin({ tenantId, key, requestHash: hashA })).toEqual({ kind: 'replay', response: ok });
    });

    it('replaces a corrupt entry instead of failing every retry', async () => {
      const key = newKey();
      await kv.set(`idem:${tenantId}:${key}`, '{"state":', 60_000);
      expect((await idem().begin({ tenantId, key, requestHash: hashA })).kind).toBe('first');
    });

    it('keeps tenants apart: the same key of two tenants runs twice', async () => {
      const key = newKey();
      const service = idem();
      const a = first(await service.begin({ tenantId: 'hotel-a', key, requestHash: hashA }));
      const b = first(await service.begin({ tenantId: 'hotel-b', key, requestHash: hashB }));
      await a.complete(ok);
      await b.complete({ status: 200, body: 'b' });
      expect(await service.begin({ tenantId: 'hotel-b', key, requestHash: hashB })).toEqual({
        kind: 'replay',
        response: { status: 200, body: 'b' },
      });
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(256)],
      ['non-ASCII', 'clé'],
      ['a control character', 'a\nb'],
    ])('rejects a key that is %s with 400 invalid_idempotency_key', async (_name, key) => {
      expect(await rejection(idem().begin({ tenantId, key, requestHash: hashA }))).toMatchObject({
        status: 400,
        code: 'invalid_idempotency_key',
      });
    });

    it('accepts 255 printable ASCII characters, colons included', async () => {
      const key = `a:${'~'.repeat(250)} !"`;
      expect(key).toHaveLength(255);
      expect((await idem().begin({ tenantId, key, requestHash: hashA })).kind).toBe('first');
    });
  });
}

describeIdempotency('memory', () => createMemoryKeyValue());

const redisUrl = inject('redisUrl');
if (redisUrl) {
  describeIdempotency('redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: RUN_PREFIX }));
}

describe('requestHashOf', () => {
  it('is the sha256 hex of the canonical JSON, independent of key order', () => {
    expect(requestHashOf({ a: 1, b: [1, 2] })).toBe(requestHashOf({ b: [1, 2], a: 1 }));
    expect(requestHashOf({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHashOf({ a: 1 })).not.toBe(requestHashOf({ a: 2 }));
  });
});

describe('idempotency when the key/value store is down', () => {
  it('fails the request with kv_unavailable rather than risk running it twice', async () => {
    const kv = createMemoryKeyValue();
    await kv.close();
    const err = await rejection(createIdempotency({ kv }).begin({ tenantId: 'hotel-a', key: 'k', requestHash: hashA }));
    expect(err).toMatchObject({ status: 503, code: 'kv_unavailable' });
  });
});
