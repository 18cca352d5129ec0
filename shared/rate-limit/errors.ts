import { AppError } from '../errors/app-error.js';

export type RateLimitKind = 'requests' | 'tokens';

export function rateLimited(kind: RateLimitKind, limit: number, retryAfterSeconds: number, estimatedTokens?: number): AppError {
  const what = kind === 'requests' ? `${limit} requests per minute` : `${limit} tokens per minute`;
  const detail =
    kind === 'tokens' && estimatedTokens !== undefined && estimatedTokens > limit
      ? `This request is estimated at ${estimatedTokens} tokens, more than the tenant's limit of ${what}.`
      : `The tenant's limit of ${what} is used up; retry in ${retryAfterSeconds} s.`;
  return new AppError({
    code: 'rate_limited',
    status: 429,
    title: 'Rate limited',
    detail,
    extra: { limit: kind === 'requests' ? 'requests_per_minute' : 'tokens_per_minute', retry_after_seconds: retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}
