import type { ChainLink, Config } from '../config/types.js';
import { AppError } from '../errors/app-error.js';

export type PriceTable = Config['prices'];

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const MICROS_PER_MTOK_DIVISOR = 1_000_000n;

/**
 * What a call cost, in integer micro-dollars: the exact price (tokens × micro-dollars per million tokens)
 * rounded up once, so a call is never charged less than it cost. BigInt keeps the product exact.
 */
export function costMicros(prices: PriceTable, provider: string, model: string, usage: TokenUsage): number {
  const price = priceOf(prices, provider, model);
  assertTokens(usage.inputTokens, 'inputTokens');
  assertTokens(usage.outputTokens, 'outputTokens');
  const numerator =
    BigInt(usage.inputTokens) * BigInt(price.inputMicrosPerMTok) + BigInt(usage.outputTokens) * BigInt(price.outputMicrosPerMTok);
  const micros = (numerator + MICROS_PER_MTOK_DIVISOR - 1n) / MICROS_PER_MTOK_DIVISOR;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`cost of ${provider}:${model} exceeds 2^53 micro-dollars`);
  return Number(micros);
}

/**
 * The most one call through `chain` can cost: the dearest link at `inputTokens` in and `maxOutputTokens`
 * out. This is what admission reserves. It bounds a call that ends on one link; a call that pays for an
 * attempt on one link (tokens used, output invalid) and then another costs their sum.
 */
export function worstCaseMicros(prices: PriceTable, chain: readonly Pick<ChainLink, 'provider' | 'model'>[], inputTokens: number, maxOutputTokens: number): number {
  let worst = 0;
  for (const link of chain) {
    worst = Math.max(worst, costMicros(prices, link.provider, link.model, { inputTokens, outputTokens: maxOutputTokens }));
  }
  return worst;
}

/**
 * An upper bound on the tokens of a text for any byte-level BPE tokenizer (every token covers at least
 * one UTF-8 byte), for estimating the input side before the call.
 */
export function upperBoundTokens(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function priceOf(prices: PriceTable, provider: string, model: string): PriceTable[string] {
  const price = prices[`${provider}:${model}`];
  // A missing price must never make calls free: it is a configuration error.
  if (!price) {
    throw new AppError({
      code: 'price_missing',
      status: 500,
      title: 'Price missing',
      detail: `config.prices has no entry for "${provider}:${model}"`,
    });
  }
  return price;
}

function assertTokens(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(n)}`);
}
