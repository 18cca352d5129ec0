import Anthropic from '@anthropic-ai/sdk';
import { vendorFetch } from '../vendor-fetch.js';

export interface AnthropicClientOptions {
  /** A proxy or a test fake in front of https://api.anthropic.com. */
  baseUrl?: string;
  /** The SDK's own limit until response headers arrive; the router's AbortSignal is the real bound. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `maxRetries: 0`: one attempt per call, the router retries. A key passed in code keeps the SDK from reading
 * ANTHROPIC_* credentials from the environment. Requests go through the shared undici pool
 * (vendor-fetch.ts). The SDK's console logging is off: it would print unparseable
 * stream chunks (model output) verbatim.
 */
export function createAnthropicClient(apiKey: string, opts: AnthropicClientOptions): Anthropic {
  return new Anthropic({ apiKey, baseURL: opts.baseUrl ?? null, maxRetries: 0, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, logLevel: 'off', fetch: vendorFetch() });
}
