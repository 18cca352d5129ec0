import type { ProviderName } from './port.js';

/**
 * Why a provider call failed, as the router needs to know it:
 * - rate_limited (429), unavailable (5xx), timeout, connection, invalid_output: fall through to the next link
 *   (429/503 may be retried once first);
 * - auth (our credentials were refused): fall through, the provider is misconfigured, not the request;
 * - bad_request (a 4xx caused by the request): stop, another vendor would refuse it too;
 * - refused (safety / content-policy refusal): stop and return it as such, never route around it.
 */
export type ProviderErrorKind = 'rate_limited' | 'unavailable' | 'timeout' | 'connection' | 'invalid_output' | 'auth' | 'bad_request' | 'refused';

const FALLS_THROUGH: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'unavailable', 'timeout', 'connection', 'invalid_output', 'auth']);

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: ProviderName;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(opts: { kind: ProviderErrorKind; provider: ProviderName; message: string; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(opts.message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.kind = opts.kind;
    this.provider = opts.provider;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }

  /** The router moves on to the next link of the chain. */
  get fallsThrough(): boolean {
    return FALLS_THROUGH.has(this.kind);
  }

  /** Worth one retry on the same link (with jitter) before falling through. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || (this.kind === 'unavailable' && this.status === 503);
  }
}

export const isProviderError = (err: unknown): err is ProviderError => err instanceof ProviderError;
