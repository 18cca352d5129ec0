import { PassThrough } from 'node:stream';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { AppError } from '../../../shared/errors/app-error.js';
import { bodyValidator, problemBody, type HttpApp } from '../../../shared/http/index.js';
import { invoke } from '../../../shared/inference/invoke.js';
import { invokeStream, type StreamPiece } from '../../../shared/inference/stream.js';
import { chainFailure } from '../../../shared/inference/errors.js';
import type { InferenceDeps, InvokeResult } from '../../../shared/inference/types.js';

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  /** Extension: the capability input as an object, instead of JSON in the last user message. */
  input?: unknown;
  [openAiField: string]: unknown;
}

const parseChatBody = bodyValidator<ChatBody>({
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['role'], properties: { role: { type: 'string' } } },
    },
    stream: { type: 'boolean' },
    stream_options: { type: 'object' },
    input: {},
  },
});

/**
 * POST /v1/chat/completions, OpenAI-compatible: `model` names a capability; the capability input is the
 * JSON object in the last user message (or the `input` extension field); the answer's content is the
 * capability output as JSON. `stream: true` answers with server-sent events in OpenAI's chunk format.
 */
export function chatCompletionRoutes(app: HttpApp, opts: { inference: InferenceDeps }): void {
  app.post('/v1/chat/completions', { preHandler: requireScope(SCOPES.aiInvoke) }, async (httpRequest, reply) => {
    const body = parseChatBody(httpRequest.body ?? {});
    const request = {
      principal: principalOf(httpRequest),
      capability: body.model,
      input: capabilityInput(body),
      channel: 'chat' as const,
    };
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) return completion(await invoke(opts.inference, request), created);
    const stream = invokeStream(opts.inference, request);
    // Errors before the first piece still get a normal problem+json answer.
    const first = await stream.next();
    const events = new PassThrough();
    void writeEvents(events, body, created, first, stream);
    return reply.code(200).headers({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' }).send(events);
  });
}

/** The server-sent events of a streamed completion, from its first piece on; always ends `out`. */
async function writeEvents(out: PassThrough, body: ChatBody, created: number, first: IteratorResult<StreamPiece>, stream: AsyncGenerator<StreamPiece>): Promise<void> {
  const id = `chatcmpl-${Date.now().toString(36)}`;
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    sse(out, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  chunk({ role: 'assistant', content: '' }, null);
  try {
    let piece = first;
    while (!piece.done) {
      const value = piece.value;
      if (value.type === 'delta') chunk({ content: value.text }, null);
      else {
        chunk({}, 'stop', { system_fingerprint: `${value.result.provider}:${value.result.model}`, ai_orchestrator: meta(value.result) });
        if (body.stream_options?.include_usage) sse(out, { id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usage(value.result) });
      }
      piece = await stream.next();
    }
    out.write('data: [DONE]\n\n');
  } catch (err) {
    // After the first byte the status is sent: the failure is an error event, and no [DONE] follows.
    const problem = err instanceof AppError ? err : chainFailure(err);
    out.write(`event: error\ndata: ${JSON.stringify({ error: { message: problem.detail, type: problem.code, code: problem.code }, problem: problemBody(problem) })}\n\n`);
  }
  out.end();
}

function capabilityInput(body: ChatBody): unknown {
  if (body.input !== undefined) return body.input;
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  const content = typeof lastUser?.content === 'string' ? lastUser.content : Array.isArray(lastUser?.content) ? textParts(lastUser.content) : undefined;
  if (content === undefined) throw badChat('The last user message must carry the capability input as a JSON object (or send it in `input`).');
  try {
    return JSON.parse(content);
  } catch {
    throw badChat('The last user message must be the capability input as JSON text.');
  }
}

function textParts(parts: unknown[]): string {
  return parts.map((p) => ((p as { type?: string; text?: string }).type === 'text' ? ((p as { text?: string }).text ?? '') : '')).join('');
}

function badChat(detail: string): AppError {
  return new AppError({ code: 'invalid_input', status: 400, title: 'Invalid input', detail, extra: { errors: [{ path: '/messages', message: detail }] } });
}

function completion(result: InvokeResult, created: number) {
  return {
    id: `chatcmpl-${result.call_id}`,
    object: 'chat.completion',
    created,
    model: result.capability,
    system_fingerprint: `${result.provider}:${result.model}`,
    choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(result.output), refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: usage(result),
    ai_orchestrator: meta(result),
  };
}

function usage(result: InvokeResult) {
  return { prompt_tokens: result.usage.input_tokens, completion_tokens: result.usage.output_tokens, total_tokens: result.usage.input_tokens + result.usage.output_tokens };
}

/** Our own fields, beside OpenAI's: what a sibling service needs that OpenAI's format has no place for. */
function meta(result: InvokeResult) {
  return { call_id: result.call_id, provider: result.provider, model: result.model, degraded: result.degraded, cache_hit: result.cache_hit, cost_micros: result.usage.cost_micros, hitl: result.hitl, citations: result.citations };
}

function sse(out: PassThrough, data: unknown): void {
  out.write(`data: ${JSON.stringify(data)}\n\n`);
}
