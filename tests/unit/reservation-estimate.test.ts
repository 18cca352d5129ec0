import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createCapabilityRegistry } from '../../shared/capabilities/index.js';
import { inputTokenBound } from '../../shared/inference/reservation-estimate.js';

const registry = createCapabilityRegistry(loadConfig({ env: {} }).capabilities);
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('inputTokenBound', () => {
  it('bounds everything sent: system prompt, prompt, response schema and the framing, one token per UTF-8 byte', () => {
    const cap = registry.require('reservation.upsell_offer');
    const prompt = 'Réservation: chambre double, 3 nuits';
    const expected = bytes(cap.prompt.system) + bytes(prompt) + bytes(JSON.stringify(cap.outputSchema)) + 64;
    expect(inputTokenBound(cap, prompt)).toBe(expected);
    // The capability's fixed part is remembered; the prompt's part is not.
    expect(inputTokenBound(cap, prompt)).toBe(expected);
    expect(inputTokenBound(cap, `${prompt}, 2 guests`)).toBe(expected + bytes(', 2 guests'));
  });

  it('keeps each capability to its own schema and system prompt', () => {
    const [a, b] = [registry.require('reservation.upsell_offer'), registry.require('support.policy_answer')];
    expect(inputTokenBound(a, '')).toBe(bytes(a.prompt.system) + bytes(JSON.stringify(a.outputSchema)) + 64);
    expect(inputTokenBound(b, '')).toBe(bytes(b.prompt.system) + bytes(JSON.stringify(b.outputSchema)) + 64);
    expect(inputTokenBound(a, '')).not.toBe(inputTokenBound(b, ''));
  });
});
