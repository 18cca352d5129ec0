import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createInferenceMetrics, timed } from '../../shared/inference/metrics.js';

async function stepSamples(registry: Registry) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'inference_step_seconds');
  return (metric?.values ?? []) as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
}

describe('timed (inference_step_seconds{step})', () => {
  it('observes each step once per call with its duration in seconds, and returns what the step returned', async () => {
    const registry = new Registry();
    const metrics = createInferenceMetrics(registry);
    expect(await timed(metrics, 'cache', async () => 'hit')).toBe('hit');
    await timed(metrics, 'cache', () => new Promise((resolve) => setTimeout(resolve, 20)));
    await timed(metrics, 'chain', async () => undefined);
    const samples = await stepSamples(registry);
    const count = (step: string) => samples.find((s) => s.metricName === 'inference_step_seconds_count' && s.labels.step === step)?.value;
    const sum = (step: string) => samples.find((s) => s.metricName === 'inference_step_seconds_sum' && s.labels.step === step)?.value ?? 0;
    expect(count('cache')).toBe(2);
    expect(count('chain')).toBe(1);
    expect(sum('cache')).toBeGreaterThanOrEqual(0.015);
    expect(sum('cache')).toBeLessThan(5);
  });

  it('observes a step that fails, and rethrows its error', async () => {
    const registry = new Registry();
    const metrics = createInferenceMetrics(registry);
    await expect(timed(metrics, 'reserve', async () => Promise.reject(new Error('exhausted')))).rejects.toThrow('exhausted');
    const samples = await stepSamples(registry);
    expect(samples.find((s) => s.metricName === 'inference_step_seconds_count' && s.labels.step === 'reserve')?.value).toBe(1);
  });
});
