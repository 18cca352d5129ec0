import cliProgress from 'cli-progress';

export interface Progress {
  /** Advances to `done` of `total`; `fields` are shown on the bar and carried on the JSON line. */
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * Progress of a long job. On a terminal: a bar on stderr. Otherwise (Cloud Run Jobs, CI, pipes): one JSON
 * line on stdout at most every `intervalMs` and at the end, which Cloud Logging parses as a structured entry.
 */
export function createProgress(opts: { job: string; total: number; unit: string; interactive?: boolean; intervalMs?: number; write?: (line: string) => void }): Progress {
  const interactive = opts.interactive ?? Boolean(process.stderr.isTTY);
  if (interactive) {
    const bar = new cliProgress.SingleBar(
      { format: `${opts.job} [{bar}] {percentage}% | {value}/{total} ${opts.unit} | eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total, 0);
    return { update: (done, fields) => bar.update(done, fields), stop: () => bar.stop() };
  }
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const intervalMs = opts.intervalMs ?? 1000;
  const started = Date.now();
  let lastAt = 0;
  let last: { done: number; fields?: Record<string, string | number> } = { done: 0 };
  const emit = () => write(JSON.stringify({ severity: 'INFO', message: 'progress', job: opts.job, done: last.done, total: opts.total, unit: opts.unit, seconds: (Date.now() - started) / 1000, ...last.fields }));
  return {
    update(done, fields) {
      last = { done, ...(fields ? { fields } : {}) };
      const now = Date.now();
      if (now - lastAt >= intervalMs || done >= opts.total) {
        lastAt = now;
        emit();
      }
    },
    stop() {
      if (last.done < opts.total && lastAt !== 0) emit();
    },
  };
}
