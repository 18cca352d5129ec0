import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inferenceCacheKey, type InferenceCacheKeyParts } from '../../shared/inference-cache/index.js';
import { canonicalJson, CanonicalJsonText } from '../../shared/util/canonical-json.js';

const base: InferenceCacheKeyParts = {
  tenantId: 'hotel-a',
  capability: 'reservation.upsell_offer',
  promptVersion: 'upsell-v1',
  chain: [
    { provider: 'vertex', model: 'gemini-2.5-flash' },
    { provider: 'anthropic', model: 'claude-sonnet-4-5' },
  ],
  input: { reservation: { room_type: 'double', nights: 2, guests: 2, arrival_date: '2026-07-01' }, guest: { tier: 'gold' } },
};

describe('inferenceCacheKey', () => {
  it('is inf:{tenant}:{sha256 of the canonical parts}', () => {
    const expectedHash = createHash('sha256')
      .update(
        canonicalJson({
          tenantId: base.tenantId,
          capability: base.capability,
          promptVersion: base.promptVersion,
          chain: ['vertex:gemini-2.5-flash', 'anthropic:claude-sonnet-4-5'],
          input: base.input,
          context: null,
        }),
      )
      .digest('hex');
    expect(inferenceCacheKey(base)).toBe(`inf:hotel-a:${expectedHash}`);
  });

  it('is the same key when the input comes as its canonical JSON (serialised once per call by the pipeline)', () => {
    expect(inferenceCacheKey({ ...base, input: new CanonicalJsonText(canonicalJson(base.input)) })).toBe(inferenceCacheKey(base));
  });

  it('does not depend on the key order of the input', () => {
    const reordered = { guest: { tier: 'gold' }, reservation: { arrival_date: '2026-07-01', guests: 2, nights: 2, room_type: 'double' } };
    expect(inferenceCacheKey({ ...base, input: reordered })).toBe(inferenceCacheKey(base));
  });

  it('ignores link timeouts, which do not change the answer', () => {
    const withTimeouts = base.chain.map((link) => ({ ...link, timeoutMs: 1234 }));
    expect(inferenceCacheKey({ ...base, chain: withTimeouts })).toBe(inferenceCacheKey(base));
  });

  it.each<[string, Partial<InferenceCacheKeyParts>]>([
    ['tenant', { tenantId: 'hotel-b' }],
    ['capability', { capability: 'support.policy_answer' }],
    ['prompt version', { promptVersion: 'upsell-v2' }],
    ['chain order', { chain: [...base.chain].reverse() }],
    ['chain model', { chain: [{ provider: 'vertex', model: 'gemini-2.5-pro' }] }],
    ['input', { input: { ...(base.input as object), guest: { tier: 'silver' } } }],
    ['context', { context: { chunks: ['c1', 'c2'] } }],
  ])('changes with the %s', (_name, change) => {
    expect(inferenceCacheKey({ ...base, ...change })).not.toBe(inferenceCacheKey(base));
  });

  it('keeps the tenant as a readable prefix', () => {
    expect(inferenceCacheKey({ ...base, tenantId: 'hotel-b' })).toMatch(/^inf:hotel-b:[0-9a-f]{64}$/);
  });

  it('rejects a tenant id that could forge a key segment', () => {
    expect(() => inferenceCacheKey({ ...base, tenantId: 'hotel-a:x' })).toThrow(RangeError);
    expect(() => inferenceCacheKey({ ...base, tenantId: '' })).toThrow(RangeError);
  });

  it('rejects an input that is not JSON data', () => {
    expect(() => inferenceCacheKey({ ...base, input: { n: Number.NaN } })).toThrow(/non-finite number/);
  });
});
