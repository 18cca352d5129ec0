import type { MessageCreateParams, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import { ProviderError } from '../errors.js';
import { keyedClients } from '../keyed-clients.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent } from '../port.js';
import { createAnthropicClient, type AnthropicClientOptions } from './client.js';
import { toAnthropicError } from './errors.js';
import { AnthropicStreamState, fromAnthropicMessage, toAnthropicRequest } from './transform.js';

export interface AnthropicProviderOptions extends AnthropicClientOptions {
  /** The platform's key (ANTHROPIC_API_KEY). A request's `apiKey` (BYOK) takes precedence. */
  apiKey?: string;
}

export function createAnthropicProvider(opts: AnthropicProviderOptions): LlmProvider {
  const clientFor = keyedClients((apiKey) => createAnthropicClient(apiKey, opts));

  function client(req: LlmRequest) {
    const apiKey = req.apiKey ?? opts.apiKey;
    if (!apiKey) throw new ProviderError({ kind: 'auth', provider: 'anthropic', message: 'anthropic: no API key configured' });
    return clientFor(apiKey);
  }

  async function generate(req: LlmRequest): Promise<LlmResult> {
    let msg;
    try {
      msg = await client(req).messages.create(toAnthropicRequest(req), { signal: req.signal });
    } catch (err) {
      throw toAnthropicError(err, req.signal);
    }
    return fromAnthropicMessage(msg, req.model);
  }

  async function* stream(req: LlmRequest): AsyncGenerator<LlmStreamEvent> {
    const state = new AnthropicStreamState(req.model);
    try {
      // Breaking out of this loop (a consumer that stops early) aborts the HTTP stream in the SDK.
      const events = await client(req).messages.create(Object.assign<MessageCreateParams, Pick<MessageCreateParamsStreaming, 'stream'>>(toAnthropicRequest(req), { stream: true }), { signal: req.signal });
      for await (const event of events) {
        const text = state.push(event);
        if (text) yield { type: 'delta', text };
      }
    } catch (err) {
      throw toAnthropicError(err, req.signal);
    }
    yield state.end(req.signal);
  }

  return { name: 'anthropic', generate, stream };
}
