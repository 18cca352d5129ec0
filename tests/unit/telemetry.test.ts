import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, parseTraceHeaders, traceLogFields } from '../../shared/telemetry/index.js';

describe('trace headers', () => {
  it('reads W3C traceparent (sampled flag included)', () => {
    expect(parseTraceHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
  });

  it('falls back to X-Cloud-Trace-Context, turning the decimal span id into hex', () => {
    expect(parseTraceHeaders({ 'x-cloud-trace-context': '105445AA7843BC8BF206B12000100000/1;o=1' })).toEqual({
      traceId: '105445aa7843bc8bf206b12000100000',
      spanId: '0000000000000001',
      sampled: true,
    });
  });

  it('ignores malformed or all-zero trace ids', () => {
    expect(parseTraceHeaders({ traceparent: 'garbage' })).toBeUndefined();
    expect(parseTraceHeaders({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' })).toBeUndefined();
    expect(parseTraceHeaders({})).toBeUndefined();
  });

  it('builds the Cloud Logging trace fields with the project', () => {
    const ctx = parseTraceHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    expect(traceLogFields(ctx, 'proj-1')).toEqual({
      'logging.googleapis.com/trace': 'projects/proj-1/traces/4bf92f3577b34da6a3ce929d0e0e4736',
      'logging.googleapis.com/trace_sampled': false,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
    });
    expect(traceLogFields(undefined, 'proj-1')).toEqual({});
  });
});

describe('logger', () => {
  it('writes JSON lines with Cloud Logging severity and message', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const logger = createLogger({ level: 'info', name: 'svc', destination: sink });
    logger.warn({ call_id: 'c1' }, 'something odd');
    logger.error('broken');
    logger.debug('hidden');
    const [warn, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(warn).toMatchObject({ severity: 'WARNING', message: 'something odd', call_id: 'c1', service: 'svc' });
    expect(error).toMatchObject({ severity: 'ERROR', message: 'broken' });
    expect(typeof warn?.time).toBe('string');
  });
});
