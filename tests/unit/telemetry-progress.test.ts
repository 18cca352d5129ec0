import { describe, expect, it } from 'vitest';
import { createProgress } from '../../shared/telemetry/progress.js';

describe('job progress off a terminal', () => {
  it('prints JSON lines at most once per interval, always the last one', () => {
    const lines: string[] = [];
    const progress = createProgress({ job: 'ingest', total: 5, unit: 'documents', interactive: false, intervalMs: 60_000, write: (l) => lines.push(l) });
    for (let done = 1; done <= 5; done++) progress.update(done, { chunks: done * 10 });
    progress.stop();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.done)).toEqual([1, 5]);
    expect(parsed[1]).toMatchObject({ severity: 'INFO', message: 'progress', job: 'ingest', done: 5, total: 5, unit: 'documents', chunks: 50 });
  });

  it('prints where it stopped when the work ends early', () => {
    const lines: string[] = [];
    const progress = createProgress({ job: 'eval', total: 10, unit: 'cases', interactive: false, intervalMs: 60_000, write: (l) => lines.push(l) });
    progress.update(1);
    progress.update(4);
    progress.stop();
    expect(lines.map((l) => (JSON.parse(l) as { done: number }).done)).toEqual([1, 4]);
  });
});
