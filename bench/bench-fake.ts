import { DEFAULT_TEXT } from '../tests/fakes/http-fake.js';
import { startFakeOpenAi, type FakeOpenAi } from '../tests/fakes/openai-vendor/server.js';

const UPSELL_ANSWER = JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Keep the room until 14:00.' }], reason: 'Gold guests value a slow morning.' });

/**
 * The benches' zero-latency OpenAI-protocol fake (not recording requests): each capability gets an answer
 * valid for its output schema, told by the request's response_format schema name (an upsell offer for
 * `reservation…`, the fake's default policy answer otherwise).
 */
export function startBenchFake(): Promise<FakeOpenAi> {
  return startFakeOpenAi({ record: false, defaultText: (req) => (schemaNameOf(req.body).startsWith('reservation') ? UPSELL_ANSWER : DEFAULT_TEXT) });
}

/** The capability an OpenAI-protocol request is for: its response_format's schema name. */
function schemaNameOf(body: Record<string, unknown>): string {
  const format = body.response_format as { json_schema?: { name?: string } } | undefined;
  return format?.json_schema?.name ?? '';
}
