/** A tenant's limits; both are positive integers per one-minute window. */
export interface RateLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export type RateLimitOverrides = Partial<RateLimits> | undefined;

/**
 * The defaults with the overrides that are positive integers (overrides come from flags, i.e. from admin
 * input in Postgres: anything else is ignored rather than trusted). Returns the names of ignored values.
 */
export function mergeLimits(defaults: RateLimits, overrides: RateLimitOverrides): { limits: RateLimits; ignored: string[] } {
  const limits = { ...defaults };
  const ignored: string[] = [];
  if (overrides === undefined || overrides === null) return { limits, ignored };
  for (const name of ['requestsPerMinute', 'tokensPerMinute'] as const) {
    const value: unknown = (overrides as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (Number.isSafeInteger(value) && (value as number) > 0) limits[name] = value as number;
    else ignored.push(name);
  }
  return { limits, ignored };
}
