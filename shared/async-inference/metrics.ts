import { Counter, type Registry } from 'prom-client';

export type CommandOutcomeLabel = 'completed' | 'failed' | 'poison' | 'duplicate' | 'retry';

/** `async_commands_total{outcome}`: how pushed commands were answered (`retry` = 5xx, Pub/Sub redelivers). */
export function asyncCommandCounter(registry: Registry): Counter<'outcome'> {
  // The push route and the embedded bus share one counter per registry.
  const existing = registry.getSingleMetric('async_commands_total');
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({ name: 'async_commands_total', help: 'Async inference commands answered, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
}
