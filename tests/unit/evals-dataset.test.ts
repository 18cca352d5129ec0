import { describe, expect, it } from 'vitest';
import { createCapabilityRegistry } from '../../shared/capabilities/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { DatasetError, parseDataset } from '../../shared/evals/dataset.js';
import { unmetExpectations, valueAt } from '../../shared/evals/expectations.js';
import { parseEvalArgs, UsageError } from '../../jobs/eval-runner/args.js';

const capabilities = createCapabilityRegistry(loadConfig({ env: { APP_ENV: 'test' } }).capabilities);
const good = { id: 'a', capability: 'support.policy_answer', input: { question: 'When is check-in?', language: 'en' }, expect: [{ path: 'answer', contains: '15:00' }] };
const lines = (...cases: unknown[]) => cases.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join('\n');

function problemsOf(text: string): string[] {
  try {
    parseDataset(text, 'mem', capabilities);
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return (err as DatasetError).problems;
  }
  throw new Error('expected the dataset to be refused');
}

describe('eval dataset parsing', () => {
  it('reads cases, skipping blank and // comment lines, and hashes the bytes', () => {
    const text = lines('// a comment', '', good, { ...good, id: 'b', expect: undefined });
    const dataset = parseDataset(text, 'evals/x.jsonl', capabilities);
    expect(dataset.cases.map((c) => c.id)).toEqual(['a', 'b']);
    expect(dataset.cases[1]!.expect).toEqual([]);
    expect(dataset.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parseDataset(text, 'other', capabilities).hash).toBe(dataset.hash);
  });

  it('reports every problem with its line number before anything runs', () => {
    const problems = problemsOf(
      lines(
        good,
        '{not json',
        { ...good, id: 'a' },
        { ...good, id: 'c', capability: 'no.such' },
        { ...good, id: 'd', input: { question: 'x' } },
        { ...good, id: 'e', expect: [{ path: 'answer', matches: '(' }] },
        { ...good, id: 'f', extra: 1 },
        { ...good, id: 'g', expect: [{ path: 'answer' }] },
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^line 2: not JSON/),
      'line 3: duplicate case id "a"',
      'line 4: unknown capability "no.such"',
      expect.stringMatching(/^line 5: input rejected by support.policy_answer: .*question/),
      'line 6: expectation on answer: "(" is not a valid regular expression',
      expect.stringMatching(/^line 7: case must NOT have additional properties/),
      expect.stringMatching(/^line 8: case\/expect\/0 must NOT have fewer than 2 properties/),
    ]);
  });

  it('refuses an empty dataset', () => {
    expect(problemsOf('// nothing here\n')).toEqual(['no cases']);
  });
});

describe('eval expectations', () => {
  const output = { answer: 'Check-in starts at 15:00.', offers: [{ code: 'LATE_CHECKOUT' }], language: 'de' };

  it('addresses fields by dot path, array indexes included', () => {
    expect(valueAt(output, 'offers.0.code')).toBe('LATE_CHECKOUT');
    expect(valueAt(output, 'offers.1.code')).toBeUndefined();
    expect(valueAt(output, 'answer.length.x')).toBeUndefined();
  });

  it('passes when every expectation holds', () => {
    expect(
      unmetExpectations(output, [
        { path: 'answer', contains: 'check-in' },
        { path: 'answer', matches: '\\d{2}:\\d{2}' },
        { path: 'offers', minItems: 1 },
        { path: 'language', equals: 'de' },
        { path: 'language', oneOf: ['de', 'en'] },
      ]),
    ).toEqual([]);
  });

  it('describes each unmet expectation', () => {
    expect(
      unmetExpectations(output, [
        { path: 'answer', contains: 'midnight' },
        { path: 'answer', matches: '^No' },
        { path: 'offers', minItems: 2 },
        { path: 'language', equals: 'en' },
        { path: 'language', oneOf: ['fr'] },
        { path: 'missing', contains: 'x' },
      ]),
    ).toEqual([
      'answer: expected to contain "midnight", got "Check-in starts at 15:00."',
      'answer: expected to match /^No/, got "Check-in starts at 15:00."',
      'offers: expected at least 2 item(s), got 1',
      'language: expected "en", got "de"',
      'language: expected one of ["fr"], got "de"',
      'missing: expected to contain "x", got undefined',
    ]);
  });
});

describe('eval-runner arguments', () => {
  it('defaults the suite to the dataset file name and reads env fallbacks', () => {
    expect(parseEvalArgs(['--dataset', 'evals/upsell.jsonl'], {})).toEqual({ dataset: 'evals/upsell.jsonl', suite: 'upsell', concurrency: 4, minScore: 0, allowDegraded: false, requestedBy: null, tenant: null });
    expect(parseEvalArgs([], { EVAL_DATASET: 'gs://b/nightly.jsonl', EVAL_MIN_SCORE: '0.9', EVAL_REQUESTED_BY: 'scheduler' })).toMatchObject({ suite: 'nightly', minScore: 0.9, requestedBy: 'scheduler' });
  });

  it.each([
    [[], /--dataset is required/],
    [['--dataset', 'x', '--concurrency', '0'], /--concurrency must be an integer from 1 to 64/],
    [['--dataset', 'x', '--min-score', '1.5'], /--min-score must be a number from 0 to 1/],
    [['--dataset', 'x', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseEvalArgs(argv, {})).toThrow(UsageError);
    expect(() => parseEvalArgs(argv, {})).toThrow(message);
  });
});
