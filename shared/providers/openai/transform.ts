import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { invalidOutput, refused, unfinishedStreamError } from '../classify-error.js';
import type { LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../port.js';

/** `json_schema.name` allows `[a-zA-Z0-9_-]{1,64}`. */
function schemaName(capability: string): string {
  return capability.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'answer';
}

/**
 * JSON output through `response_format: json_schema` with `strict: false`: strict mode rejects schemas with
 * optional properties or keywords it does not support (a 400 that would stop the chain); the pipeline
 * validates the output with ajv anyway.
 */
export function toOpenAiRequest(req: LlmRequest): ChatCompletionCreateParamsNonStreaming {
  return {
    model: req.model,
    messages: [
      { role: 'system', content: req.system },
      { role: 'user', content: req.prompt },
    ],
    // `max_tokens` is deprecated and refused by newer models.
    max_completion_tokens: req.maxOutputTokens,
    temperature: req.temperature,
    response_format: { type: 'json_schema', json_schema: { name: schemaName(req.capability), schema: req.responseSchema, strict: false } },
  };
}

function finishReasonOf(reason: string | null | undefined): LlmResult['finishReason'] {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  return 'other';
}

function usageOf(usage: CompletionUsage | null | undefined): LlmUsage | undefined {
  return usage ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } : undefined;
}

export function fromOpenAiCompletion(completion: ChatCompletion, requestedModel: string): LlmResult {
  const choice = typeof completion === 'object' && completion !== null ? completion.choices?.[0] : undefined;
  if (!choice) throw invalidOutput('openai', 'response has no choice');
  if (choice.message?.refusal) throw refused('openai', 'refusal');
  if (choice.finish_reason === 'content_filter') throw refused('openai', 'content filter');
  const text = choice.message?.content;
  if (!text) throw invalidOutput('openai', 'response has no text');
  const usage = usageOf(completion.usage);
  if (!usage) throw invalidOutput('openai', 'response has no usage');
  return { text, usage, finishReason: finishReasonOf(choice.finish_reason), model: completion.model ?? requestedModel };
}

/**
 * Follows a chat.completions stream: content deltas, a chunk with the finish reason, then (with
 * `stream_options.include_usage`) a last chunk with no choices and the usage.
 */
export class OpenAiStreamState {
  private model: string;
  private usage: LlmUsage | undefined;
  private finishReason: string | undefined;
  private sawText = false;

  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  /** The chunk's text delta ('' if none); throws `refused` as soon as the model refuses or the content filter stops it. */
  push(chunk: ChatCompletionChunk): string {
    this.model = chunk.model ?? this.model;
    this.usage = usageOf(chunk.usage) ?? this.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return '';
    if (choice.delta?.refusal) throw refused('openai', 'refusal');
    if (choice.finish_reason === 'content_filter') throw refused('openai', 'content filter');
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const text = choice.delta?.content ?? '';
    if (text) this.sawText = true;
    return text;
  }

  end(signal: AbortSignal | undefined): Extract<LlmStreamEvent, { type: 'end' }> {
    // The SDK ends a stream silently when its signal aborts: only a finish reason means the vendor finished.
    if (!this.finishReason) throw unfinishedStreamError('openai', signal);
    if (!this.sawText) throw invalidOutput('openai', 'stream has no text');
    if (!this.usage) throw invalidOutput('openai', 'stream has no usage');
    return { type: 'end', usage: this.usage, finishReason: finishReasonOf(this.finishReason), model: this.model };
  }
}
