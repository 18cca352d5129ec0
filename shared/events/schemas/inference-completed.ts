import { count, id, micros, name } from './common.js';

export interface InferenceCompletedData {
  call_id: string;
  capability: string;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
  cache_hit: boolean;
  /** True when a fallback model (not the chain's first) answered. */
  degraded: boolean;
  latency_ms: number;
  correlation_id?: string;
  /** The async command's request_id (channel async). */
  request_id?: string;
  /** An async command answered from an earlier call's Idempotency-Key result: nothing ran and nothing was charged now. */
  replayed?: boolean;
}

export const inferenceCompletedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['call_id', 'capability', 'provider', 'model', 'input_tokens', 'output_tokens', 'cost_micros', 'cache_hit', 'degraded', 'latency_ms'],
  properties: {
    call_id: id,
    capability: name,
    provider: name,
    model: name,
    input_tokens: count,
    output_tokens: count,
    cost_micros: micros,
    cache_hit: { type: 'boolean' },
    degraded: { type: 'boolean' },
    latency_ms: count,
    correlation_id: id,
    request_id: id,
    replayed: { type: 'boolean' },
  },
} as const;
