import { GoogleGenAI, type GoogleGenAIOptions } from '@google/genai';
import { ProviderError } from '../errors.js';
import type { EmbeddingProvider, EmbeddingResult } from '../port.js';
import { estimateTokens } from '../tokens.js';
import { toVertexError } from '../vertex/errors.js';
import { batchRanges } from './batches.js';

export type VertexAuthClient = NonNullable<GoogleGenAIOptions['googleAuthOptions']>['authClient'];

export interface VertexEmbedderOptions {
  project: string;
  /** Pinned region: requests go to this location's endpoint only. */
  location: string;
  /** e.g. `text-embedding-005`. */
  model: string;
  /** Requested as `outputDimensionality`; every returned vector is checked against it. */
  dimensions: number;
  /** A proxy or a test fake instead of `https://{location}-aiplatform.googleapis.com`. */
  baseUrl?: string;
  /** Credentials other than Application Default Credentials (tests: a fixed-token client). */
  authClient?: VertexAuthClient;
  /** Texts per request. Default: 250 (the `:predict` limit), 1 for Gemini embedding models. */
  maxBatchTexts?: number;
  /** Estimated tokens per request; Vertex refuses requests over 20,000 tokens, the estimate is rough. */
  maxBatchTokens?: number;
  /** Requests in flight at once for one `embed` call. */
  concurrency?: number;
  /** Per-request timeout when the caller gives no signal of its own. */
  timeoutMs?: number;
}

/**
 * Vertex AI text embeddings through `@google/genai` (`vertexai: true`). Inputs are split into batches
 * the API accepts; the SDK's own retries stay off (callers decide), and every failure is a ProviderError.
 */
export function createVertexEmbedder(opts: VertexEmbedderOptions): EmbeddingProvider {
  const ai = new GoogleGenAI({
    vertexai: true,
    project: opts.project,
    location: opts.location,
    httpOptions: Object.assign({}, opts.baseUrl ? { baseUrl: opts.baseUrl } : {}, opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    ...(opts.authClient ? { googleAuthOptions: { authClient: opts.authClient } } : {}),
  });
  const maxTexts = opts.maxBatchTexts ?? (opts.model.includes('gemini') ? 1 : 250);
  const maxTokens = opts.maxBatchTokens ?? 15_000;
  const concurrency = Math.max(1, opts.concurrency ?? 2);

  async function embedBatch(texts: string[], signal: AbortSignal | undefined, taskType: string | undefined): Promise<EmbeddingResult> {
    let response;
    try {
      response = await ai.models.embedContent({
        model: opts.model,
        contents: texts,
        config: { outputDimensionality: opts.dimensions, ...(taskType ? { taskType } : {}), ...(signal ? { abortSignal: signal } : {}) },
      });
    } catch (err) {
      // Same mapping as the Vertex LLM adapter: 429 rate_limited, 5xx unavailable, aborts timeout, sockets connection.
      throw toVertexError(err, signal);
    }
    const embeddings = response.embeddings ?? [];
    const vectors = embeddings.map((e) => e.values ?? []);
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== opts.dimensions)) {
      throw new ProviderError({
        kind: 'invalid_output',
        provider: 'vertex',
        message: `vertex embeddings ${opts.model}: expected ${texts.length} vectors of ${opts.dimensions} values, got ${vectors.length} (${[...new Set(vectors.map((v) => v.length))].join(', ') || 'none'})`,
      });
    }
    const counted = embeddings.map((e) => e.statistics?.tokenCount);
    const inputTokens = counted.every((n) => typeof n === 'number')
      ? (counted as number[]).reduce((s, n) => s + n, 0)
      : texts.reduce((s, t) => s + estimateTokens(t), 0);
    return { vectors, inputTokens };
  }

  return {
    name: 'vertex',
    model: opts.model,
    dimensions: opts.dimensions,
    async embed(texts, options): Promise<EmbeddingResult> {
      const ranges = batchRanges(texts, maxTexts, maxTokens);
      const results = new Array<EmbeddingResult>(ranges.length);
      // A failed batch stops the others from starting; the caller gets the first failure.
      let next = 0;
      let failed = false;
      const worker = async () => {
        while (!failed && next < ranges.length) {
          const index = next++;
          const [start, end] = ranges[index]!;
          try {
            results[index] = await embedBatch(texts.slice(start, end), options?.signal, options?.taskType);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker));
      return { vectors: results.flatMap((r) => r.vectors), inputTokens: results.reduce((s, r) => s + r.inputTokens, 0) };
    },
  };
}
