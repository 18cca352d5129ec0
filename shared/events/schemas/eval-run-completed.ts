import { count, id, name } from './common.js';

export interface EvalRunCompletedData {
  run_id: string;
  suite: string;
  passed: number;
  failed: number;
  /** Share of cases passed, 0..1. */
  score: number;
}

export const evalRunCompletedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['run_id', 'suite', 'passed', 'failed', 'score'],
  properties: {
    run_id: id,
    suite: name,
    passed: count,
    failed: count,
    score: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;
