import { GoogleGenAI, type GoogleGenAIOptions } from '@google/genai';

export interface VertexClientOptions {
  project: string;
  /** Pinned region, e.g. `europe-west1`: never `global`, and no fallback to another region. */
  location: string;
  /** A proxy or a test fake in front of `https://{location}-aiplatform.googleapis.com`. */
  baseUrl?: string;
  /** The SDK's own per-request limit; the router's AbortSignal is the real bound. */
  timeoutMs?: number;
  /** Unset: Application Default Credentials. Tests pass `{ authClient }` with a fixed token. */
  googleAuthOptions?: GoogleGenAIOptions['googleAuthOptions'];
}

const DEFAULT_TIMEOUT_MS = 60_000;
const REGION = /^[a-z]+-[a-z]+\d+$/;

/**
 * The Vertex AI client. No `retryOptions`: the SDK then makes exactly one attempt per call (the router
 * retries). An explicit project and location also keep GOOGLE_API_KEY / GEMINI_API_KEY from the environment
 * from switching the SDK to API-key mode.
 */
export function createVertexClient(opts: VertexClientOptions): GoogleGenAI {
  if (!REGION.test(opts.location)) {
    throw new Error(`vertex: location must be one pinned region such as europe-west1, got "${opts.location}"`);
  }
  if (!opts.project) throw new Error('vertex: project is required');
  return new GoogleGenAI({
    vertexai: true,
    project: opts.project,
    location: opts.location,
    httpOptions: { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) },
    ...(opts.googleAuthOptions ? { googleAuthOptions: opts.googleAuthOptions } : {}),
  });
}
