import { ProviderError } from '../providers/errors.js';
import type { LlmProvider, LlmRequest, LlmResult } from '../providers/port.js';

/** How one attempt talks to its provider: yields text deltas (if any), returns the whole result. */
export type Execute = (provider: LlmProvider, req: LlmRequest) => AsyncGenerator<string, LlmResult>;

// A plain call has no deltas: a generator without yield keeps one attempt loop for both kinds of call.
// eslint-disable-next-line require-yield
export const generateOnce: Execute = async function* (provider, req) {
  return await provider.generate(req);
};

export const streamDeltas: Execute = async function* (provider, req) {
  let text = '';
  for await (const event of provider.stream(req)) {
    if (event.type === 'end') return { text, usage: event.usage, finishReason: event.finishReason, model: event.model };
    text += event.text;
    yield event.text;
  }
  throw new ProviderError({ kind: 'connection', provider: provider.name, message: 'the stream ended without its end event' });
};
