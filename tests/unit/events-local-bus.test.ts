import { describe, expect, it } from 'vitest';
import { LocalEventBus, type DeliveredMessage, type OutboundMessage } from '../../shared/events/index.js';
import { createLogger } from '../../shared/telemetry/index.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

const message = (id: string, key: string, topic = 'events'): OutboundMessage => ({
  topic,
  data: Buffer.from(JSON.stringify({ id })),
  attributes: { 'ce-id': id, 'ce-type': 'eval.run_completed', 'ce-tenantid': key },
  orderingKey: key,
});

describe('LocalEventBus', () => {
  it('delivers each message to every subscriber of its topic, in order, and logs one line per event', async () => {
    const { logger, lines } = capturingLogger();
    const bus = new LocalEventBus({ logger });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const other: string[] = [];
    bus.subscribe('events', (m) => void seenA.push(m.attributes['ce-id'] as string));
    const unsubscribe = bus.subscribe('events', async (m) => void seenB.push(m.attributes['ce-id'] as string));
    bus.subscribe('other', (m) => void other.push(m.attributes['ce-id'] as string));

    const outcomes = await bus.publish([message('e1', 't1'), message('e2', 't2'), message('e3', 't1')]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(seenA).toEqual(['e1', 'e2', 'e3']);
    expect(seenB).toEqual(['e1', 'e2', 'e3']);
    expect(other).toEqual([]);
    const published = lines.filter((l) => l.message === 'event published');
    expect(published.map((l) => [l.event_id, l.event_type, l.tenant_id, l.topic])).toEqual([
      ['e1', 'eval.run_completed', 't1', 'events'],
      ['e2', 'eval.run_completed', 't2', 'events'],
      ['e3', 'eval.run_completed', 't1', 'events'],
    ]);

    unsubscribe();
    await bus.publish([message('e4', 't1')]);
    expect(seenB).toEqual(['e1', 'e2', 'e3']);
    expect(seenA).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('fails a message whose handler throws, and the later messages of its ordering key, not the others', async () => {
    const { logger } = capturingLogger();
    const bus = new LocalEventBus({ logger });
    const seen: DeliveredMessage[] = [];
    bus.subscribe('events', (m) => {
      if (m.attributes['ce-id'] === 'e2') throw new Error('consumer down');
      seen.push(m);
    });
    const outcomes = await bus.publish([message('e1', 't1'), message('e2', 't1'), message('e3', 't2'), message('e4', 't1')]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, false]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { message: 'consumer down' } });
    expect(seen.map((m) => m.attributes['ce-id'])).toEqual(['e1', 'e3']);
  });

  it('answers a closed bus with failures', async () => {
    const bus = new LocalEventBus({ logger: capturingLogger().logger });
    await bus.close();
    const [outcome] = await bus.publish([message('e1', 't1')]);
    expect(outcome).toMatchObject({ ok: false });
  });
});
