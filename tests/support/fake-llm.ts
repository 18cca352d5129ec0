import type { Registry } from 'prom-client';
import type { CapabilityDefinition, ChainLink } from '../../shared/capabilities/types.js';
import { ProviderError, type ProviderErrorKind } from '../../shared/providers/errors.js';
import { PROVIDER_NAMES, type LlmProvider, type LlmRequest, type LlmResult, type LlmStreamEvent, type LlmUsage, type ProviderName } from '../../shared/providers/port.js';
import { createChainRunner, type BreakerSettings, type ChainRunner, type ChainRunOptions, type ValidationResult } from '../../shared/routing/index.js';
import { createLogger } from '../../shared/telemetry/index.js';

/**
 * An in-process LlmProvider for router tests, scripted call by call. The vendor adapters are tested
 * against wire fakes; this double only lets the router see each outcome the port can produce.
 */
export type FakeStep =
  /** Answers `text`; a stream sends it as `chunks` (default: two halves) then its end event. */
  | { text: string; usage?: LlmUsage; finishReason?: LlmResult['finishReason']; chunks?: string[] }
  /** Fails with a ProviderError; a stream first sends `afterChunks`. */
  | { fail: ProviderErrorKind; status?: number; retryAfterMs?: number; afterChunks?: string[] }
  /** Never answers: fails with `timeout` when its signal aborts, or never settles at all with `ignoreSignal`. */
  | { hang: true; ignoreSignal?: boolean };

const DEFAULT_STATUS: Partial<Record<ProviderErrorKind, number>> = { rate_limited: 429, unavailable: 500, bad_request: 400, auth: 401 };
export const FAKE_USAGE: LlmUsage = { inputTokens: 11, outputTokens: 7 };

export class FakeLlm implements LlmProvider {
  /** Every request received, in order. */
  readonly calls: LlmRequest[] = [];
  /** Streams whose reader stopped before the end. */
  streamsClosedEarly = 0;
  private readonly queue: FakeStep[] = [];

  constructor(
    readonly name: ProviderName,
    private otherwise: FakeStep = { fail: 'unavailable', status: 500 },
  ) {}

  /** Outcomes of the next calls, one per call; once used up, the `always` step answers. */
  script(...steps: FakeStep[]): this {
    this.queue.push(...steps);
    return this;
  }

  always(step: FakeStep): this {
    this.otherwise = step;
    return this;
  }

  async generate(req: LlmRequest): Promise<LlmResult> {
    const step = this.next(req);
    if ('hang' in step) return this.hang(req, step);
    if ('fail' in step) throw this.error(step);
    return { text: step.text, usage: step.usage ?? FAKE_USAGE, finishReason: step.finishReason ?? 'stop', model: req.model };
  }

  async *stream(req: LlmRequest): AsyncGenerator<LlmStreamEvent> {
    const step = this.next(req);
    let ended = false;
    try {
      if ('hang' in step) return await this.hang(req, step);
      if ('fail' in step) {
        for (const text of step.afterChunks ?? []) yield { type: 'delta', text };
        throw this.error(step);
      }
      const half = Math.ceil(step.text.length / 2);
      for (const text of step.chunks ?? [step.text.slice(0, half), step.text.slice(half)]) yield { type: 'delta', text };
      ended = true;
      yield { type: 'end', usage: step.usage ?? FAKE_USAGE, finishReason: step.finishReason ?? 'stop', model: req.model };
    } catch (err) {
      ended = true;
      throw err;
    } finally {
      if (!ended) this.streamsClosedEarly += 1;
    }
  }

  private next(req: LlmRequest): FakeStep {
    this.calls.push(req);
    return this.queue.shift() ?? this.otherwise;
  }

  private error(step: Extract<FakeStep, { fail: ProviderErrorKind }>): ProviderError {
    return new ProviderError({
      kind: step.fail,
      provider: this.name,
      message: `fake ${this.name}: ${step.fail}`,
      status: step.status ?? DEFAULT_STATUS[step.fail],
      retryAfterMs: step.retryAfterMs,
    });
  }

  private hang(req: LlmRequest, step: { ignoreSignal?: boolean }): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (step.ignoreSignal || !req.signal) return;
      req.signal.addEventListener('abort', () => reject(new ProviderError({ kind: 'timeout', provider: this.name, message: 'aborted' })), { once: true });
    });
  }
}

// ---- A harness for router tests: the shipped chain shape, four fakes that answer by default, a JSON check.

export const answerFrom = (provider: ProviderName): string => JSON.stringify({ answer: `from ${provider}` });

export function validateAnswer(text: string): ValidationResult {
  try {
    const value = JSON.parse(text) as { answer?: unknown };
    return typeof value?.answer === 'string' ? { ok: true, value } : { ok: false, reason: 'answer must be a string' };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

export function testCapability(chain: ChainLink[]): CapabilityDefinition {
  return {
    key: 'test.answer',
    description: 'answers',
    inputSchema: { type: 'object' },
    outputSchema: { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } },
    prompt: { version: '1', system: 'Answer.', template: '{{input_json}}' },
    chain,
    maxOutputTokens: 100,
    temperature: 0,
    cacheTtlSeconds: 0,
    hitl: false,
    rag: false,
  };
}

export const link = (provider: ProviderName, timeoutMs = 2_000): ChainLink => ({ provider, model: `${provider}-model`, timeoutMs });
export const SHIPPED_CHAIN: ChainLink[] = [link('vertex'), link('anthropic'), link('openai'), link('deterministic', 500)];

export interface RoutingHarness {
  fakes: Record<ProviderName, FakeLlm>;
  runner: ChainRunner;
  /** Delays the runner asked to sleep (its sleep resolves at once). */
  sleeps: number[];
  options(over?: Partial<ChainRunOptions>): ChainRunOptions;
}

export function routingHarness(opts: { breaker?: Partial<BreakerSettings>; providers?: ProviderName[]; registry?: Registry; retryJitterMs?: number } = {}): RoutingHarness {
  const fakes: Record<ProviderName, FakeLlm> = {
    vertex: new FakeLlm('vertex', { text: answerFrom('vertex') }),
    anthropic: new FakeLlm('anthropic', { text: answerFrom('anthropic') }),
    openai: new FakeLlm('openai', { text: answerFrom('openai') }),
    deterministic: new FakeLlm('deterministic', { text: answerFrom('deterministic') }),
  };
  const configured = opts.providers ?? PROVIDER_NAMES;
  const sleeps: number[] = [];
  const runner = createChainRunner({
    providers: Object.fromEntries(configured.map((p) => [p, fakes[p]])),
    // A volume threshold no test reaches unless it means to.
    breaker: { errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 30_000, rollingCountTimeoutMs: 10_000, ...opts.breaker },
    retryJitterMs: opts.retryJitterMs ?? 100,
    logger: createLogger({ level: 'silent' }),
    ...(opts.registry ? { metrics: { registry: opts.registry } } : {}),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const options = (over: Partial<ChainRunOptions> = {}): ChainRunOptions => ({
    capability: testCapability(SHIPPED_CHAIN),
    request: { system: 'Answer.', prompt: '{}', responseSchema: { type: 'object' }, maxOutputTokens: 100, temperature: 0, capability: 'test.answer', input: {} },
    deadlineMs: 10_000,
    allowedProviders: new Set(PROVIDER_NAMES),
    validate: validateAnswer,
    ...over,
  });
  return { fakes, runner, sleeps, options };
}
