import type { Message, MessageCreateParamsNonStreaming, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { invalidOutput, refused, unfinishedStreamError } from '../classify-error.js';
import type { LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../port.js';

/**
 * JSON output through structured outputs (`output_config.format`, GA on Claude 4.5 models and later): the
 * answer is one text block of JSON constrained to the schema, streamed as `text_delta`s. The SDK's own
 * transformJSONSchema moves keywords the constrained decoder does not take (minLength, pattern, …) into
 * descriptions instead of letting them fail the request; the pipeline checks them with ajv.
 * Rejected alternatives: tool use forced with `tool_choice` (refused with thinking, which newer models keep on)
 * and a `{` prefill (refused by newer models).
 * No `temperature`: the API version this SDK speaks (anthropic-version 2026-10-21) refuses sampling parameters.
 */
export function toAnthropicRequest(req: LlmRequest): MessageCreateParamsNonStreaming {
  return {
    model: req.model,
    max_tokens: req.maxOutputTokens,
    system: req.system,
    messages: [{ role: 'user', content: req.prompt }],
    output_config: { format: { type: 'json_schema', schema: transformJSONSchema(req.responseSchema) } },
  };
}

function finishReasonOf(reason: string | null | undefined): LlmResult['finishReason'] {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'length';
  return 'other';
}

/** Prompt-cache reads and writes are input too (we do not use prompt caching, so they are 0 or null). */
function inputTokensOf(usage: { input_tokens: number | null; cache_creation_input_tokens?: number | null; cache_read_input_tokens?: number | null }): number {
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

export function fromAnthropicMessage(msg: Message, requestedModel: string): LlmResult {
  if (typeof msg !== 'object' || msg === null || !Array.isArray(msg.content)) throw invalidOutput('anthropic', 'response is not a message');
  if (msg.stop_reason === 'refusal') throw refused('anthropic', 'stop reason refusal');
  const text = msg.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  if (!text) throw invalidOutput('anthropic', 'response has no text');
  if (!msg.usage) throw invalidOutput('anthropic', 'response has no usage');
  return {
    text,
    usage: { inputTokens: inputTokensOf(msg.usage), outputTokens: msg.usage.output_tokens },
    finishReason: finishReasonOf(msg.stop_reason),
    model: msg.model ?? requestedModel,
  };
}

/**
 * Follows a Messages SSE stream: `message_start` (model, input tokens), `text_delta`s, `message_delta` (stop
 * reason, cumulative output tokens), `message_stop`.
 */
export class AnthropicStreamState {
  private model: string;
  private usage: LlmUsage | undefined;
  private stopReason: string | null | undefined;
  private stopped = false;
  private sawText = false;

  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  /** The event's text delta ('' if none); throws `refused` as soon as the stop reason says so. */
  push(event: RawMessageStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        this.model = event.message.model ?? this.model;
        this.usage = { inputTokens: inputTokensOf(event.message.usage), outputTokens: event.message.usage.output_tokens };
        return '';
      case 'content_block_delta':
        if (event.delta.type !== 'text_delta' || !event.delta.text) return '';
        this.sawText = true;
        return event.delta.text;
      case 'message_delta':
        this.stopReason = event.delta.stop_reason;
        if (this.stopReason === 'refusal') throw refused('anthropic', 'stop reason refusal');
        // Cumulative counts; input_tokens here is optional (message_start already had it).
        if (this.usage) {
          this.usage = {
            inputTokens: event.usage.input_tokens == null ? this.usage.inputTokens : inputTokensOf(event.usage),
            outputTokens: event.usage.output_tokens,
          };
        }
        return '';
      case 'message_stop':
        this.stopped = true;
        return '';
      default:
        return '';
    }
  }

  end(signal: AbortSignal | undefined): Extract<LlmStreamEvent, { type: 'end' }> {
    // The SDK ends a stream silently when its signal aborts: only message_stop means the vendor finished.
    if (!this.stopped || !this.stopReason) throw unfinishedStreamError('anthropic', signal);
    if (!this.sawText) throw invalidOutput('anthropic', 'stream has no text');
    if (!this.usage) throw invalidOutput('anthropic', 'stream has no usage');
    return { type: 'end', usage: this.usage, finishReason: finishReasonOf(this.stopReason), model: this.model };
  }
}
