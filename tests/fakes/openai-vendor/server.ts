import { splitText, startHttpFake, type Answer, type HttpFake, type HttpFakeOptions, type RecordedRequest, type WireProtocol, type WireResponse } from '../http-fake.js';

/**
 * A wire fake of OpenAI's Chat Completions API (`POST /v1/chat/completions`), for the `openai` SDK with
 * `baseURL` pointing at `${url}/v1`. A streamed answer is `chat.completion.chunk` frames (a role chunk,
 * content deltas, a chunk with the finish reason, a usage chunk with no choices when
 * `stream_options.include_usage` is set) and `data: [DONE]`. Errors are `{ error: { message, type, code } }`.
 */
export type FakeOpenAi = HttpFake;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'server_error',
};

const modelOf = (req: RecordedRequest) => (typeof req.body.model === 'string' ? req.body.model : 'unknown');

const usage = (a: Answer) => ({ prompt_tokens: a.usage.input, completion_tokens: a.usage.output, total_tokens: a.usage.input + a.usage.output });
const base = (a: Answer, object: string) => ({ id: 'chatcmpl-fake', object, created: Math.floor(Date.now() / 1000), model: a.model, system_fingerprint: 'fp_fake' });

function completion(a: Answer) {
  const message = { role: 'assistant', content: a.refusal || !a.text ? null : a.text, refusal: a.refusal ? 'I can’t help with that.' : null, annotations: [] };
  return { ...base(a, 'chat.completion'), choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }], usage: usage(a) };
}

const chunk = (a: Answer, delta: Record<string, unknown>, finish: string | null = null) => ({
  ...base(a, 'chat.completion.chunk'),
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});
const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

const protocol: WireProtocol = {
  isStream: (req) => req.body.stream === true,

  answer(req, a, stream): WireResponse {
    if (!stream) return { status: 200, json: completion(a) };
    const head = [frame(chunk(a, { role: 'assistant', content: '', refusal: null }))];
    const deltas = a.refusal
      ? [frame(chunk(a, { refusal: 'I can’t help with that.' }))]
      : (a.text ? splitText(a.text) : []).map((content) => frame(chunk(a, { content })));
    const includeUsage = (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const tail = [
      frame(chunk(a, {}, 'stop')),
      ...(includeUsage ? [frame({ ...base(a, 'chat.completion.chunk'), choices: [], usage: usage(a) })] : []),
      'data: [DONE]\n\n',
    ];
    return { sse: { head, deltas, tail } };
  },

  error(status, retryAfter): WireResponse {
    const type = ERROR_TYPES[status] ?? 'server_error';
    return { status, headers: retryAfter ? { 'retry-after': retryAfter } : {}, json: { error: { message: `fake error ${status}`, type, param: null, code: type } } };
  },
};

export function startFakeOpenAi(opts: HttpFakeOptions = {}): Promise<FakeOpenAi> {
  return startHttpFake(protocol, modelOf, opts);
}
