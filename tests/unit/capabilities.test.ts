import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createCapabilityRegistry, renderPrompt } from '../../shared/capabilities/index.js';
import { AppError } from '../../shared/errors/app-error.js';

const registry = createCapabilityRegistry(loadConfig({ env: {} }).capabilities);

describe('capability registry', () => {
  it('ships the three capabilities with the default chain vertex → anthropic → openai → deterministic', () => {
    expect(registry.list().map((c) => c.key)).toEqual(['reservation.upsell_offer', 'notification.guest_message_draft', 'support.policy_answer']);
    for (const cap of registry.list()) expect(cap.chain.map((l) => l.provider)).toEqual(['vertex', 'anthropic', 'openai', 'deterministic']);
    expect(registry.require('notification.guest_message_draft').hitl).toBe(true);
    expect(registry.require('support.policy_answer').rag).toBe(true);
  });

  it('unknown capability → 404 unknown_capability', () => {
    expect(() => registry.require('nope.nothing')).toThrow(AppError);
    try {
      registry.require('nope.nothing');
    } catch (err) {
      expect((err as AppError).status).toBe(404);
      expect((err as AppError).code).toBe('unknown_capability');
    }
  });

  it('invalid input → 400 invalid_input listing every offending field', () => {
    const upsell = registry.require('reservation.upsell_offer');
    try {
      upsell.parseInput({ reservation: { room_type: 'double', nights: 0, guests: 2, arrival_date: 'tomorrow' }, guest: { tier: 'diamond' } });
      expect.unreachable();
    } catch (err) {
      const e = err as AppError;
      expect(e.code).toBe('invalid_input');
      const paths = (e.extra.errors as Array<{ path: string }>).map((x) => x.path);
      expect(paths).toEqual(expect.arrayContaining(['/reservation/nights', '/reservation/arrival_date', '/guest/tier']));
    }
  });

  it('checks model output: not JSON, schema-invalid, valid', () => {
    const upsell = registry.require('reservation.upsell_offer');
    expect(upsell.checkOutput('not json')).toEqual({ ok: false, reason: 'output is not valid JSON' });
    const bad = upsell.checkOutput(JSON.stringify({ offers: [{ code: 'lower case', title: 't', pitch: 'p' }] }));
    expect(bad.ok).toBe(false);
    const good = upsell.checkOutput(JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Sleep in.' }], reason: 'long stay' }));
    expect(good.ok).toBe(true);
  });

  it('a capability with a broken schema stops start-up naming it', () => {
    const caps = loadConfig({ env: {} }).capabilities;
    const broken = { ...caps, 'x.broken': { ...caps['support.policy_answer']!, inputSchema: { type: 'nonsense' } } };
    expect(() => createCapabilityRegistry(broken)).toThrow(/capability x.broken: invalid JSON Schema/);
  });
});

describe('renderPrompt', () => {
  it('fills input paths and input_json; missing paths render empty', () => {
    const out = renderPrompt('{{input.a.b}} / {{ input.c }} / {{input.missing.x}} / {{input_json}}', { a: { b: 2 }, c: ['x'] });
    expect(out).toBe('2 / ["x"] /  / {"a":{"b":2},"c":["x"]}');
  });
});
