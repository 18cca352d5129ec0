import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { loadConfig } from '../../shared/config/index.js';
import { createDeterministicProvider } from '../../shared/providers/deterministic/index.js';
import { isProviderError } from '../../shared/providers/errors.js';
import type { LlmRequest, LlmStreamEvent } from '../../shared/providers/port.js';

const { capabilities } = loadConfig({ env: { APP_ENV: 'test' } });
const provider = createDeterministicProvider({ capabilities });

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validators = Object.fromEntries(Object.entries(capabilities).map(([key, def]) => [key, ajv.compile(def.outputSchema)]));

function request(capability: string, input: unknown, overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'rules-v1',
    system: 'system text',
    prompt: `prompt for ${capability}`,
    responseSchema: capabilities[capability]?.outputSchema ?? {},
    maxOutputTokens: 800,
    temperature: 0,
    capability,
    input,
    ...overrides,
  };
}

async function answer(capability: string, input: unknown): Promise<Record<string, unknown>> {
  const result = await provider.generate(request(capability, input));
  const output = JSON.parse(result.text) as Record<string, unknown>;
  const validate = validators[capability]!;
  expect(validate(output), `${JSON.stringify(input)} → ${ajv.errorsText(validate.errors)}`).toBe(true);
  return output;
}

const product = <T>(...lists: T[][]): T[][] => lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);

type Offer = { code: string; title: string; pitch: string };

describe('deterministic provider: reservation.upsell_offer', () => {
  const roomTypes = ['Standard', 'Deluxe Double', 'Junior Suite', 'penthouse', 'Zimmer mit Seeblick', 'R'.repeat(64)];
  const cases = product<unknown>(roomTypes, [1, 2, 3, 7, 365], [1, 2, 3, 20], ['standard', 'silver', 'gold', 'platinum'], ['2026-01-02', '2026-01-05']);

  it('answers every combination of room, nights, guests, tier and arrival with schema-valid offers', async () => {
    for (const [room_type, nights, guests, tier, arrival_date] of cases) {
      const output = await answer('reservation.upsell_offer', { reservation: { room_type, nights, guests, arrival_date }, guest: { tier } });
      const offers = output.offers as Offer[];
      expect(offers.length).toBeGreaterThan(0);
      expect(new Set(offers.map((o) => o.code)).size).toBe(offers.length);
    }
  });

  it('chooses offers from the stay', async () => {
    const codes = async (room_type: string, nights: number, guests: number, tier: string, arrival_date = '2026-03-10') =>
      ((await answer('reservation.upsell_offer', { reservation: { room_type, nights, guests, arrival_date }, guest: { tier } })).offers as Offer[]).map((o) => o.code);

    expect(await codes('Standard', 1, 1, 'standard')).toEqual(['ROOM_UPGRADE', 'BREAKFAST', 'LATE_CHECKOUT']);
    expect(await codes('Junior Suite', 2, 2, 'silver')).not.toContain('ROOM_UPGRADE');
    expect(await codes('Deluxe', 4, 2, 'platinum')).toEqual(['ROOM_UPGRADE', 'BREAKFAST', 'SPA_ACCESS']);
    expect(await codes('Family Suite', 3, 4, 'platinum')).toContain('PARKING');
  });

  it('names the stay in its reason and pitches', async () => {
    const output = await answer('reservation.upsell_offer', { reservation: { room_type: 'Deluxe Double', nights: 3, guests: 2, arrival_date: '2026-05-01' }, guest: { tier: 'gold' } });
    expect(output.reason).toContain('3-night stay in a Deluxe Double room for 2 guests, gold tier');
    expect((output.offers as Offer[])[0]).toMatchObject({ code: 'ROOM_UPGRADE', pitch: expect.stringContaining('Deluxe Double') });
  });
});

describe('deterministic provider: notification.guest_message_draft', () => {
  const purposes = ['pre_arrival', 'booking_confirmation', 'apology', 'upsell_follow_up', 'post_stay'];
  const languages = ['en', 'de', 'de-CH', 'fr', 'es', 'it', 'nl', 'pt', 'pt-BR', 'ja'];
  const names = ['Ana', 'Jean-Luc Picard', 'N'.repeat(120)];
  const factSets: Array<Record<string, string | number | boolean>> = [
    {},
    { check_in_time: '15:00', nights: 3, parking_included: true, room: 'Deluxe Double' },
    Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`fact_${i}`, 'long value '.repeat(500)])),
  ];

  it('answers every purpose, language, name and set of facts with a schema-valid draft', async () => {
    for (const [purpose, language, guest_name, facts] of product<unknown>(purposes, languages, names, factSets)) {
      await answer('notification.guest_message_draft', { purpose, guest_name, language, facts });
    }
  });

  it('writes in the requested language and reports it', async () => {
    const de = await answer('notification.guest_message_draft', { purpose: 'pre_arrival', guest_name: 'Ana Müller', language: 'de-CH', facts: { nights: 3 } });
    expect(de).toMatchObject({ subject: 'Ihr bevorstehender Aufenthalt', language: 'de-CH' });
    expect(de.body).toMatch(/^Guten Tag Ana Müller,\n/);

    const fr = await answer('notification.guest_message_draft', { purpose: 'apology', guest_name: 'Jean', language: 'fr', facts: {} });
    expect(fr).toMatchObject({ subject: 'Toutes nos excuses', language: 'fr' });
  });

  it('falls back to English for a language it does not compose, and says so', async () => {
    const draft = await answer('notification.guest_message_draft', { purpose: 'post_stay', guest_name: 'Yuki', language: 'ja', facts: {} });
    expect(draft).toMatchObject({ subject: 'Thank you for staying with us', language: 'en' });
    expect(draft.body).toMatch(/^Dear Yuki,\n/);
  });

  it('states the facts it was given, and leaves out the ones that do not fit', async () => {
    const draft = await answer('notification.guest_message_draft', {
      purpose: 'booking_confirmation',
      guest_name: 'Ana',
      language: 'en',
      facts: { check_in_time: '15:00', parking_included: true, room: 'Deluxe Double' },
    });
    expect(draft.body).toContain('- Check in time: 15:00\n- Parking included: yes\n- Room: Deluxe Double');

    const long = await answer('notification.guest_message_draft', {
      purpose: 'pre_arrival',
      guest_name: 'Ana',
      language: 'en',
      facts: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`fact_${i}`, 'x'.repeat(1000)])),
    });
    const lines = (long.body as string).split('\n').filter((l) => l.startsWith('- '));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.length).toBeLessThan(30);
    expect(long.body).toMatch(/Your hotel team$/);
  });
});

describe('deterministic provider: support.policy_answer', () => {
  it('hands the question over in the requested language, citing nothing', async () => {
    const expected: Record<string, RegExp> = {
      en: /cannot answer this automatically.*colleague/,
      de: /nicht automatisch beantworten/,
      fr: /répondre automatiquement/,
      es: /responder automáticamente/,
      it: /rispondere automaticamente/,
      nl: /niet automatisch beantwoorden/,
      'pt-BR': /cannot answer this automatically/,
    };
    for (const [language, answerText] of Object.entries(expected)) {
      const output = await answer('support.policy_answer', { question: 'Can I bring my dog?', language });
      expect(output.answer).toMatch(answerText);
      expect(output.citations).toEqual([]);
    }
  });
});

describe('deterministic provider: contract', () => {
  const input = { reservation: { room_type: 'Standard', nights: 2, guests: 2, arrival_date: '2026-04-04' }, guest: { tier: 'silver' } };

  it('estimates usage at four characters a token and echoes the requested model', async () => {
    const req = request('reservation.upsell_offer', input, { system: 's'.repeat(10), prompt: 'p'.repeat(31), model: 'rules-v7' });
    const result = await provider.generate(req);
    expect(result).toMatchObject({ finishReason: 'stop', model: 'rules-v7', usage: { inputTokens: 11, outputTokens: Math.ceil(result.text.length / 4) } });
  });

  it('gives the same answer for the same input', async () => {
    const first = await provider.generate(request('reservation.upsell_offer', input));
    const second = await provider.generate(request('reservation.upsell_offer', structuredClone(input)));
    expect(second.text).toBe(first.text);
  });

  it('streams the same text in several deltas, then one end with the usage', async () => {
    const req = request('notification.guest_message_draft', { purpose: 'pre_arrival', guest_name: 'Zoë 😀', language: 'nl', facts: { emoji: '😀😀😀😀' } });
    const events: LlmStreamEvent[] = [];
    for await (const event of provider.stream(req)) events.push(event);
    const generated = await provider.generate(req);
    const deltas = events.filter((e): e is Extract<LlmStreamEvent, { type: 'delta' }> => e.type === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.text).join('')).toBe(generated.text);
    expect(deltas.every((d) => !/[\uD800-\uDBFF]$/.test(d.text))).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'end', usage: generated.usage, finishReason: 'stop', model: 'rules-v1' });
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  });

  it('answers a capability without a composer from its schema', async () => {
    const outputSchema = {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'score', 'tags', 'status'],
      properties: {
        title: { type: 'string', minLength: 5, maxLength: 20 },
        score: { type: 'integer', minimum: 1, maximum: 5 },
        tags: { type: 'array', minItems: 2, items: { type: 'string', pattern: '^[a-z]{2,8}$' } },
        status: { enum: ['open', 'closed'] },
        note: { type: 'string' },
      },
    };
    const custom = createDeterministicProvider({ capabilities: { ...capabilities, 'custom.triage': { outputSchema } } });
    const result = await custom.generate(request('custom.triage', { anything: true }, { responseSchema: outputSchema }));
    const output = JSON.parse(result.text) as unknown;
    expect(ajv.validate(outputSchema, output), ajv.errorsText()).toBe(true);
    expect(output).toMatchObject({ score: 1, status: 'open' });
    expect(output).not.toHaveProperty('note');
  });

  it('answers a capability it was not configured with from the request schema', async () => {
    const responseSchema = { type: 'object', required: ['summary'], properties: { summary: { type: 'string', minLength: 1 } } };
    const result = await provider.generate(request('unknown.capability', {}, { responseSchema }));
    expect(ajv.validate(responseSchema, JSON.parse(result.text)), ajv.errorsText()).toBe(true);
  });

  it('replaces a composed answer the configured schema rejects with the schema minimum', async () => {
    const base = capabilities['reservation.upsell_offer']!.outputSchema as { properties: Record<string, object> };
    const stricter = {
      ...base,
      properties: { ...base.properties, offers: { ...base.properties.offers, minItems: 3, maxItems: 3 }, reason: { type: 'string', minLength: 1, maxLength: 10 } },
    };
    const strict = createDeterministicProvider({ capabilities: { 'reservation.upsell_offer': { outputSchema: stricter } } });
    const result = await strict.generate(request('reservation.upsell_offer', input, { responseSchema: stricter }));
    const output = JSON.parse(result.text) as { offers: unknown[]; reason: string };
    expect(ajv.validate(stricter, output), ajv.errorsText()).toBe(true);
    expect(output.offers).toHaveLength(3);
  });

  it('answers garbage input of a shipped capability with a valid output', async () => {
    for (const garbage of [null, 42, 'text', [], { reservation: 'x', guest: null }, { purpose: 7, language: 'klingon', facts: [1, 2] }]) {
      for (const capability of Object.keys(capabilities)) await answer(capability, garbage);
    }
  });

  it('refuses to answer once the call is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await provider.generate(request('support.policy_answer', { question: 'Pets?', language: 'en' }, { signal: controller.signal })).catch((e: unknown) => e);
    expect(isProviderError(error) && error.kind).toBe('timeout');
  });
});
