/**
 * A vendor-neutral token estimate (about four characters per token for English text). Used where no
 * vendor count exists: the deterministic provider's usage, the local embedder, and the budget's
 * worst-case reservation of a request's input before the call.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
