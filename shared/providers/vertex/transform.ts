import type { GenerateContentParameters, GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import { invalidOutput, refused, unfinishedStreamError } from '../classify-error.js';
import type { LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../port.js';
import { toGeminiJsonSchema } from './schema.js';

/** Finish reasons meaning Google's safety or policy filters stopped the answer. */
const REFUSAL_REASONS = new Set(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

export function toVertexRequest(req: LlmRequest, opts: { thinkingBudget?: number; signal?: AbortSignal }): GenerateContentParameters {
  return {
    model: req.model,
    contents: [{ role: 'user', parts: [{ text: req.prompt }] }],
    config: {
      systemInstruction: req.system,
      responseMimeType: 'application/json',
      responseJsonSchema: toGeminiJsonSchema(req.responseSchema),
      maxOutputTokens: req.maxOutputTokens,
      temperature: req.temperature,
      abortSignal: opts.signal ?? req.signal,
      // Otherwise the SDK re-opens a stream that broke (a hidden retry, and a second bill): the router decides.
      automaticContinuation: false,
      ...(opts.thinkingBudget !== undefined ? { thinkingConfig: { thinkingBudget: opts.thinkingBudget } } : {}),
    },
  };
}

function finishReasonOf(reason: string | undefined): LlmResult['finishReason'] {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  return 'other';
}

/** Gemini bills thinking tokens as output tokens, so they count here. */
function usageOf(meta: GenerateContentResponseUsageMetadata | undefined): LlmUsage | undefined {
  if (!meta || meta.promptTokenCount === undefined) return undefined;
  return { inputTokens: meta.promptTokenCount, outputTokens: (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0) };
}

/** Throws `refused` for a blocked prompt or a candidate stopped by the safety filters. */
function checkRefusal(res: GenerateContentResponse): void {
  const blocked = res.promptFeedback?.blockReason;
  if (blocked) throw refused('vertex', `prompt blocked: ${blocked}`);
  const reason = res.candidates?.[0]?.finishReason;
  if (reason && REFUSAL_REASONS.has(reason)) throw refused('vertex', `finish reason ${reason}`);
}

/** The answer text of the first candidate, without thought summaries. */
function textOf(res: GenerateContentResponse): string {
  const parts = res.candidates?.[0]?.content?.parts ?? [];
  return parts.map((p) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join('');
}

export function fromVertexResponse(res: GenerateContentResponse, requestedModel: string): LlmResult {
  if (typeof res !== 'object' || res === null) throw invalidOutput('vertex', 'response is not a JSON object');
  checkRefusal(res);
  const text = textOf(res);
  if (!text) throw invalidOutput('vertex', 'response has no text');
  const usage = usageOf(res.usageMetadata);
  if (!usage) throw invalidOutput('vertex', 'response has no usage');
  return { text, usage, finishReason: finishReasonOf(res.candidates?.[0]?.finishReason), model: res.modelVersion ?? requestedModel };
}

/**
 * Follows a `streamGenerateContent` SSE stream: each chunk carries a piece of text, and the running usage;
 * the last one carries the finish reason.
 */
export class VertexStreamState {
  private usage: LlmUsage | undefined;
  private finishReason: string | undefined;
  private model: string;
  private sawText = false;

  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  /** The chunk's text delta ('' if none); throws `refused` as soon as a chunk says so. */
  push(chunk: GenerateContentResponse): string {
    checkRefusal(chunk);
    this.usage = usageOf(chunk.usageMetadata) ?? this.usage;
    this.finishReason = chunk.candidates?.[0]?.finishReason ?? this.finishReason;
    this.model = chunk.modelVersion ?? this.model;
    const text = textOf(chunk);
    if (text) this.sawText = true;
    return text;
  }

  end(signal: AbortSignal | undefined): Extract<LlmStreamEvent, { type: 'end' }> {
    if (!this.finishReason) throw unfinishedStreamError('vertex', signal);
    if (!this.sawText) throw invalidOutput('vertex', 'stream has no text');
    if (!this.usage) throw invalidOutput('vertex', 'stream has no usage');
    return { type: 'end', usage: this.usage, finishReason: finishReasonOf(this.finishReason), model: this.model };
  }
}
