import type { ChatCompletionCreateParams, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ProviderError } from '../errors.js';
import { keyedClients } from '../keyed-clients.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent } from '../port.js';
import { createOpenAiClient, type OpenAiClientOptions } from './client.js';
import { toOpenAiError } from './errors.js';
import { fromOpenAiCompletion, OpenAiStreamState, toOpenAiRequest } from './transform.js';

type ChatCompletionStreamFields = Pick<ChatCompletionCreateParamsStreaming, 'stream' | 'stream_options'>;

export interface OpenAiProviderOptions extends OpenAiClientOptions {
  /** The platform's key (OPENAI_API_KEY). A request's `apiKey` (BYOK) takes precedence. */
  apiKey?: string;
}

export function createOpenAiProvider(opts: OpenAiProviderOptions): LlmProvider {
  const clientFor = keyedClients((apiKey) => createOpenAiClient(apiKey, opts));

  function client(req: LlmRequest) {
    const apiKey = req.apiKey ?? opts.apiKey;
    if (!apiKey) throw new ProviderError({ kind: 'auth', provider: 'openai', message: 'openai: no API key configured' });
    return clientFor(apiKey);
  }

  async function generate(req: LlmRequest): Promise<LlmResult> {
    let completion;
    try {
      completion = await client(req).chat.completions.create(toOpenAiRequest(req), { signal: req.signal });
    } catch (err) {
      throw toOpenAiError(err, req.signal);
    }
    return fromOpenAiCompletion(completion, req.model);
  }

  async function* stream(req: LlmRequest): AsyncGenerator<LlmStreamEvent> {
    const state = new OpenAiStreamState(req.model);
    try {
      // Breaking out of this loop (a consumer that stops early) aborts the HTTP stream in the SDK.
      const chunks = await client(req).chat.completions.create(
        Object.assign<ChatCompletionCreateParams, ChatCompletionStreamFields>(toOpenAiRequest(req), { stream: true, stream_options: { include_usage: true } }),
        { signal: req.signal },
      );
      for await (const chunk of chunks) {
        const text = state.push(chunk);
        if (text) yield { type: 'delta', text };
      }
    } catch (err) {
      throw toOpenAiError(err, req.signal);
    }
    yield state.end(req.signal);
  }

  return { name: 'openai', generate, stream };
}
