/**
 * `npm run bench -- object-spread`: what building an object costs on this Node's V8, shape by shape, and
 * the ai_calls record the pipeline builds for every call. Why the lint rule on `shared/` and `services/`
 * forbids keys after a leading spread: each key added to the copy a leading spread makes derives a fresh
 * hidden class (a map transition that is never cached), so the cost grows with every key and every call.
 */
import { completedCall } from '../shared/inference/call-record.js';

const ITERATIONS = 100_000;
const ROUNDS = 5;

// Fresh objects each time, as the pipeline's are: built from the same literal sites.
const eightKeys = () => ({ k1: 1, k2: 'b', k3: null, k4: true, k5: 5, k6: 'f', k7: 7, k8: 'h' });

const shapes: Record<string, () => unknown> = {
  'literal, 10 keys': () => ({ k1: 1, k2: 'b', k3: null, k4: true, k5: 5, k6: 'f', k7: 7, k8: 'h', a1: 1, a2: 2 }),
  '{ ...obj } (8 keys, nothing added)': () => ({ ...eightKeys() }),
  '{ key, ...obj }': () => ({ a1: 1, ...eightKeys() }),
  '{ ...obj, key }': () => ({ ...eightKeys(), a1: 1 }),
  '{ ...obj, 4 keys }': () => ({ ...eightKeys(), a1: 1, a2: 2, a3: 3, a4: 4 }),
  '{ ...obj, 12 keys }': () => ({ ...eightKeys(), a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, a6: 6, a7: 7, a8: 8, a9: 9, a10: 10, a11: 11, a12: 12 }),
  'Object.assign(obj, 12 keys)': () => Object.assign(eightKeys(), { a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, a6: 6, a7: 7, a8: 8, a9: 9, a10: 10, a11: 11, a12: 12 }),
  'Object.assign({}, obj, { key })': () => Object.assign({}, eightKeys(), { a1: 1 }),
};

const facts = { callId: '0b7e4c1a-2f55-4c8e-9d0e-7d1c2a3b4c5d', tenantId: 'hotel-alpha', capability: 'reservation.upsell_offer', channel: 'invoke' as const, inputHash: 'a'.repeat(64), latencyMs: 12.3, source: '//ai-orchestrator' };
const outcome = { provider: 'openai', model: 'gpt-4o-mini', degraded: false, cacheHit: false, inputTokens: 812, outputTokens: 164, costMicros: 221, attempts: [{ provider: 'openai', outcome: 'ok' }], hitlStatus: null, output: {} };
shapes['completedCall (one ai_calls row and its event)'] = () => completedCall(facts, outcome);

/** Nanoseconds per object: the median of ROUNDS rounds, after one round of warm-up. */
function nsPerObject(make: () => unknown): number {
  const rounds: number[] = [];
  // Kept, so the objects are really allocated (an unused literal is optimised away entirely).
  const kept: unknown[] = new Array(1024);
  for (let round = 0; round <= ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) kept[i & 1023] = make();
    const ns = Number(process.hrtime.bigint() - started) / ITERATIONS;
    if (round > 0) rounds.push(ns);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(rounds.length / 2)] as number;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const figures: Record<string, number> = {};
  for (const [name, make] of Object.entries(shapes)) figures[name] = nsPerObject(make);
  const literal = figures['literal, 10 keys'] as number;
  if (!args.includes('--json')) {
    process.stdout.write(`object-spread bench: ${process.version}, ns per object (median of ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en')}), and as a multiple of a 10-key literal\n`);
    for (const [name, ns] of Object.entries(figures)) {
      process.stdout.write(`${name.padEnd(48)} ${Math.round(ns).toLocaleString('en').padStart(7)} ns  ${(ns / literal).toFixed(1).padStart(6)}×\n`);
    }
  }
  return { node: process.version, ns_per_object: Object.fromEntries(Object.entries(figures).map(([name, ns]) => [name, Math.round(ns)])) };
}
