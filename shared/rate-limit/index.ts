export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { rateLimited, type RateLimitKind } from './errors.js';
export { mergeLimits, type RateLimitOverrides, type RateLimits } from './limits.js';
