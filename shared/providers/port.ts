/**
 * The LLM and embedding ports. Business code (routing, the inference pipeline) sees only these; each
 * vendor folder adapts its SDK to them (shared/providers/<vendor>/).
 */
export type ProviderName = 'vertex' | 'anthropic' | 'openai' | 'deterministic';
export const PROVIDER_NAMES: readonly ProviderName[] = ['vertex', 'anthropic', 'openai', 'deterministic'];

export interface LlmRequest {
  /** Vendor model id, e.g. `gemini-2.5-flash`, `claude-sonnet-4-5`, `gpt-4.1-mini`. */
  model: string;
  system: string;
  /** The rendered user prompt. */
  prompt: string;
  /** JSON Schema the output must match; adapters ask the vendor for JSON output (and pass the schema where supported). */
  responseSchema: Record<string, unknown>;
  maxOutputTokens: number;
  temperature: number;
  /** Aborts the call (link timeout or overall deadline). */
  signal?: AbortSignal;
  /** A tenant's own vendor key (BYOK); the adapter's configured key otherwise. */
  apiKey?: string;
  /** The capability and its validated input: the deterministic provider answers from them. */
  capability: string;
  input: unknown;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmResult {
  /** The model's raw text (expected to be JSON); the caller parses and validates it. */
  text: string;
  usage: LlmUsage;
  /** Vendor finish reason, normalised: `stop`, `length`, `safety`, `other`. */
  finishReason: 'stop' | 'length' | 'safety' | 'other';
  /** The model that answered (as the vendor reports it). */
  model: string;
}

export type LlmStreamEvent = { type: 'delta'; text: string } | { type: 'end'; usage: LlmUsage; finishReason: LlmResult['finishReason']; model: string };

export interface LlmProvider {
  readonly name: ProviderName;
  generate(req: LlmRequest): Promise<LlmResult>;
  /** Yields deltas then exactly one `end` (with the vendor-reported usage); throws ProviderError on failure. */
  stream(req: LlmRequest): AsyncIterable<LlmStreamEvent>;
}

export interface EmbeddingResult {
  vectors: number[][];
  inputTokens: number;
}

export interface EmbeddingProvider {
  readonly name: string;
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[], opts?: { signal?: AbortSignal; taskType?: 'RETRIEVAL_DOCUMENT' | 'RETRIEVAL_QUERY' }): Promise<EmbeddingResult>;
}
