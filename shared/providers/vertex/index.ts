import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent } from '../port.js';
import { createVertexClient, type VertexClientOptions } from './client.js';
import { toVertexError } from './errors.js';
import { fromVertexResponse, toVertexRequest, VertexStreamState } from './transform.js';

export interface VertexProviderOptions extends VertexClientOptions {
  /** Gemini 2.5 thinks by default and thinking counts against maxOutputTokens; 0 turns it off (Flash). Unset: the model's default. */
  thinkingBudget?: number;
}

/** Gemini on Vertex AI. BYOK does not apply: the service account's credentials are used, `req.apiKey` is ignored. */
export function createVertexProvider(opts: VertexProviderOptions): LlmProvider {
  const client = createVertexClient(opts);
  const { thinkingBudget } = opts;

  async function generate(req: LlmRequest): Promise<LlmResult> {
    let res;
    try {
      res = await client.models.generateContent(toVertexRequest(req, { thinkingBudget }));
    } catch (err) {
      throw toVertexError(err, req.signal);
    }
    return fromVertexResponse(res, req.model);
  }

  async function* stream(req: LlmRequest): AsyncGenerator<LlmStreamEvent> {
    // Our own controller too, so a consumer that stops early also closes the HTTP stream.
    const stop = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal;
    const state = new VertexStreamState(req.model);
    try {
      const chunks = await client.models.generateContentStream(toVertexRequest(req, { thinkingBudget, signal }));
      for await (const chunk of chunks) {
        const text = state.push(chunk);
        if (text) yield { type: 'delta', text };
      }
    } catch (err) {
      throw toVertexError(err, req.signal);
    } finally {
      stop.abort();
    }
    yield state.end(req.signal);
  }

  return { name: 'vertex', generate, stream };
}
