import OpenAI from 'openai';
import { vendorFetch } from '../vendor-fetch.js';

export interface OpenAiClientOptions {
  /** A proxy or a test fake in front of https://api.openai.com/v1. */
  baseUrl?: string;
  /** The SDK's own limit until response headers arrive; the router's AbortSignal is the real bound. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `maxRetries: 0`: one attempt per call, the router retries. Organization and project are pinned to none so
 * that OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment never ride along with a tenant's own key.
 * Requests go through the shared undici pool (vendor-fetch.ts), not the built-in fetch.
 * The SDK's console logging is off: it would print unparseable stream chunks (model output) verbatim.
 */
export function createOpenAiClient(apiKey: string, opts: OpenAiClientOptions): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: opts.baseUrl ?? null,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    logLevel: 'off',
    fetch: vendorFetch(),
  });
}
