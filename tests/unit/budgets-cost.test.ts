import { describe, expect, it } from 'vitest';
import { costMicros, upperBoundTokens, worstCaseMicros, type PriceTable } from '../../shared/budgets/index.js';

const prices: PriceTable = {
  'vertex:gemini-2.5-flash': { inputMicrosPerMTok: 300_000, outputMicrosPerMTok: 2_500_000 },
  'anthropic:claude-sonnet-4-5': { inputMicrosPerMTok: 3_000_000, outputMicrosPerMTok: 15_000_000 },
  'openai:gpt-4.1-mini': { inputMicrosPerMTok: 400_000, outputMicrosPerMTok: 1_600_000 },
  'deterministic:rules-v1': { inputMicrosPerMTok: 0, outputMicrosPerMTok: 0 },
  'big:model': { inputMicrosPerMTok: 9_000_000_000, outputMicrosPerMTok: 9_000_000_000 },
};

describe('costMicros', () => {
  it('charges tokens × micro-dollars per million tokens, exactly when it divides', () => {
    // 1,000 in × 0.3 µ$ + 2,000 out × 2.5 µ$ = 300 + 5,000
    expect(costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: 1_000, outputTokens: 2_000 })).toBe(5_300);
    expect(costMicros(prices, 'anthropic', 'claude-sonnet-4-5', { inputTokens: 1_000_000, outputTokens: 0 })).toBe(3_000_000);
  });

  it('rounds a fractional micro-dollar up, never down', () => {
    // 1 input token of gemini = 0.3 µ$ → 1
    expect(costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: 1, outputTokens: 0 })).toBe(1);
    // 3 in (0.9) + 1 out (2.5) = 3.4 → 4: one rounding of the total, not one per side (which would give 1 + 3)
    expect(costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: 3, outputTokens: 1 })).toBe(4);
    // 7 out × 1.6 = 11.2 → 12
    expect(costMicros(prices, 'openai', 'gpt-4.1-mini', { inputTokens: 0, outputTokens: 7 })).toBe(12);
  });

  it('returns integers and zero for free models and no tokens', () => {
    expect(costMicros(prices, 'deterministic', 'rules-v1', { inputTokens: 12_345, outputTokens: 999 })).toBe(0);
    expect(costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: 0, outputTokens: 0 })).toBe(0);
    expect(Number.isInteger(costMicros(prices, 'openai', 'gpt-4.1-mini', { inputTokens: 333, outputTokens: 777 }))).toBe(true);
  });

  it('stays exact where a float product would not', () => {
    // 999,999,999 × 9e9 ≈ 9e18 exceeds 2^53; the BigInt product is exact: ceil(8,999,999,991,000,000,000 / 1e6)
    expect(costMicros(prices, 'big', 'model', { inputTokens: 999_999_999, outputTokens: 0 })).toBe(8_999_999_991_000);
  });

  it('refuses to price a model missing from the price table (never free by accident)', () => {
    expect(() => costMicros(prices, 'openai', 'gpt-unknown', { inputTokens: 1, outputTokens: 1 })).toThrow(
      expect.objectContaining({ code: 'price_missing' }),
    );
  });

  it('rejects negative or fractional token counts', () => {
    expect(() => costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: -1, outputTokens: 0 })).toThrow(RangeError);
    expect(() => costMicros(prices, 'vertex', 'gemini-2.5-flash', { inputTokens: 1.5, outputTokens: 0 })).toThrow(RangeError);
  });
});

describe('worstCaseMicros', () => {
  const chain = [
    { provider: 'vertex', model: 'gemini-2.5-flash' },
    { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    { provider: 'openai', model: 'gpt-4.1-mini' },
    { provider: 'deterministic', model: 'rules-v1' },
  ] as const;

  it('is the dearest link at the input estimate and the maximum output', () => {
    // anthropic: 2,000 × 3 + 512 × 15 = 6,000 + 7,680
    expect(worstCaseMicros(prices, chain, 2_000, 512)).toBe(13_680);
  });

  it('is the single link when the chain has one, and 0 for a free chain', () => {
    expect(worstCaseMicros(prices, [chain[2]], 10, 10)).toBe(costMicros(prices, 'openai', 'gpt-4.1-mini', { inputTokens: 10, outputTokens: 10 }));
    expect(worstCaseMicros(prices, [chain[3]], 10_000, 10_000)).toBe(0);
    expect(worstCaseMicros(prices, [], 10, 10)).toBe(0);
  });
});

describe('upperBoundTokens', () => {
  it('counts UTF-8 bytes, which no byte-level tokenizer can exceed', () => {
    expect(upperBoundTokens('hello')).toBe(5);
    expect(upperBoundTokens('é€')).toBe(5);
    expect(upperBoundTokens('')).toBe(0);
  });
});
