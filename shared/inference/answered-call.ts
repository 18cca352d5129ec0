import type { ChainOutcome } from '../routing/index.js';
import type { completedCall } from './call-record.js';
import type { InvokeResult } from './types.js';

/**
 * A call the provider chain answered (a cache miss), invoke or stream: what its record says and what
 * the caller gets, mapped once so the two stay the same.
 */
export function answeredOutcome(answer: ChainOutcome, costMicros: number, hitlStatus: 'pending' | null): Parameters<typeof completedCall>[1] {
  return {
    provider: answer.provider,
    model: answer.model,
    degraded: answer.degraded,
    cacheHit: false,
    inputTokens: answer.usage.inputTokens,
    outputTokens: answer.usage.outputTokens,
    costMicros,
    attempts: answer.attempts,
    hitlStatus,
    output: answer.value,
  };
}

export function answeredResult(
  call: { callId: string; capability: string; costMicros: number; hitl: InvokeResult['hitl']; citations: unknown[] },
  answer: ChainOutcome,
): InvokeResult {
  return {
    call_id: call.callId,
    capability: call.capability,
    output: answer.value,
    provider: answer.provider,
    model: answer.model,
    degraded: answer.degraded,
    cache_hit: false,
    usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens, cost_micros: call.costMicros },
    hitl: call.hitl,
    citations: call.citations,
  };
}
