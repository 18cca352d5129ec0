import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ProviderError } from '../errors.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent } from '../port.js';
import { estimateTokens } from '../tokens.js';
import { COMPOSERS } from './composers/index.js';
import { minimalValue } from './schema-filler.js';

export interface DeterministicProviderOptions {
  /** The configured capabilities (their output schemas are compiled once, here). */
  capabilities: Record<string, { outputSchema: Record<string, unknown> }>;
}

const STREAM_DELTAS = 4;

/**
 * The last link of every chain: answers from `req.capability` and `req.input` by fixed rules, without a
 * network, and always with output valid against the capability's schema. A composer's answer that the
 * (possibly reconfigured) schema rejects is replaced by the schema's minimal value.
 */
export function createDeterministicProvider(opts: DeterministicProviderOptions): LlmProvider {
  const ajv = new Ajv({ strict: false });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const [key, def] of Object.entries(opts.capabilities)) validators.set(key, ajv.compile(def.outputSchema));
  // Capabilities unknown at start-up are checked against the request's schema, compiled on first use.
  const lateValidators = new WeakMap<object, ValidateFunction>();

  function validatorFor(req: LlmRequest): { schema: Record<string, unknown>; validate: ValidateFunction } {
    const known = validators.get(req.capability);
    const schema = opts.capabilities[req.capability]?.outputSchema ?? req.responseSchema;
    if (known) return { schema, validate: known };
    let late = lateValidators.get(schema);
    if (!late) {
      late = ajv.compile(schema);
      lateValidators.set(schema, late);
    }
    return { schema, validate: late };
  }

  function answer(req: LlmRequest): LlmResult {
    if (req.signal?.aborted) throw new ProviderError({ kind: 'timeout', provider: 'deterministic', message: 'deterministic: aborted before answering' });
    const { schema, validate } = validatorFor(req);
    const composed = COMPOSERS[req.capability]?.(req.input);
    const output = composed !== undefined && validate(composed) ? composed : minimalValue(schema);
    if (!validate(output)) {
      throw new ProviderError({ kind: 'invalid_output', provider: 'deterministic', message: `deterministic: no valid answer for ${req.capability} (${ajv.errorsText(validate.errors)})` });
    }
    const text = JSON.stringify(output);
    return {
      text,
      usage: { inputTokens: estimateTokens(req.system + req.prompt), outputTokens: estimateTokens(text) },
      finishReason: 'stop',
      model: req.model,
    };
  }

  return {
    name: 'deterministic',
    async generate(req) {
      return answer(req);
    },
    async *stream(req): AsyncIterable<LlmStreamEvent> {
      const result = answer(req);
      for (const delta of split(result.text, STREAM_DELTAS)) yield { type: 'delta', text: delta };
      yield { type: 'end', usage: result.usage, finishReason: result.finishReason, model: result.model };
    },
  };
}

/** At most `parts` consecutive pieces, never splitting a surrogate pair. */
function split(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end++;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}
