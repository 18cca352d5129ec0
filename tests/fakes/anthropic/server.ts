import { splitText, startHttpFake, type Answer, type HttpFake, type HttpFakeOptions, type RecordedRequest, type WireProtocol, type WireResponse } from '../http-fake.js';

/**
 * A wire fake of Anthropic's Messages API (`POST /v1/messages`), for `@anthropic-ai/sdk` with `baseURL`
 * pointing here. A streamed answer is the SSE sequence message_start, content_block_start,
 * content_block_delta (text_delta)…, content_block_stop, message_delta (stop reason, output tokens),
 * message_stop. Errors are `{ type: 'error', error: { type, message } }` with the status's error type.
 */
export type FakeAnthropic = HttpFake;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const modelOf = (req: RecordedRequest) => (typeof req.body.model === 'string' ? req.body.model : 'unknown');

const usage = (a: Answer, output = a.usage.output) => ({ input_tokens: a.usage.input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
const stopReason = (a: Answer) => (a.refusal ? 'refusal' : 'end_turn');

function message(a: Answer, content: unknown[], stop: string | null, output?: number) {
  return { id: 'msg_fake', type: 'message', role: 'assistant', model: a.model, content, stop_reason: stop, stop_sequence: null, usage: usage(a, output) };
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const protocol: WireProtocol = {
  isStream: (req) => req.body.stream === true,

  answer(_req, a, stream): WireResponse {
    const content = a.text ? [{ type: 'text', text: a.text }] : [];
    if (!stream) return { status: 200, json: message(a, content, stopReason(a)) };
    const head = [frame('message_start', { type: 'message_start', message: message(a, [], null, 1) })];
    if (a.text) head.push(frame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    const deltas = (a.text ? splitText(a.text) : []).map((text) =>
      frame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    );
    const tail = [
      ...(a.text ? [frame('content_block_stop', { type: 'content_block_stop', index: 0 })] : []),
      frame('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason(a), stop_sequence: null }, usage: { output_tokens: a.usage.output } }),
      frame('message_stop', { type: 'message_stop' }),
    ];
    return { sse: { head, deltas, tail } };
  },

  error(status, retryAfter): WireResponse {
    return {
      status,
      headers: retryAfter ? { 'retry-after': retryAfter } : {},
      json: { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message: `fake error ${status}` } },
    };
  },
};

export function startFakeAnthropic(opts: HttpFakeOptions = {}): Promise<FakeAnthropic> {
  return startHttpFake(protocol, modelOf, opts);
}
