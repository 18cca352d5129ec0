/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from baseMs, capped at maxMs,
 * with jitter in the upper half so instances retrying together spread out. Always within [baseMs, maxMs].
 */
export function backoffDelayMs(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** exponent);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.min(opts.maxMs, Math.max(opts.baseMs, jittered)));
}
