import { estimateTokens } from '../tokens.js';

/**
 * Splits texts into consecutive batches of at most `maxTexts` texts and about `maxTokens` estimated
 * tokens (one oversized text still gets a batch of its own). Returns index ranges into `texts`.
 */
export function batchRanges(texts: readonly string[], maxTexts: number, maxTokens: number): Array<[start: number, end: number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) {
    const t = estimateTokens(texts[i]!);
    if (i > start && (i - start >= maxTexts || tokens + t > maxTokens)) {
      ranges.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += t;
  }
  if (start < texts.length) ranges.push([start, texts.length]);
  return ranges;
}
