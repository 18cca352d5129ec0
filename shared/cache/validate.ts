/** Argument checks shared by the adapters, so both reject the same inputs with the same message. */

export function assertTtlMs(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer number of milliseconds, got ${String(ttlMs)}`);
  }
}

// Budgets are integer micro-dollars: a fractional amount is a caller bug, never something to round.
export function assertIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) {
    throw new RangeError(`increment must be a safe integer, got ${String(by)}`);
  }
}
